"""The follow-up sweep handles each follow-up alone: one that cannot be scheduled is
marked, shown and told to the team, and every other follow-up is scheduled."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.accounts.models import Role
from apps.tasks.models import Notification
from apps.transitions.models import (
    FOLLOW_UP_PROBLEM_STATUSES,
    Episode,
    EpisodeStatus,
    FollowUp,
    FollowUpStatus,
)
from apps.transitions.selectors import follow_up_problems_for_user
from apps.transitions.services import followups
from apps.transitions.services.followups import follow_up_sweep
from tests import factories
from tests.transitions.factories import discharged_home

pytestmark = pytest.mark.django_db


def _world(follow_ups_per_team: int = 3):
    """Two organisations with a working team each; organisation A also has a team whose
    lead was deactivated and whose only other coordinator is an interface account."""
    world = {}
    for name in ("A", "B"):
        organisation = factories.make_organisation(f"Organisation {name}")
        admin = factories.make_user(organisation, is_staff=True, is_superuser=True)
        team = factories.make_team(organisation)
        lead = factories.make_member(team, Role.RN_CARE_COORDINATOR, is_lead=True)
        patients = [factories.make_patient(team, actor=admin) for _ in range(follow_ups_per_team)]
        world[name] = {"organisation": organisation, "admin": admin, "lead": lead}
        world[name]["patients"] = patients
    organisation = world["A"]["organisation"]
    broken_team = factories.make_team(organisation)
    gone_lead = factories.make_member(broken_team, Role.RN_CARE_COORDINATOR, is_lead=True)
    factories.make_member(
        broken_team,
        Role.RN_CARE_COORDINATOR,
        user=factories.make_user(organisation, is_interface=True),
    )
    poisoned_patient = factories.make_patient(broken_team, actor=world["A"]["admin"])
    gone_lead.is_active = False
    gone_lead.save(update_fields=["is_active"])
    world["poisoned_patient"] = poisoned_patient
    world["viewer"] = factories.make_member(broken_team, Role.PHARMACIST)
    return world


def _discharge_everyone(world) -> FollowUp:
    at = timezone.now() - timedelta(hours=1)
    # The poisoned one first: before the fix it stopped the sweep for everyone after it.
    discharged_home(world["poisoned_patient"], at=at, schedule=False)
    for name in ("A", "B"):
        for patient in world[name]["patients"]:
            discharged_home(patient, at=at, schedule=False)
    return FollowUp.objects.get(episode__patient=world["poisoned_patient"])


def test_one_poisoned_follow_up_among_many_across_two_organisations_does_not_stop_the_sweep():
    world = _world()
    poisoned = _discharge_everyone(world)
    later = timezone.now() + timedelta(days=31)

    result = follow_up_sweep(now=later)
    follow_up_sweep(now=later + timedelta(minutes=10))

    others = FollowUp.objects.exclude(pk=poisoned.pk)
    assert others.count() == 6
    assert set(others.values_list("status", flat=True)) == {FollowUpStatus.SCHEDULED}
    assert result["scheduled"] == 6
    assert not Episode.objects.exclude(status=EpisodeStatus.CLOSED).exists()
    poisoned.refresh_from_db()
    assert poisoned.status in FOLLOW_UP_PROBLEM_STATUSES
    assert poisoned.contact_task_id is None
    # Visible where people look, and told once: the team has no live lead, so its
    # organisation's admin hears to name one (without the patient: not on that team).
    assert follow_up_problems_for_user(user=world["viewer"]) == [poisoned]
    told = Notification.objects.filter(kind="transition_follow_up_problem")
    assert list(told.values_list("recipient_id", "patient_id")) == [(world["A"]["admin"].pk, None)]


@pytest.mark.postgresql_only  # an error that aborts the transaction until it rolls back
def test_a_follow_up_that_poisons_its_transaction_is_marked_error_and_its_lead_told_once(
    monkeypatch,
):
    world = _world()
    victim = world["A"]["patients"][1]
    owner_of = followups.follow_up_owner

    def poisoned_owner(*, patient):
        if patient.pk == victim.pk:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 / 0")  # aborts the whole transaction
        return owner_of(patient=patient)

    monkeypatch.setattr(followups, "follow_up_owner", poisoned_owner)
    _discharge_everyone(world)
    later = timezone.now() + timedelta(days=31)

    result = follow_up_sweep(now=later)
    follow_up_sweep(now=later + timedelta(minutes=10))

    failed = FollowUp.objects.get(episode__patient=victim)
    assert failed.status == FollowUpStatus.ERROR
    assert failed.last_error == "DataError"
    assert failed.attempts == 2
    assert result["failed"] == 1  # the victim
    assert result["unassigned"] == 1  # the team without a live owner
    scheduled = FollowUp.objects.filter(status=FollowUpStatus.SCHEDULED)
    assert scheduled.count() == 5
    assert not Episode.objects.exclude(status=EpisodeStatus.CLOSED).exists()
    told = Notification.objects.filter(
        kind="transition_follow_up_problem", recipient=world["A"]["lead"]
    )
    assert told.count() == 1
    assert "Garcia" not in told.get().subject


def test_a_follow_up_marked_error_is_scheduled_once_its_team_is_fixed(monkeypatch):
    world = _world(follow_ups_per_team=1)
    victim = world["B"]["patients"][0]
    owner_of = followups.follow_up_owner
    broken = {"yes": True}

    def flaky_owner(*, patient):
        if patient.pk == victim.pk and broken["yes"]:
            raise RuntimeError("boom")
        return owner_of(patient=patient)

    monkeypatch.setattr(followups, "follow_up_owner", flaky_owner)
    _discharge_everyone(world)
    later = timezone.now() + timedelta(days=1)
    follow_up_sweep(now=later)
    assert FollowUp.objects.get(episode__patient=victim).status == FollowUpStatus.ERROR

    broken["yes"] = False
    follow_up_sweep(now=later + timedelta(minutes=10))

    fixed = FollowUp.objects.get(episode__patient=victim)
    assert fixed.status == FollowUpStatus.SCHEDULED
    assert fixed.last_error == ""


def test_a_failed_follow_up_shows_on_the_board_and_on_its_lead_s_team_worklist(
    monkeypatch, client_for
):
    world = _world(follow_ups_per_team=1)
    victim = world["A"]["patients"][0]

    def broken_owner(*, patient):
        raise RuntimeError("boom")

    monkeypatch.setattr(followups, "follow_up_owner", broken_owner)
    _discharge_everyone(world)
    follow_up_sweep(now=timezone.now() + timedelta(days=1))
    failed = FollowUp.objects.get(episode__patient=victim)

    board = client_for(world["A"]["lead"]).get("/transitions/")
    assert f'id="follow-up-problem-{failed.pk}"' in board.content.decode()
    assert "RuntimeError" in board.content.decode()
    other_board = client_for(world["B"]["lead"]).get("/transitions/")
    assert f'id="follow-up-problem-{failed.pk}"' not in other_board.content.decode()

    worklist = client_for(world["A"]["lead"]).get("/work/team/")
    assert worklist.status_code == 200
    assert worklist.context["worklist"].problems[0].count == 1
    assert 'id="work-problems"' in worklist.content.decode()
