"""Huddle services: scheduling, the meeting's rules, decisions and the tasks they make."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import Role
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditEvent
from apps.huddles import services
from apps.huddles.models import (
    AgendaItem,
    Huddle,
    HuddleAttendance,
    HuddleStatus,
    ItemSource,
    ItemStatus,
    Weekday,
)
from apps.tasks.models import Task, TaskSource
from apps.teams.models import TeamMembership
from apps.teams.services import team_member_remove
from tests import factories
from tests.factories import SETUP
from tests.huddles.factories import make_huddle, make_task, open_huddle, run_and_close

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def item(team, nurse, pcp, patient):
    make_task(patient, pcp, due_in=-timedelta(days=1))
    huddle = open_huddle(team, nurse)
    return AgendaItem.objects.select_related("huddle").get(huddle=huddle)


def soon():
    return timezone.now() + timedelta(days=2)


# --- scheduling -------------------------------------------------------------------------


def test_lead_coordinator_schedules_a_huddle_with_the_default_time_box(team, nurse):
    huddle = services.huddle_schedule(actor=nurse, team=team, scheduled_start=soon())
    assert huddle.status == HuddleStatus.SCHEDULED
    assert huddle.duration_minutes == 30
    assert huddle.title == "Northside huddle"
    assert AuditEvent.objects.filter(object_type="huddles.huddle", object_id=huddle.pk).exists()


@pytest.mark.parametrize("member", ["pcp", "social_worker", "chw", "pharmacist", "outsider"])
def test_members_without_run_huddles_cannot_schedule(request, team, member):
    user = request.getfixturevalue(member)
    with pytest.raises(PermissionDenied):
        services.huddle_schedule(actor=user, team=team, scheduled_start=soon())
    assert not Huddle.objects.exists()


def test_a_non_lead_rn_coordinator_may_run_huddles(team):
    second_nurse = factories.make_member(team, Role.RN_CARE_COORDINATOR)
    assert services.huddle_schedule(actor=second_nurse, team=team, scheduled_start=soon())


def test_organisation_admin_may_schedule_through_the_admin_door(team, org_admin):
    assert services.huddle_schedule(actor=org_admin, team=team, scheduled_start=soon())


@pytest.mark.parametrize("minutes", [0, 4, 241])
def test_time_box_outside_5_to_240_minutes_is_refused(team, nurse, minutes):
    with pytest.raises(ApplicationError) as error:
        services.huddle_schedule(
            actor=nurse, team=team, scheduled_start=soon(), duration_minutes=minutes or -1
        )
    assert "duration_minutes" in error.value.field_errors


def test_naive_start_is_refused(team, nurse):
    naive = datetime(2030, 1, 1, 9)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ApplicationError):
        services.huddle_schedule(actor=nurse, team=team, scheduled_start=naive)


def test_weekly_tuesday_series_makes_four_weeks_of_huddles_at_nine_local(team, nurse):
    with time_machine.travel(datetime(2026, 3, 5, 12, tzinfo=NEW_YORK), tick=False):  # Thursday
        series = services.huddle_series_create(
            actor=nurse, team=team, weekday=Weekday.TUESDAY, start_time=time(9, 0)
        )
    starts = [
        timezone.localtime(h.scheduled_start)
        for h in Huddle.objects.filter(series=series).order_by("scheduled_start")
    ]
    assert [start.date() for start in starts] == [
        date(2026, 3, 10),
        date(2026, 3, 17),
        date(2026, 3, 24),
        date(2026, 3, 31),
    ]
    # 9:00 local on both sides of the change to daylight saving time (8 March 2026).
    assert {(start.hour, start.minute) for start in starts} == {(9, 0)}
    assert series.rule_display == "Every Tuesday at 09:00"


def test_fortnightly_series_skips_every_other_week(team, nurse):
    with time_machine.travel(datetime(2026, 3, 2, 8, tzinfo=NEW_YORK), tick=False):  # Monday
        series = services.huddle_series_create(
            actor=nurse,
            team=team,
            weekday=Weekday.MONDAY,
            start_time=time(14, 30),
            interval_weeks=2,
        )
    days = [h.occurrence_on for h in Huddle.objects.filter(series=series)]
    assert sorted(days) == [date(2026, 3, 2), date(2026, 3, 16), date(2026, 3, 30)]


def test_extending_a_series_twice_adds_nothing_and_keeps_a_moved_occurrence(team, nurse):
    with time_machine.travel(datetime(2026, 3, 5, 12, tzinfo=NEW_YORK), tick=False):
        series = services.huddle_series_create(
            actor=nurse, team=team, weekday=Weekday.TUESDAY, start_time=time(9, 0)
        )
        first = Huddle.objects.filter(series=series).order_by("scheduled_start").first()
        services.huddle_update(
            actor=nurse, huddle=first, scheduled_start=first.scheduled_start + timedelta(hours=2)
        )
        assert services.huddle_series_extend(actor=nurse, series=series) == []
        assert Huddle.objects.filter(series=series).count() == 4
    with time_machine.travel(datetime(2026, 3, 12, 12, tzinfo=NEW_YORK), tick=False):
        added = services.huddle_series_extend(actor=nurse, series=series)
    assert [h.occurrence_on for h in added] == [date(2026, 4, 7)]


def test_ending_a_series_cancels_its_future_huddles_with_a_reason(team, nurse):
    series = services.huddle_series_create(
        actor=nurse, team=team, weekday=timezone.localdate().weekday(), start_time=time(23, 0)
    )
    cancelled = services.huddle_series_end(actor=nurse, series=series)
    assert cancelled >= 3
    assert set(
        Huddle.objects.filter(series=series, status=HuddleStatus.CANCELLED).values_list(
            "cancelled_reason", flat=True
        )
    ) == {"The series ended."}
    assert services.huddle_series_extend(actor=nurse, series=series) == []


def test_cancel_needs_a_reason_and_only_before_the_start(team, nurse):
    huddle = make_huddle(team, nurse)
    with pytest.raises(ApplicationError):
        services.huddle_cancel(actor=nurse, huddle=huddle, reason=" ")
    services.huddle_cancel(actor=nurse, huddle=huddle, reason="Team away day")
    huddle.refresh_from_db()
    assert (huddle.status, huddle.cancelled_reason) == (HuddleStatus.CANCELLED, "Team away day")
    with pytest.raises(ApplicationError):
        services.huddle_open(actor=nurse, huddle=huddle)


# --- opening and closing ------------------------------------------------------------------


def test_opening_lists_every_current_member_for_attendance_with_their_role(
    team, nurse, pcp, chw, social_worker
):
    huddle = open_huddle(team, nurse)
    rows = {row.user_id: row for row in HuddleAttendance.objects.filter(huddle=huddle)}
    assert set(rows) == {nurse.pk, pcp.pk, chw.pk, social_worker.pk}
    assert rows[nurse.pk].is_lead
    assert rows[chw.pk].role == Role.CHW
    assert not any(row.present for row in rows.values())


def test_a_team_has_one_huddle_in_progress_at_a_time(team, nurse):
    open_huddle(team, nurse)
    with pytest.raises(ApplicationError):
        open_huddle(team, nurse)
    with pytest.raises(IntegrityError), transaction.atomic():
        Huddle.objects.filter(status=HuddleStatus.SCHEDULED).update(
            status=HuddleStatus.OPEN, opened_at=timezone.now()
        )


def test_closing_needs_someone_marked_present(team, nurse):
    huddle = open_huddle(team, nurse)
    with pytest.raises(ApplicationError) as error:
        services.huddle_close(actor=nurse, huddle=huddle, carry_over=True)
    assert "attendance" in error.value.field_errors
    services.huddle_attendance_set(actor=nurse, huddle=huddle, user_id=nurse.pk, present=True)
    assert (
        services.huddle_close(actor=nurse, huddle=huddle, carry_over=True).status
        == HuddleStatus.CLOSED
    )


def test_attendance_can_add_someone_who_joined_after_opening_but_not_an_outsider(
    team, nurse, outsider
):
    huddle = open_huddle(team, nurse)
    newcomer = factories.make_member(team, Role.NAVIGATOR)
    row = services.huddle_attendance_set(
        actor=nurse, huddle=huddle, user_id=newcomer.pk, present=True
    )
    assert (row.role, row.present) == (Role.NAVIGATOR, True)
    with pytest.raises(ApplicationError):
        services.huddle_attendance_set(
            actor=nurse, huddle=huddle, user_id=outsider.pk, present=True
        )


def test_nothing_changes_on_a_closed_huddle(team, nurse, item):
    run_and_close(item.huddle, nurse)
    with pytest.raises(ApplicationError):
        services.huddle_item_discuss(actor=nurse, item=item, decision="Too late")
    with pytest.raises(ApplicationError):
        services.huddle_item_skip(actor=nurse, item=item, reason="Too late")
    with pytest.raises(ApplicationError):
        services.huddle_attendance_set(
            actor=nurse, huddle=item.huddle, user_id=nurse.pk, present=False
        )


# --- items ------------------------------------------------------------------------------


def test_item_cannot_be_closed_as_discussed_without_a_decision_or_a_reason(nurse, item):
    with pytest.raises(ApplicationError) as error:
        services.huddle_item_discuss(actor=nurse, item=item, decision="  ", reason="")
    assert set(error.value.field_errors) == {"decision", "reason"}
    item.refresh_from_db()
    assert item.status == ItemStatus.PENDING


def test_item_closes_with_a_decision_and_records_the_time_spent(team, nurse, item):
    with time_machine.travel(item.huddle.opened_at + timedelta(minutes=3), tick=False):
        closed = services.huddle_item_discuss(actor=nurse, item=item, decision="Visit Friday")
    assert (closed.status, closed.decision, closed.seconds_spent) == (
        ItemStatus.DISCUSSED,
        "Visit Friday",
        180,
    )


def test_item_closes_with_a_reason_when_there_is_no_decision(nurse, item):
    closed = services.huddle_item_discuss(actor=nurse, item=item, reason="Waiting for results")
    assert (closed.status, closed.reason) == (ItemStatus.DISCUSSED, "Waiting for results")


def test_database_refuses_a_discussed_item_without_decision_or_reason(item):
    with pytest.raises(IntegrityError), transaction.atomic():
        AgendaItem.objects.filter(pk=item.pk).update(status=ItemStatus.DISCUSSED)


def test_a_saved_decision_counts_when_closing_later(nurse, item):
    services.huddle_item_decision_record(actor=nurse, item=item, decision="Ask the pharmacist")
    closed = services.huddle_item_discuss(actor=nurse, item=item)
    assert closed.decision == "Ask the pharmacist"


def test_skip_needs_a_reason(nurse, item):
    with pytest.raises(ApplicationError):
        services.huddle_item_skip(actor=nurse, item=item, reason="")
    skipped = services.huddle_item_skip(actor=nurse, item=item, reason="In hospital")
    assert skipped.status == ItemStatus.SKIPPED


def test_reopen_puts_an_item_back(nurse, item):
    services.huddle_item_skip(actor=nurse, item=item, reason="Later")
    assert services.huddle_item_reopen(actor=nurse, item=item).status == ItemStatus.PENDING


def test_coordinator_adds_a_patient_of_the_team_before_the_huddle(team, nurse, patient):
    huddle = make_huddle(team, nurse)
    added = services.huddle_item_add(
        actor=nurse, huddle=huddle, patient=patient, title="Goals of care", note="Family asks"
    )
    assert (added.source, added.added_by, added.position) == (ItemSource.MANUAL, nurse, 1)
    assert AuditEvent.objects.filter(
        object_type="huddles.agendaitem", patient_id=patient.pk, action=AuditAction.CREATE
    ).exists()


def test_coordinator_cannot_add_another_teams_patient(team, nurse, other_patient):
    huddle = make_huddle(team, nurse)
    with pytest.raises(ApplicationError) as error:
        services.huddle_item_add(actor=nurse, huddle=huddle, patient=other_patient, title="X")
    assert "patient" in error.value.field_errors
    assert not AgendaItem.objects.exists()


def test_reorder_needs_every_item_once(team, nurse, patient, item):
    second = services.huddle_item_add(actor=nurse, huddle=item.huddle, patient=patient, title="B")
    with pytest.raises(ApplicationError):
        services.huddle_agenda_reorder(actor=nurse, huddle=item.huddle, item_ids=[second.pk])
    services.huddle_agenda_reorder(actor=nurse, huddle=item.huddle, item_ids=[second.pk, item.pk])
    assert list(item.huddle.items.values_list("pk", flat=True)) == [second.pk, item.pk]


# --- tasks from decisions -----------------------------------------------------------------


def test_task_from_an_item_has_one_owner_on_the_team_and_points_back_to_the_item(nurse, pcp, item):
    due = timezone.now() + timedelta(days=2)
    task = services.huddle_item_task_create(
        actor=nurse, item=item, title="Call the lab", owner=pcp, due_at=due
    )
    assert (task.owner, task.patient_id, task.due_at) == (pcp, item.patient_id, due)
    assert (task.source_type, task.source_id) == (TaskSource.HUDDLE, item.pk)
    assert task.idempotency_key.startswith(f"huddle-item:{item.pk}:")


def test_same_token_twice_makes_one_task(nurse, pcp, item):
    due = timezone.now() + timedelta(days=2)
    first = services.huddle_item_task_create(
        actor=nurse, item=item, title="Call", owner=pcp, due_at=due, token="abc"
    )
    again = services.huddle_item_task_create(
        actor=nurse, item=item, title="Call", owner=pcp, due_at=due, token="abc"
    )
    assert first.pk == again.pk
    assert Task.objects.filter(source_type=TaskSource.HUDDLE).count() == 1


def test_no_path_creates_a_huddle_task_without_exactly_one_owner_on_the_team(
    team, nurse, chw, outsider, item
):
    due = timezone.now() + timedelta(days=1)
    with pytest.raises(ApplicationError) as error:
        services.huddle_item_task_create(actor=nurse, item=item, title="X", owner=None, due_at=due)
    assert "owner" in error.value.field_errors
    with pytest.raises(ApplicationError):
        services.huddle_item_task_create(
            actor=nurse, item=item, title="X", owner=outsider, due_at=due
        )
    team_member_remove(
        actor=SETUP, membership=TeamMembership.objects.get(team=team, user=chw, ended_at=None)
    )
    with pytest.raises(ApplicationError):
        services.huddle_item_task_create(actor=nurse, item=item, title="X", owner=chw, due_at=due)
    assert not Task.objects.filter(source_type=TaskSource.HUDDLE).exists()
    # And the database itself refuses an open task without an owner.
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=Task.objects.first().pk).update(owner=None)


def test_task_needs_a_due_time_in_the_future(nurse, pcp, item):
    with pytest.raises(ApplicationError) as error:
        services.huddle_item_task_create(actor=nurse, item=item, title="X", owner=pcp, due_at=None)
    assert "due_at" in error.value.field_errors
    with pytest.raises(ApplicationError):
        services.huddle_item_task_create(
            actor=nurse, item=item, title="X", owner=pcp, due_at=timezone.now() - timedelta(1)
        )


def test_only_a_coordinator_turns_decisions_into_tasks(pcp, item):
    with pytest.raises(PermissionDenied):
        services.huddle_item_task_create(actor=pcp, item=item, title="X", owner=pcp, due_at=soon())
    assert not Task.objects.filter(source_type=TaskSource.HUDDLE).exists()


def test_no_tasks_from_a_skipped_item(nurse, pcp, item):
    services.huddle_item_skip(actor=nurse, item=item, reason="Not today")
    with pytest.raises(ApplicationError):
        services.huddle_item_task_create(
            actor=nurse, item=item, title="X", owner=pcp, due_at=soon()
        )
