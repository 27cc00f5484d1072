"""Writing tasks. Every open task has exactly one owner, a member of the patient's team."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.core.audit import audit_record
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.patients.models import Patient
from apps.patients.permissions import has_patient_permission
from apps.tasks.models import (
    OPEN_STATUSES,
    Task,
    TaskEvent,
    TaskEventKind,
    TaskPriority,
    TaskSource,
    TaskStatus,
)
from apps.teams.selectors import membership_active

TASK = "tasks.task"


def _require_team_member(*, patient: Patient, user: User, field: str) -> None:
    if membership_active(team_id=patient.care_team_id, user_id=user.pk) is None:
        raise ApplicationError(
            "The owner must be a person on the patient's care team.",
            field_errors={field: ["Choose a current member of the patient's care team."]},
        )


def _require_can_work(actor: User | None, task: Task) -> None:
    """Jobs (actor None), the owner, or anyone with manage_tasks on the team may act."""
    if actor is None or actor.pk == task.owner_id:
        return
    if not has_patient_permission(actor, task.patient, "manage_tasks"):
        raise PermissionDenied("You may not work on this task.")


def _locked(task: Task) -> Task:
    return Task.objects.select_for_update().select_related("patient").get(pk=task.pk)


@transaction.atomic
def task_create(
    *,
    actor: User | None,
    patient: Patient,
    title: str,
    owner: User,
    due_at: datetime,
    priority: str = TaskPriority.ROUTINE,
    description: str = "",
    source_type: str = TaskSource.MANUAL,
    source_id: int | None = None,
    verification_role: str = "",
    idempotency_key: str | None = None,
) -> Task:
    """Creates a task with one accountable owner on the patient's team.

    With an `idempotency_key` a second call returns the first task unchanged,
    so a job that runs twice (or two at once) makes one task.
    """
    if idempotency_key:
        existing = Task.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    if actor is not None and not has_patient_permission(actor, patient, "manage_tasks"):
        raise PermissionDenied("You may not create tasks for this patient.")
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = ["Say what needs doing."]
    if timezone.is_naive(due_at):
        errors["due_at"] = ["The due time needs a time zone."]
    if priority not in TaskPriority.values:
        errors["priority"] = [f"'{priority}' is not a priority."]
    if verification_role and verification_role not in Role.values:
        errors["verification_role"] = [f"'{verification_role}' is not a role."]
    if errors:
        raise ApplicationError("The task is not valid.", field_errors=errors)
    _require_team_member(patient=patient, user=owner, field="owner")
    task = Task(
        patient=patient,
        title=title.strip(),
        description=description,
        due_at=due_at,
        priority=priority,
        owner=owner,
        created_by=actor,
        source_type=source_type,
        source_id=source_id,
        verification_role=verification_role,
        idempotency_key=idempotency_key or None,
    )
    try:
        with transaction.atomic():
            task.save()
    except IntegrityError:
        if idempotency_key:
            # Another worker created it between our check and our insert.
            return Task.objects.get(idempotency_key=idempotency_key)
        raise
    TaskEvent.objects.create(
        task=task, actor=actor, kind=TaskEventKind.CREATED, to_owner=owner, to_status=task.status
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=TASK,
        object_id=task.pk,
        patient_id=patient.pk,
    )
    return task


@transaction.atomic
def task_reassign(*, actor: User | None, task: Task, new_owner: User, reason: str) -> Task:
    """Hands the task to another team member. The reason is kept in the task's history."""
    task = _locked(task)
    if not task.is_open:
        raise ApplicationError("A closed task cannot be reassigned.")
    if (
        actor is not None
        and actor.pk != task.owner_id
        and not has_patient_permission(actor, task.patient, "reassign_tasks")
    ):
        raise PermissionDenied("Only the owner or the lead coordinator may reassign this task.")
    if not reason.strip():
        raise ApplicationError(
            "Say why the task changes hands.", field_errors={"reason": ["A reason is required."]}
        )
    if new_owner.pk == task.owner_id:
        raise ApplicationError(
            "That person already owns the task.", field_errors={"owner": ["Choose someone else."]}
        )
    _require_team_member(patient=task.patient, user=new_owner, field="owner")
    previous = task.owner_id
    task.owner = new_owner
    task.reminded_at = None
    task.escalated_at = None
    task.save(update_fields=["owner", "reminded_at", "escalated_at", "updated_at"])
    TaskEvent.objects.create(
        task=task,
        actor=actor,
        kind=TaskEventKind.REASSIGNED,
        from_owner_id=previous,
        to_owner=new_owner,
        reason=reason.strip(),
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=TASK,
        object_id=task.pk,
        patient_id=task.patient_id,
        detail={"fields": ["owner"]},
    )
    return task


