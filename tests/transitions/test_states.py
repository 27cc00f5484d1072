"""Episode status changes follow one table (apps/transitions/states.py)."""

from datetime import timedelta
from itertools import pairwise

import pytest
from django.utils import timezone

from apps.core.exceptions import ApplicationError
from apps.transitions.models import Episode, EpisodeStatus
from apps.transitions.services import transition_admit_cancel, transition_discharge_cancel
from apps.transitions.services.episodes import _set_episode
from apps.transitions.services.followups import episode_watch_close
from apps.transitions.states import EPISODE_STATES
from tests.transitions.factories import JOB, admit, discharge


def _status(episode_id):
    return Episode.objects.get(pk=episode_id).status


def test_episode_status_changes_follow_the_table(patient, nurse):
    now = timezone.now()
    seen: list[str] = []

    def step(episode_id):
        seen.append(_status(episode_id))

    stay = admit(patient, at=now - timedelta(days=9))
    episode_id = stay.episode_id
    step(episode_id)  # in care
    discharge(patient, at=now - timedelta(days=8), disposition="03")
    step(episode_id)  # in transit to the SNF
    admit(patient, at=now - timedelta(days=8, hours=-2), visit_number="SNF1", setting="snf")
    step(episode_id)  # in care at the SNF
    discharge(patient, at=now - timedelta(days=6), visit_number="SNF1")
    step(episode_id)  # home: follow-up
    transition_discharge_cancel(actor=JOB, patient=patient, visit_number="SNF1", reason="A13")
    step(episode_id)  # back in care
    discharge(patient, at=now - timedelta(days=5), visit_number="SNF1")
    step(episode_id)  # home again
    admit(patient, at=now - timedelta(days=1), visit_number="R1")
    step(episode_id)  # readmitted: closed
    transition_admit_cancel(actor=JOB, patient=patient, visit_number="R1", reason="A11")
    step(episode_id)  # the readmission never happened: watching again
    episode_watch_close(now=now + timedelta(days=40))
    step(episode_id)  # watch over: closed
    assert seen == [
        EpisodeStatus.IN_CARE,
        EpisodeStatus.IN_TRANSIT,
        EpisodeStatus.IN_CARE,
        EpisodeStatus.FOLLOW_UP,
        EpisodeStatus.IN_CARE,
        EpisodeStatus.FOLLOW_UP,
        EpisodeStatus.CLOSED,
        EpisodeStatus.FOLLOW_UP,
        EpisodeStatus.CLOSED,
    ]
    for source, target in pairwise(seen):
        assert EPISODE_STATES.allows(source, target), (source, target)


def test_a_move_outside_the_episode_table_is_refused_and_changes_nothing(patient):
    stay = admit(patient)
    transition_admit_cancel(actor=JOB, patient=patient, visit_number="V1", reason="A11")
    episode = Episode.objects.get(pk=stay.episode_id)
    assert episode.status == EpisodeStatus.CANCELLED
    with pytest.raises(ApplicationError, match="finished"):
        _set_episode(episode, actor=JOB, status=EpisodeStatus.FOLLOW_UP)
    assert _status(episode.pk) == EpisodeStatus.CANCELLED
    assert EPISODE_STATES.moves_from(EpisodeStatus.CANCELLED) == []


def test_the_episode_page_says_what_can_happen_next_from_the_table(client_for, nurse, patient):
    stay = admit(patient)
    body = client_for(nurse).get(f"/transitions/episodes/{stay.episode_id}/").content.decode()
    for move in EPISODE_STATES.moves_from(EpisodeStatus.IN_CARE):
        assert move.label.lower() in body
