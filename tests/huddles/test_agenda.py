"""The self-building agenda, source by source, with the clock frozen."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import Role
from apps.huddles import services
from apps.huddles.models import AgendaItem, HuddleSettings, ItemSource, ItemStatus
from apps.tasks.models import TaskPriority
from apps.tasks.services import task_complete
from apps.teams.models import TeamMembership
from apps.teams.services import team_member_remove
from tests import factories
from tests.huddles.factories import make_huddle, make_task, open_huddle, run_and_close

NEW_YORK = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=NEW_YORK)


def agenda(huddle):
    return list(AgendaItem.objects.filter(huddle=huddle).order_by("position"))


@pytest.fixture
def frozen():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def test_overdue_task_becomes_an_item_once_its_due_time_passes(frozen, team, nurse, patient):
    make_task(patient, nurse, due_in=timedelta(days=2), title="Call about scales")
    first = open_huddle(team, nurse)
    assert agenda(first) == []
    run_and_close(first, nurse)
    frozen.shift(timedelta(days=5))
    items = agenda(open_huddle(team, nurse))
    assert [(item.source, item.patient_id) for item in items] == [
        (ItemSource.OVERDUE_TASKS, patient.pk)
    ]
    assert items[0].key == f"overdue_tasks:p{patient.pk}"
    assert "3 days late" in items[0].title
    assert any("Call about scales" in entry["detail"] for entry in items[0].evidence)
    assert any(entry["object_type"] == "tasks.task" for entry in items[0].evidence)


def test_overdue_tasks_of_one_patient_make_one_item_with_each_task_as_evidence(
    frozen, team, nurse, pcp, patient
):
    make_task(patient, nurse, due_in=-timedelta(days=1), title="Weigh-in call")
    make_task(patient, pcp, due_in=-timedelta(days=4), title="Review labs")
    make_task(patient, pcp, due_in=timedelta(days=4), title="Not due yet")
    items = agenda(open_huddle(team, nurse))
    assert len(items) == 1
    details = " ".join(entry["detail"] for entry in items[0].evidence)
    assert "Weigh-in call" in details
    assert "Review labs" in details
    assert "Not due yet" not in details
    assert items[0].title.startswith("2 overdue tasks")


def test_work_of_someone_who_left_the_team_is_orphaned_not_overdue(
    frozen, team, nurse, chw, patient
):
    make_task(patient, chw, due_in=-timedelta(days=2), title="Home visit")
    team_member_remove(
        actor=None, membership=TeamMembership.objects.get(team=team, user=chw, ended_at=None)
    )
    items = agenda(open_huddle(team, nurse))
    assert [item.source for item in items] == [ItemSource.ORPHANED_TASKS]
    assert items[0].key == f"orphaned_tasks:p{patient.pk}"
    assert "Home visit" in " ".join(entry["detail"] for entry in items[0].evidence)


def test_orphaned_work_is_surfaced_even_before_it_is_due(frozen, team, nurse, chw, patient):
    make_task(patient, chw, due_in=timedelta(days=10))
    team_member_remove(
        actor=None, membership=TeamMembership.objects.get(team=team, user=chw, ended_at=None)
    )
    assert [item.source for item in agenda(open_huddle(team, nurse))] == [ItemSource.ORPHANED_TASKS]


def test_agenda_is_ordered_by_urgency(frozen, team, nurse, chw, org_admin):
    routine = factories.make_patient(team, actor=org_admin)
    stat = factories.make_patient(team, actor=org_admin)
    orphan = factories.make_patient(team, actor=org_admin)
    make_task(routine, nurse, due_in=-timedelta(days=1))
    make_task(stat, nurse, due_in=-timedelta(days=1), priority=TaskPriority.STAT)
    make_task(orphan, chw, due_in=timedelta(days=1))
    team_member_remove(
        actor=None, membership=TeamMembership.objects.get(team=team, user=chw, ended_at=None)
    )
    items = agenda(open_huddle(team, nurse))
    assert [item.patient_id for item in items] == [stat.pk, orphan.pk, routine.pk]
    assert [item.position for item in items] == [1, 2, 3]
    assert items[0].urgency > items[1].urgency > items[2].urgency


def test_unfinished_item_carries_over_to_the_next_huddle(frozen, team, nurse, patient):
    make_task(patient, nurse, due_in=-timedelta(days=1))
    first = open_huddle(team, nurse)
    (left,) = agenda(first)
    run_and_close(first, nurse)
    frozen.shift(timedelta(days=7))
    second = open_huddle(team, nurse)
    (carried,) = agenda(second)
    assert carried.key == left.key
    assert carried.carried_from_id == left.pk
    assert second.previous_id == first.pk


def test_resolved_item_drops_off_instead_of_carrying_over(frozen, team, nurse, patient):
    task = make_task(patient, nurse, due_in=-timedelta(days=1))
    first = open_huddle(team, nurse)
    assert len(agenda(first)) == 1
    run_and_close(first, nurse)
    task_complete(actor=nurse, task=task)
    frozen.shift(timedelta(days=7))
    assert agenda(open_huddle(team, nurse)) == []


def test_item_discussed_last_time_comes_back_fresh_while_still_true(frozen, team, nurse, patient):
    make_task(patient, nurse, due_in=-timedelta(days=1))
    first = open_huddle(team, nurse)
    (item,) = agenda(first)
    services.huddle_item_discuss(actor=nurse, item=item, decision="Wait for the family")
    run_and_close(first, nurse)
    frozen.shift(timedelta(days=7))
    (again,) = agenda(open_huddle(team, nurse))
    assert again.key == item.key
    assert again.carried_from_id is None
    assert "8 days late" in again.title


def test_manual_item_left_unfinished_carries_over_with_its_note(frozen, team, nurse, patient):
    first = make_huddle(team, nurse)
    services.huddle_item_add(
        actor=nurse, huddle=first, patient=patient, title="Family meeting?", note="Daughter asked"
    )
    services.huddle_open(actor=nurse, huddle=first)
    run_and_close(first, nurse)
    frozen.shift(timedelta(days=7))
    (carried,) = agenda(open_huddle(team, nurse))
    assert carried.source == ItemSource.MANUAL
    assert carried.title == "Family meeting?"
    assert carried.evidence[0]["detail"] == "Daughter asked"
    assert carried.carried_from is not None


def test_limit_keeps_the_most_urgent_and_counts_the_rest(frozen, team, nurse, org_admin):
    HuddleSettings.objects.create(organisation=team.organisation, max_agenda_items=2)
    patients = [factories.make_patient(team, actor=org_admin) for _ in range(3)]
    for days, patient in zip((1, 5, 3), patients, strict=True):
        make_task(patient, nurse, due_in=-timedelta(days=days))
    huddle = open_huddle(team, nurse)
    assert [item.patient_id for item in agenda(huddle)] == [patients[1].pk, patients[2].pk]
    assert huddle.candidates_left_out == 1


def test_carried_items_stay_even_beyond_the_limit(frozen, team, nurse, org_admin):
    HuddleSettings.objects.create(organisation=team.organisation, max_agenda_items=1)
    old = factories.make_patient(team, actor=org_admin)
    make_task(old, nurse, due_in=-timedelta(days=1))
    first = open_huddle(team, nurse)
    run_and_close(first, nurse)
    newer = factories.make_patient(team, actor=org_admin)
    make_task(newer, nurse, due_in=-timedelta(days=1), priority=TaskPriority.STAT)
    frozen.shift(timedelta(days=1))
    items = agenda(open_huddle(team, nurse))
    assert {item.patient_id for item in items} == {old.pk}
    assert items[0].carried_from is not None


def test_refresh_marks_a_matter_resolved_during_the_huddle_and_adds_new_ones(
    frozen, team, nurse, org_admin, patient
):
    task = make_task(patient, nurse, due_in=-timedelta(days=1))
    huddle = open_huddle(team, nurse)
    (item,) = agenda(huddle)
    task_complete(actor=nurse, task=task)
    newcomer = factories.make_patient(team, actor=org_admin)
    make_task(newcomer, nurse, due_in=-timedelta(hours=1))
    services.huddle_agenda_refresh(actor=nurse, huddle=huddle)
    item.refresh_from_db()
    assert item.status == ItemStatus.RESOLVED
    assert [i.patient_id for i in agenda(huddle) if i.is_pending] == [newcomer.pk]


def test_inactive_patients_do_not_come_up(frozen, team, nurse, org_admin, patient):
    from apps.patients.services import patient_update

    make_task(patient, nurse, due_in=-timedelta(days=1))
    patient_update(actor=org_admin, patient=patient, is_active=False)
    assert agenda(open_huddle(team, nurse)) == []


def test_other_teams_work_never_reaches_the_agenda(
    frozen, team, other_team, nurse, outsider, other_patient
):
    make_task(other_patient, outsider, due_in=-timedelta(days=3))
    assert agenda(open_huddle(team, nurse)) == []


def _build_queries(team, nurse):
    huddle = make_huddle(team, nurse)
    with CaptureQueriesContext(connection) as captured:
        services.huddle_open(actor=nurse, huddle=huddle)
    run_and_close(huddle, nurse)
    return len(captured), huddle


def _leave(team, user):
    team_member_remove(
        actor=None, membership=TeamMembership.objects.get(team=team, user=user, ended_at=None)
    )


def _add_patients(team, org_admin, count, *, owner, leaver):
    for _ in range(count):
        patient = factories.make_patient(team, actor=org_admin)
        make_task(patient, owner, due_in=-timedelta(days=2))
        make_task(patient, leaver, due_in=timedelta(days=1))


def test_agenda_query_count_does_not_grow_with_the_team(frozen, team, nurse, org_admin):
    first_leaver = factories.make_member(team, Role.CHW)
    second_leaver = factories.make_member(team, Role.SOCIAL_WORKER)
    _add_patients(team, org_admin, 2, owner=nurse, leaver=first_leaver)
    _leave(team, first_leaver)
    _build_queries(team, nurse)  # a previous huddle with unfinished items, as in every later one
    frozen.shift(timedelta(days=7))
    baseline, small = _build_queries(team, nurse)
    _add_patients(team, org_admin, 25, owner=nurse, leaver=second_leaver)
    _leave(team, second_leaver)
    frozen.shift(timedelta(days=7))
    grown, large = _build_queries(team, nurse)
    assert len(agenda(small)) == 4
    assert len(agenda(large)) == 30  # the default limit; the rest are counted
    large.refresh_from_db()
    assert large.candidates_left_out == 27 * 2 - 30
    assert grown == baseline
    assert baseline <= 20