def _set_status(
    task: Task,
    *,
    actor: User | None,
    status: str,
    reason: str = "",
    kind: str = TaskEventKind.STATUS_CHANGED,
    extra_fields: tuple[str, ...] = (),
) -> Task:
    previous = task.status
    task.status = status
    task.status_reason = reason
    if status in (TaskStatus.DONE, TaskStatus.CANCELLED, TaskStatus.FAILED):
        task.completed_at = timezone.now()
    task.save(
        update_fields=["status", "status_reason", "completed_at", "updated_at", *extra_fields]
    )
    TaskEvent.objects.create(
        task=task, actor=actor, kind=kind, from_status=previous, to_status=status, reason=reason
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=TASK,
        object_id=task.pk,
        patient_id=task.patient_id,
        detail={"fields": ["status", *extra_fields]},
    )
    return task


@transaction.atomic
def task_start(*, actor: User | None, task: Task) -> Task:
    task = _locked(task)
    _require_can_work(actor, task)
    if task.status not in (TaskStatus.REQUESTED, TaskStatus.ON_HOLD):
        raise ApplicationError("Only a requested or held task can be started.")
    return _set_status(task, actor=actor, status=TaskStatus.IN_PROGRESS)


@transaction.atomic
def task_hold(*, actor: User | None, task: Task, reason: str) -> Task:
    task = _locked(task)
    _require_can_work(actor, task)
    if task.status not in (TaskStatus.REQUESTED, TaskStatus.IN_PROGRESS):
        raise ApplicationError("Only a requested or started task can be put on hold.")
    if not reason.strip():
        raise ApplicationError(
            "Say why the task is on hold.", field_errors={"reason": ["A reason is required."]}
        )
    return _set_status(task, actor=actor, status=TaskStatus.ON_HOLD, reason=reason.strip())


@transaction.atomic
def task_complete(*, actor: User, task: Task, note: str = "") -> Task:
    """Marks the work done. A task that needs verification waits for a second person."""
    task = _locked(task)
    _require_can_work(actor, task)
    if task.status not in (TaskStatus.REQUESTED, TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD):
        raise ApplicationError("This task is not open for completion.")
    task.performed_by = actor
    task.performed_at = timezone.now()
    if task.verification_role:
        return _set_status(
            task,
            actor=actor,
            status=TaskStatus.AWAITING_VERIFICATION,
            reason=note,
            kind=TaskEventKind.PERFORMED,
            extra_fields=("performed_by", "performed_at"),
        )
    return _set_status(
        task,
        actor=actor,
        status=TaskStatus.DONE,
        reason=note,
        extra_fields=("performed_by", "performed_at"),
    )


@transaction.atomic
def task_verify(*, actor: User, task: Task) -> Task:
    """The independent check: a different person, in the named role on the patient's team."""
    task = _locked(task)
    if task.status != TaskStatus.AWAITING_VERIFICATION:
        raise ApplicationError("This task is not awaiting verification.")
    if actor.pk == task.performed_by_id:
        raise ApplicationError(
            "The person who did the work cannot also verify it.",
            field_errors={"verified_by": ["Ask a colleague to verify."]},
        )
    membership = membership_active(team_id=task.patient.care_team_id, user_id=actor.pk)
    if membership is None or membership.role != task.verification_role:
        raise PermissionDenied(
            f"Verification needs a {Role(task.verification_role).label} on the patient's team."
        )
    task.verified_by = actor
    task.verified_at = timezone.now()
    return _set_status(
        task,
        actor=actor,
        status=TaskStatus.DONE,
        kind=TaskEventKind.VERIFIED,
        extra_fields=("verified_by", "verified_at"),
    )


@transaction.atomic
def task_cancel(*, actor: User | None, task: Task, reason: str) -> Task:
    task = _locked(task)
    _require_can_work(actor, task)
    if not task.is_open:
        return task
    if not reason.strip():
        raise ApplicationError(
            "Say why the task is cancelled.", field_errors={"reason": ["A reason is required."]}
        )
    return _set_status(task, actor=actor, status=TaskStatus.CANCELLED, reason=reason.strip())


@transaction.atomic
def task_fail(*, actor: User | None, task: Task, reason: str) -> Task:
    task = _locked(task)
    _require_can_work(actor, task)
    if task.status not in OPEN_STATUSES:
        raise ApplicationError("This task is already closed.")
    if not reason.strip():
        raise ApplicationError(
            "Say why the task could not be done.",
            field_errors={"reason": ["A reason is required."]},
        )
    return _set_status(task, actor=actor, status=TaskStatus.FAILED, reason=reason.strip())
