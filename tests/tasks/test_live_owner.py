"""Work and its reminders follow the one rule for who may own work: a live team member."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from apps.accounts.models import Role, User
from apps.core.exceptions import ApplicationError
from apps.tasks import services
from apps.tasks.models import Notification, Task, TaskEvent, TaskEventKind
from apps.tasks.notifications import notification_send
from apps.tasks.services.reminders import ORPHANED_KIND, SWEEP, reminder_key, task_reminders_sweep
from apps.tasks.workers import notification_email_task
from apps.teams.services import team_member_add, user_deactivate
from tests import factories
from tests.tasks.factories import make_task

MONDAY_9AM = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("America/New_York"))


@pytest.fixture(autouse=True)
def _mailboxes(nurse, chw, pcp):
    for user in (nurse, chw, pcp):
        user.email = f"{user.username}@clinic.test"
        User.objects.filter(pk=user.pk).update(email=user.email)


@time_machine.travel(MONDAY_9AM, tick=False)
def test_deactivated_owner_gets_no_reminder_the_lead_is_told_of_orphaned_work(
    nurse, chw, pcp, org_admin, patient
):
    orphaned = make_task(patient, chw, actor=nurse, due_at=MONDAY_9AM + timedelta(hours=5))
    kept = make_task(patient, pcp, actor=nurse, due_at=MONDAY_9AM + timedelta(hours=5))
    user_deactivate(actor=org_admin, user=chw, reason="Left the organisation")

    assert task_reminders_sweep(actor=SWEEP).reminded == 2
    assert task_reminders_sweep(actor=SWEEP).reminded == 0

    assert not Notification.objects.filter(recipient=chw).exists()
    told = Notification.objects.get(recipient=nurse)
    assert (told.kind, told.idempotency_key, told.task_id) == (
        ORPHANED_KIND,
        reminder_key(orphaned.pk),
        orphaned.pk,
    )
    assert chw.display_name in told.subject
    assert "deactivated" in told.subject
    assert Notification.objects.get(recipient=pcp).task_id == kept.pk
    notification_email_task(told.pk)
    assert [message.to for message in mail.outbox] == [["nurse@clinic.test"]]
    event = TaskEvent.objects.get(task=orphaned, kind=TaskEventKind.REMINDED)
    assert "lead" in event.reason


@time_machine.travel(MONDAY_9AM, tick=False)
def test_orphaned_work_without_a_live_lead_waits_for_one_to_be_named(
    team, nurse, chw, org_admin, patient
):
    task = make_task(patient, chw, actor=nurse, due_at=MONDAY_9AM + timedelta(hours=5))
    user_deactivate(actor=org_admin, user=chw, reason="Left")
    user_deactivate(actor=org_admin, user=nurse, reason="Left")
    assert task_reminders_sweep(actor=SWEEP).reminded == 0
    assert not Notification.objects.exists()
    newcomer = factories.make_user(team.organisation)
    team_member_add(actor=org_admin, team=team, user=newcomer, role=Role.CASE_MANAGER, is_lead=True)
    assert task_reminders_sweep(actor=SWEEP).reminded == 1
    assert Notification.objects.get().recipient == newcomer
    task.refresh_from_db()
    assert task.reminded_at == MONDAY_9AM


def test_a_deactivated_account_is_never_emailed_or_notified(nurse, chw, org_admin, patient):
    earlier = notification_send(recipient=chw, idempotency_key="before", kind="x", subject="Hi")
    user_deactivate(actor=org_admin, user=chw, reason="Left")
    chw.refresh_from_db()
    notification_email_task(earlier.pk)
    assert mail.outbox == []
    assert notification_send(recipient=chw, idempotency_key="after", kind="x", subject="Hi") is None
    assert Notification.objects.filter(recipient=chw).count() == 1


def test_bulk_reassignment_refuses_a_deactivated_owner(nurse, chw, pcp, org_admin, patient):
    task = make_task(patient, pcp, actor=nurse)
    user_deactivate(actor=org_admin, user=chw, reason="Left")
    with pytest.raises(ApplicationError) as error:
        services.task_bulk_reassign(actor=nurse, task_ids=[task.pk], new_owner=chw, reason="Cover")
    assert "owner" in error.value.field_errors
    task.refresh_from_db()
    assert task.owner == pcp


def test_an_interface_account_cannot_own_a_task(team, nurse, patient):
    interface = factories.make_user(team.organisation, is_interface=True)
    factories.make_member(team, user=interface)
    with pytest.raises(ApplicationError):
        make_task(patient, interface, actor=nurse)
    assert not Task.objects.exists()


def test_admin_orphaned_filter_shows_a_deactivated_owners_work(
    client, nurse, chw, pcp, org_admin, patient
):
    orphaned = make_task(patient, chw, actor=nurse, title="Orphaned visit")
    make_task(patient, pcp, actor=nurse, title="Owned call")
    user_deactivate(actor=org_admin, user=chw, reason="Left")
    client.force_login(org_admin)
    page = client.get(reverse("admin:tasks_task_changelist"), {"orphaned": "yes"})
    assert list(page.context["cl"].result_list) == [orphaned]


def test_admin_owner_choices_list_only_live_members(client, team, nurse, chw, pcp, org_admin):
    patient = factories.make_patient(team, actor=org_admin)
    task = make_task(patient, pcp, actor=nurse)
    user_deactivate(actor=org_admin, user=chw, reason="Left")
    client.force_login(org_admin)
    page = client.get(reverse("admin:tasks_task_change", args=[task.pk]))
    choices = set(page.context["adminform"].form.fields["owner"].queryset)
    assert {nurse, pcp} <= choices
    assert chw not in choices
    assert org_admin not in choices
