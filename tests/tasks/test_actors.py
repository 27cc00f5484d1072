"""Task services name who acts: a person or a job; nothing ("None") is refused, never trusted."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from apps.core.actors import JobActor
from apps.core.models import AuditAction, AuditEvent
from apps.tasks import services
from apps.tasks.models import Task, TaskEvent, TaskEventKind, TaskStatus
from apps.transitions.models import FollowUp
from apps.transitions.services import transition_discharge_cancel
from tests.tasks.factories import make_performed, make_task
from tests.transitions.factories import discharged_home


def test_task_services_refuse_a_missing_actor(organisation, nurse, chw, pharmacist, patient):
    task = make_task(patient, chw, actor=nurse)
    checked = make_performed(patient, nurse, role="pharmacist")
    before = (AuditEvent.objects.count(), TaskEvent.objects.count(), Task.objects.count())
    refused = [
        lambda: services.task_create(
            actor=None, patient=patient, title="X", owner=chw, due_at=timezone.now()
        ),
        lambda: services.task_update(actor=None, task=task, title="Changed"),
        lambda: services.task_reassign(actor=None, task=task, new_owner=nurse, reason="Cover"),
        lambda: services.task_start(actor=None, task=task),
        lambda: services.task_hold(actor=None, task=task, reason="Waiting"),
        lambda: services.task_complete(actor=None, task=task),
        lambda: services.task_cancel(actor=None, task=task, reason="Not needed"),
        lambda: services.task_fail(actor=None, task=task, reason="Unreachable"),
        lambda: services.task_verify(actor=None, task=checked),
        lambda: services.task_bulk_reassign(
            actor=None, task_ids=[task.pk], new_owner=nurse, reason="Cover"
        ),
        lambda: services.task_settings_update(
            actor=None, organisation=organisation, reminder_lead_hours=1, escalation_delay_hours=1
        ),
    ]
    for call in refused:
        with pytest.raises(TypeError):
            call()
    task.refresh_from_db()
    assert (task.status, task.owner, task.title) == (TaskStatus.REQUESTED, chw, task.title)
    assert (AuditEvent.objects.count(), TaskEvent.objects.count(), Task.objects.count()) == before


def test_a_jobs_audit_event_names_its_job_and_the_person_behind_it(nurse, chw, patient):
    job = JobActor(job="transitions.follow_up_schedule", for_user=nurse)
    task = services.task_create(
        actor=job, patient=patient, title="Call", owner=chw, due_at=timezone.now() + timedelta(1)
    )
    services.task_cancel(actor=JobActor(job="nightly.cleanup"), task=task, reason="Obsolete")
    created, cancelled = AuditEvent.objects.filter(
        object_type="tasks.task", object_id=str(task.pk)
    ).order_by("pk")
    assert (created.action, created.actor, created.detail["job"]) == (
        AuditAction.CREATE,
        nurse,
        "transitions.follow_up_schedule",
    )
    assert (cancelled.actor, cancelled.detail["job"]) == (None, "nightly.cleanup")
    assert task.created_by == nurse
    assert TaskEvent.objects.get(task=task, kind=TaskEventKind.CREATED).actor == nurse


def test_a_job_needs_no_persons_rights_but_a_person_does(team, nurse, chw, patient):
    from tests import factories

    viewer = factories.make_member(team, "admin")
    task = make_task(patient, chw, actor=nurse)
    with pytest.raises(PermissionDenied):
        services.task_cancel(actor=viewer, task=task, reason="Not mine to cancel")
    services.task_cancel(actor=JobActor(job="tests.job"), task=task, reason="Obsolete")
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED


def test_a_job_never_verifies_work(nurse, pharmacist, patient):
    checked = make_performed(patient, nurse, role="pharmacist")
    with pytest.raises(PermissionDenied):
        services.task_verify(actor=JobActor(job="tests.job", for_user=pharmacist), task=checked)
    checked.refresh_from_db()
    assert checked.status == TaskStatus.AWAITING_VERIFICATION


def test_follow_up_tasks_cancelled_by_a_persons_action_name_that_person(nurse, patient):
    handoff = discharged_home(patient)
    follow_up = FollowUp.objects.get(handoff=handoff)
    transition_discharge_cancel(actor=nurse, patient=patient, visit_number="V1", reason="A13")
    for task in (follow_up.contact_task, follow_up.visit_task):
        task.refresh_from_db()
        assert task.status == TaskStatus.CANCELLED
        event = (
            AuditEvent.objects.filter(object_type="tasks.task", object_id=str(task.pk))
            .order_by("pk")
            .last()
        )
        assert (event.actor, event.detail["job"]) == (nurse, "transitions.follow_up_undo")
        assert TaskEvent.objects.get(task=task, to_status=TaskStatus.CANCELLED).actor == nurse


def test_the_reminder_sweep_is_a_job_and_its_audit_events_name_it(nurse, chw, patient):
    from apps.tasks.services.reminders import REMINDER_JOB, SWEEP, task_reminders_sweep

    task = make_task(patient, chw, actor=nurse, due_at=timezone.now() - timedelta(hours=1))
    for nobody in (None, nurse):
        with pytest.raises(TypeError):
            task_reminders_sweep(actor=nobody)  # type: ignore[arg-type]
    task.refresh_from_db()
    assert task.reminded_at is None
    assert task_reminders_sweep(actor=SWEEP).reminded == 1
    marks = AuditEvent.objects.filter(
        object_type="tasks.task", object_id=str(task.pk), action=AuditAction.UPDATE
    )
    assert [(mark.actor, mark.detail["job"]) for mark in marks] == [(None, REMINDER_JOB)] * 2
