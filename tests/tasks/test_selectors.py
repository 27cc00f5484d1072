"""Worklists: what each person sees, orphaned work the moment a member leaves, pinned queries."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import Role
from apps.core.exceptions import NotFoundError
from apps.core.models import AuditAction, AuditEvent
from apps.tasks import selectors, services
from apps.tasks.models import Task
from apps.teams.models import TeamMembership
from apps.teams.services import team_member_remove
from tests import factories
from tests.factories import SETUP
from tests.tasks.factories import make_performed, make_task

NEW_YORK = ZoneInfo("America/New_York")
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=NEW_YORK)


def _titles(rows):
    return [row.title for row in rows]


def _forget_rights(user):
    user.__dict__.pop("_caregraph_team_perms", None)


@time_machine.travel(NOON, tick=False)
def test_my_work_sorts_my_open_tasks_into_overdue_today_and_upcoming(nurse, chw, patient):
    make_task(patient, nurse, title="Late", due_at=NOON - timedelta(hours=3))
    make_task(patient, nurse, title="This evening", due_at=NOON + timedelta(hours=6))
    make_task(patient, nurse, title="Tomorrow", due_at=NOON + timedelta(hours=13))
    make_task(patient, chw, title="Not mine", due_at=NOON - timedelta(hours=1))
    done = make_task(patient, nurse, title="Done already", due_at=NOON - timedelta(hours=1))
    services.task_complete(actor=nurse, task=done)
    work = selectors.my_work_for_user(user=nurse)
    assert _titles(work.overdue) == ["Late"]
    assert _titles(work.due_today) == ["This evening"]
    assert _titles(work.upcoming) == ["Tomorrow"]
    assert work.counts == {
        "overdue": 1,
        "due_today": 1,
        "upcoming": 1,
        "awaiting_my_verification": 0,
        "sent_for_verification": 0,
        "snoozed": 0,
    }
    assert selectors.my_work_counts_for_user(user=nurse) == work.counts


def test_awaiting_my_verification_lists_checks_for_my_role_but_not_my_own_work(
    team, nurse, pharmacist, pcp, patient
):
    by_nurse = make_performed(patient, nurse, role=Role.PHARMACIST)
    by_me = make_performed(patient, pharmacist, role=Role.PHARMACIST)
    for_pcp = make_performed(patient, nurse, role=Role.PCP)
    mine = selectors.my_work_for_user(user=pharmacist)
    assert [row.id for row in mine.awaiting_my_verification] == [by_nurse.pk]
    assert "verify" in mine.awaiting_my_verification[0].actions
    assert [row.id for row in mine.sent_for_verification] == [by_me.pk]
    assert [row.id for row in selectors.my_work_for_user(user=pcp).awaiting_my_verification] == [
        for_pcp.pk
    ]
    nurse_work = selectors.my_work_for_user(user=nurse)
    assert nurse_work.awaiting_my_verification == []
    assert {row.id for row in nurse_work.sent_for_verification} == {by_nurse.pk, for_pcp.pk}
    assert selectors.my_work_counts_for_user(user=pharmacist)["awaiting_my_verification"] == 1


def test_my_work_shows_only_tasks_of_patients_on_my_teams(nurse, chw, patient, other_team):
    kept = make_task(patient, chw, title="Still on the team")
    # The CHW also covers another team, owns a task there, then leaves it.
    other = factories.make_patient(other_team)
    factories.make_member(other_team, user=chw)
    make_task(other, chw, title="Left behind")
    team_member_remove(
        actor=SETUP, membership=TeamMembership.objects.get(user=chw, team=other_team)
    )
    _forget_rights(chw)
    work = selectors.my_work_for_user(user=chw)
    assert [row.id for row in work.rows] == [kept.pk]


def test_my_work_audits_a_list_of_exactly_the_patients_shown(nurse, team, patient, org_admin):
    second = factories.make_patient(team, actor=org_admin)
    make_task(patient, nurse)
    make_task(second, nurse)
    selectors.my_work_for_user(user=nurse)
    event = AuditEvent.objects.filter(actor=nurse, action=AuditAction.LIST).latest("id")
    assert event.object_type == "tasks.task"
    assert event.patient_ids == sorted([patient.pk, second.pk])


def test_orphaned_work_shows_on_the_leads_worklist_the_moment_the_owner_leaves(nurse, chw, patient):
    task = make_task(patient, chw, actor=nurse, title="Food bank referral")
    assert selectors.team_worklist_for_user(user=nurse).orphaned_count == 0
    team_member_remove(actor=SETUP, membership=TeamMembership.objects.get(user=chw))
    worklist = selectors.team_worklist_for_user(user=nurse)
    assert worklist.orphaned_count == 1
    assert [row.id for row in worklist.orphaned] == [task.pk]
    assert worklist.orphaned[0].is_orphaned
    assert "reassign" in worklist.orphaned[0].actions
    # Still exactly one owner: nothing was silently rewritten, only surfaced.
    task.refresh_from_db()
    assert task.owner == chw
    assert [row.id for row in selectors.orphaned_tasks_for_user(user=nurse)] == [task.pk]


def test_a_deactivated_owner_orphans_their_work_too(nurse, chw, patient):
    task = make_task(patient, chw, actor=nurse)
    chw.is_active = False
    chw.save(update_fields=["is_active"])
    assert [row.id for row in selectors.orphaned_tasks_for_user(user=nurse)] == [task.pk]


def test_orphaned_work_is_visible_on_the_new_team_when_the_patient_moves(
    nurse, chw, patient, other_team, org_admin
):
    lead = factories.make_member(other_team, Role.CASE_MANAGER, is_lead=True)
    task = make_task(patient, chw, actor=nurse)
    from apps.patients.services import patient_update

    patient_update(actor=org_admin, patient=patient, care_team=other_team)
    assert [row.id for row in selectors.orphaned_tasks_for_user(user=lead)] == [task.pk]


def test_the_team_worklist_is_for_lead_coordinators_only(pcp, chw, patient):
    make_task(patient, chw)
    with pytest.raises(PermissionDenied):
        selectors.team_worklist_for_user(user=pcp)


def test_team_worklist_filters_by_owner_role_patient_and_overdue(
    team, nurse, chw, social_worker, patient, org_admin
):
    second = factories.make_patient(team, actor=org_admin)
    late = make_task(patient, chw, title="Late", due_in=timedelta(days=-1))
    soon = make_task(patient, social_worker, title="Soon")
    other = make_task(second, chw, title="Other patient")
    filters = selectors.TeamWorklistFilters

    def ids(**values):
        rows = selectors.team_worklist_for_user(user=nurse, filters=filters(**values)).rows
        return {row.id for row in rows}

    assert ids() == {late.pk, soon.pk, other.pk}
    assert ids(owner_id=chw.pk) == {late.pk, other.pk}
    assert ids(role=Role.SOCIAL_WORKER) == {soon.pk}
    assert ids(patient_id=second.pk) == {other.pk}
    assert ids(overdue=True) == {late.pk}
    worklist = selectors.team_worklist_for_user(user=nurse)
    assert (worklist.open_count, worklist.overdue_count) == (3, 1)
    assert {row.owner_role for row in worklist.rows} == {Role.CHW, Role.SOCIAL_WORKER}


def test_team_worklist_shows_only_the_teams_the_user_leads(nurse, outsider, patient, other_patient):
    make_task(patient, nurse)
    hidden = make_task(other_patient, outsider)
    rows = selectors.team_worklist_for_user(user=nurse).rows
    assert hidden.pk not in {row.id for row in rows}


def test_task_detail_of_another_team_is_not_found_and_audited_as_denied(
    nurse, outsider, other_patient
):
    hidden = make_task(other_patient, outsider)
    with pytest.raises(NotFoundError):
        selectors.task_get_for_user(user=nurse, task_id=hidden.pk)
    with pytest.raises(NotFoundError):
        selectors.task_get_for_user(user=nurse, task_id=987_654)
    event = AuditEvent.objects.filter(actor=nurse).order_by("id")[0]
    assert (event.action, event.patient_id) == (AuditAction.DENIED, other_patient.pk)


def test_task_detail_is_audited_as_a_view_and_has_its_history(nurse, chw, patient):
    task = make_task(patient, chw, actor=nurse)
    services.task_reassign(actor=nurse, task=task, new_owner=nurse, reason="Cover")
    found = selectors.task_get_for_user(user=nurse, task_id=task.pk)
    assert [event.kind for event in selectors.task_history(task=found)] == [
        "created",
        "reassigned",
    ]
    assert AuditEvent.objects.filter(
        actor=nurse, action=AuditAction.VIEW, object_type="tasks.task", patient_id=patient.pk
    ).exists()


def test_notifications_about_patients_i_no_longer_see_are_hidden(nurse, chw, patient):
    task = make_task(patient, nurse)
    services.task_reassign(actor=nurse, task=task, new_owner=chw, reason="Visit")
    assert selectors.notification_unread_count(user=chw) == 1
    team_member_remove(actor=SETUP, membership=TeamMembership.objects.get(user=chw))
    _forget_rights(chw)
    assert selectors.notification_list_for_user(user=chw) == []
    assert selectors.notification_unread_count(user=chw) == 0


# --- Pinned query counts --------------------------------------------------------------


def _count_queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def _fill(patient, owner, count):
    for index in range(count):
        make_task(patient, owner, due_in=timedelta(days=index - count // 2))


def test_my_work_costs_the_same_queries_for_5_and_50_tasks(team, nurse, pharmacist, patient):
    def measure():
        _forget_rights(nurse)
        return _count_queries(lambda: selectors.my_work_for_user(user=nurse))

    _fill(patient, nurse, 5)
    make_performed(patient, pharmacist, role=Role.RN_CARE_COORDINATOR)
    small = measure()
    _fill(patient, nurse, 45)
    for _ in range(5):
        make_performed(patient, pharmacist, role=Role.RN_CARE_COORDINATOR)
    assert Task.objects.filter(owner=nurse).count() == 50
    assert measure() == small
    assert small <= 4


def test_team_worklist_costs_the_same_queries_for_5_and_50_tasks(team, nurse, chw, patient):
    def measure():
        _forget_rights(nurse)
        return _count_queries(lambda: selectors.team_worklist_for_user(user=nurse))

    _fill(patient, chw, 5)
    team_member_remove(actor=SETUP, membership=TeamMembership.objects.get(user=chw))
    small = measure()
    _fill(patient, nurse, 45)
    assert measure() == small
    # 7, plus one count per kind of work other apps could not give an owner
    # (follow-ups that could not be scheduled, urgent social needs with no lead).
    assert small <= 9
