"""The admin door goes through the task services: it cannot clear an owner or self-verify."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from apps.accounts.models import Role
from apps.core.models import AuditAction, AuditEvent, AuditSource
from apps.tasks.models import Task, TaskEvent, TaskEventKind, TaskSettings, TaskStatus
from tests import factories
from tests.tasks.factories import make_performed, make_task


@pytest.fixture
def admin_client(client, org_admin):
    client.force_login(org_admin)
    return client


def _change(task, **values):
    data = {
        "title": task.title,
        "description": task.description,
        "due_at_0": task.due_at.strftime("%Y-%m-%d"),
        "due_at_1": task.due_at.strftime("%H:%M:%S"),
        "priority": task.priority,
        "owner": task.owner_id or "",
        "reassign_reason": "",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }
    data.update(values)
    return data


def test_admin_creates_a_task_through_the_service(admin_client, chw, patient):
    response = admin_client.post(
        reverse("admin:tasks_task_add"),
        {
            "patient": patient.pk,
            "title": "Send the care summary",
            "due_at_0": "2026-12-02",
            "due_at_1": "10:00:00",
            "priority": "routine",
            "owner": chw.pk,
            "verification_role": "",
            "reassign_reason": "",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    task = Task.objects.get()
    assert task.owner == chw
    assert TaskEvent.objects.filter(task=task, kind=TaskEventKind.CREATED).exists()
    assert AuditEvent.objects.filter(
        object_type="tasks.task", action=AuditAction.CREATE, source=AuditSource.ADMIN
    ).exists()


def test_admin_cannot_clear_the_owner(admin_client, nurse, chw, patient):
    task = make_task(patient, chw, actor=nurse)
    response = admin_client.post(
        reverse("admin:tasks_task_change", args=[task.pk]), _change(task, owner="")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["owner"]
    task.refresh_from_db()
    assert task.owner == chw


def test_admin_reassignment_needs_a_reason_and_a_team_member(
    admin_client, nurse, chw, outsider, patient
):
    task = make_task(patient, chw, actor=nurse)
    url = reverse("admin:tasks_task_change", args=[task.pk])
    no_reason = admin_client.post(url, _change(task, owner=nurse.pk))
    assert no_reason.context["adminform"].form.errors["reassign_reason"]
    off_team = admin_client.post(url, _change(task, owner=outsider.pk, reassign_reason="Cover"))
    assert off_team.context["adminform"].form.errors["owner"]
    task.refresh_from_db()
    assert task.owner == chw
    done = admin_client.post(url, _change(task, owner=nurse.pk, reassign_reason="CHW retired"))
    assert done.status_code == 302
    task.refresh_from_db()
    assert task.owner == nurse
    event = TaskEvent.objects.get(task=task, kind=TaskEventKind.REASSIGNED)
    assert event.reason == "CHW retired"


def test_admin_cannot_verify_work_it_did_itself(admin_client, org_admin, team, nurse, patient):
    factories.make_member(team, Role.PHARMACIST, user=org_admin)
    task = make_performed(patient, nurse, role=Role.PHARMACIST, doer=org_admin)
    response = admin_client.post(
        reverse("admin:tasks_task_changelist"),
        {"action": "verify_selected", "_selected_action": [task.pk]},
        follow=True,
    )
    assert "cannot also verify" in response.content.decode()
    task.refresh_from_db()
    assert (task.status, task.verified_by) == (TaskStatus.AWAITING_VERIFICATION, None)


def test_admin_verification_still_needs_the_named_role(admin_client, nurse, patient):
    task = make_performed(patient, nurse, role=Role.PHARMACIST)
    admin_client.post(
        reverse("admin:tasks_task_changelist"),
        {"action": "verify_selected", "_selected_action": [task.pk]},
    )
    task.refresh_from_db()
    assert task.status == TaskStatus.AWAITING_VERIFICATION


def test_admin_cannot_delete_tasks_and_its_list_is_audited(admin_client, nurse, patient):
    task = make_task(patient, nurse)
    response = admin_client.get(reverse("admin:tasks_task_changelist"))
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action=AuditAction.LIST, object_type="tasks.task").latest(
        "id"
    )
    assert event.patient_ids == [patient.pk]
    assert admin_client.get(reverse("admin:tasks_task_delete", args=[task.pk])).status_code == 403
    assert Task.objects.filter(pk=task.pk).exists()


def test_admin_sees_only_its_own_organisations_tasks(client, nurse, patient):
    elsewhere = factories.make_organisation()
    staff = factories.make_staff(
        elsewhere, Permission.objects.filter(codename__in=["view_task", "change_task"])
    )
    task = make_task(patient, nurse)
    client.force_login(staff)
    listing = client.get(reverse("admin:tasks_task_changelist"))
    assert task.title not in listing.content.decode()
    response = client.get(reverse("admin:tasks_task_change", args=[task.pk]))
    assert response.status_code == 302  # "doesn't exist" redirect, nothing shown


def test_admin_sets_the_organisations_reminder_timing_through_the_service(
    admin_client, organisation
):
    response = admin_client.post(
        reverse("admin:tasks_tasksettings_add"),
        {"organisation": organisation.pk, "reminder_lead_hours": 6, "escalation_delay_hours": 2},
    )
    assert response.status_code == 302
    settings = TaskSettings.objects.get(organisation=organisation)
    assert (settings.reminder_lead_hours, settings.escalation_delay_hours) == (6, 2)
    assert AuditEvent.objects.filter(object_type="tasks.tasksettings").exists()
