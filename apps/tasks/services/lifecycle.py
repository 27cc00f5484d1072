"""Writing one task. Every open task has exactly one owner, a member of the patient's team."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import dateformat, timezone

from apps.accounts.models import Actor, Role, User, actor_checked
from apps.core.actors import is_job, person_behind
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.core.transactions import atomic_service, in_one_transaction
from apps.patients.models import Patient
from apps.tasks import permissions, states
from apps.tasks.events import task_event_record
from apps.tasks.models import (
    MAX_RECURRENCE_DAYS,
    TASK_TYPE_DUE_AFTER,
    Task,
    TaskEventKind,
    TaskPriority,
    TaskSource,
    TaskStatus,
    TaskType,
)
from apps.tasks.notifications import notification_send
from apps.tasks.sources import TaskChange, task_link_validate, task_source_changed
from apps.tasks.states import task_move
from apps.teams.selectors import live_member_validate, membership_active

ASSIGNED_KIND = "task_assigned"
TITLE_MAX_LENGTH = 200


UPDATE_LABELS = {
    "title": "Title",
    "description": "Details",
    "due_at": "Due",
    "priority": "Priority",
    "recurrence_days": "Repeats",
}
# task_update's "leave how often it repeats as it is" (None means: stop repeating).
KEEP_RECURRENCE = -1


def _in_words(task: Task, name: str) -> str:
    """A field's value as the task page shows it, for the history of a change."""
    if name == "due_at":
        return dateformat.format(timezone.localtime(task.due_at), "M j Y, H:i")
    if name == "priority":
        return task.get_priority_display()
    if name == "recurrence_days":
        if not task.recurrence_days:
            return "once"
        return "weekly" if task.recurrence_days == 7 else f"every {task.recurrence_days} days"
    if name == "description":
        # The details can be long: the history says they changed, the page shows them.
        return "(changed)" if task.description else "(none)"
    return str(getattr(task, name))


def task_link(task_id: int) -> str:
    return reverse("tasks:detail", args=[task_id])


def _require_can_work(actor: Actor, task: Task) -> None:
    """A job acts for the system (no person's rights to check); a person needs the rights in
    tasks.permissions."""
    actor_checked(actor)
    if not is_job(actor) and not permissions.is_task_admin(actor, task.patient):  # type: ignore[arg-type]
        permissions.require_can_work_on_task(actor, task)  # type: ignore[arg-type]


def task_owner_validate(*, patient: Patient, user: User | None, field: str = "owner") -> User:
    """`user`, if they may own a task of `patient`: a live member of the patient's team
    (the one definition, in teams); else ApplicationError on `field`. Forms check early."""
    if user is None:
        raise ApplicationError(
            "A task needs exactly one accountable owner.",
            field_errors={field: ["Choose the person who owns this task."]},
        )
    return live_member_validate(team_id=patient.care_team_id, user=user, field=field)


def _locked(task: Task) -> Task:
    return Task.objects.select_for_update(of=("self",)).select_related("patient").get(pk=task.pk)


def _required_reason(reason: str, message: str) -> str:
    if not reason.strip():
        raise ApplicationError(message, field_errors={"reason": ["A reason is required."]})
    return reason.strip()


@atomic_service
def task_create(
    *,
    actor: Actor,
    patient: Patient,
    title: str,
    owner: User,
    due_at: datetime | None,
    priority: str = TaskPriority.ROUTINE,
    description: str = "",
    source_type: str = TaskSource.MANUAL,
    source_id: int | None = None,
    verification_role: str = "",
    idempotency_key: str | None = None,
    task_type: str = "",
    recurrence_days: int | None = None,
) -> Task:
    """Creates a task with one accountable owner on the patient's team.

    Without a due time, a task of a type is due after its type's default
    (TASK_TYPE_DUE_AFTER). With `recurrence_days`, completing it creates the
    next one that many days after this one's due time. With an
    `idempotency_key` a second call returns the first task unchanged, so a
    job that runs twice (or two at once) makes one task.
    """
    actor_checked(actor)
    if idempotency_key:
        existing = Task.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    if not is_job(actor) and not permissions.can_create_task(actor, patient):  # type: ignore[arg-type]
        raise PermissionDenied("You may not create tasks for this patient.")
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = ["Say what needs doing."]
    elif len(title.strip()) > TITLE_MAX_LENGTH:
        errors["title"] = [f"Keep the title to {TITLE_MAX_LENGTH} characters."]
    if task_type and task_type not in TaskType.values:
        errors["task_type"] = [f"'{task_type}' is not a task type."]
    elif due_at is None and task_type:
        due_at = timezone.now() + TASK_TYPE_DUE_AFTER[task_type]
    if due_at is None or timezone.is_naive(due_at):
        errors["due_at"] = ["The due time needs a date, a time and a time zone."]
    if recurrence_days is not None and not 1 <= recurrence_days <= MAX_RECURRENCE_DAYS:
        errors["recurrence_days"] = [
            f"Repeat every 1 to {MAX_RECURRENCE_DAYS} days, or leave it blank for a one-off."
        ]
    if priority not in TaskPriority.values:
        errors["priority"] = [f"'{priority}' is not a priority."]
    if source_type not in TaskSource.values:
        errors["source_type"] = [f"'{source_type}' is not a task source."]
    if verification_role and verification_role not in Role.values:
        errors["verification_role"] = [f"'{verification_role}' is not a role."]
    if errors or due_at is None:
        raise ApplicationError("The task is not valid.", field_errors=errors)
    task_owner_validate(patient=patient, user=owner, field="owner")
    task_link_validate(source_type=source_type, source_id=source_id, patient=patient, field="goal")
    task = Task(
        patient=patient,
        title=title.strip(),
        description=description,
        due_at=due_at,
        priority=priority,
        owner=owner,
        created_by=person_behind(actor),
        source_type=source_type,
        source_id=source_id,
        verification_role=verification_role,
        idempotency_key=idempotency_key or None,
        task_type=task_type,
        recurrence_days=recurrence_days,
    )
    # Inside one_transaction() (ADT intake) any error rolls the whole unit back, so
    # no savepoint: a parallel insert of the same key fails the unit, and its retry
    # finds the task by its key above.
    whole = in_one_transaction()
    try:
        with transaction.atomic(savepoint=not whole):
            task.save()
    except IntegrityError:
        if idempotency_key and not whole:
            # Another worker created it between our check and our insert.
            return Task.objects.get(idempotency_key=idempotency_key)
        raise
    task_event_record(
        actor=actor,
        task=task,
        kind=TaskEventKind.CREATED,
        action=AuditAction.CREATE,
        to_owner_id=owner.pk,
        to_status=task.status,
    )
    return task


@transaction.atomic
def task_update(
    *,
    actor: Actor,
    task: Task,
    title: str | None = None,
    description: str | None = None,
    due_at: datetime | None = None,
    priority: str | None = None,
    recurrence_days: int | None = KEEP_RECURRENCE,
) -> Task:
    """Changes what the task is about, when it is due or how often it repeats (None: stop
    repeating); the owner changes only by reassignment."""
    task = _locked(task)
    _require_can_work(actor, task)
    if not task.is_open:
        raise ApplicationError("A closed task cannot be changed.")
    values: dict[str, object] = {}
    errors: dict[str, list[str]] = {}
    if title is not None:
        if not title.strip():
            errors["title"] = ["Say what needs doing."]
        elif len(title.strip()) > TITLE_MAX_LENGTH:
            errors["title"] = [f"Keep the title to {TITLE_MAX_LENGTH} characters."]
        values["title"] = title.strip()
    if description is not None:
        values["description"] = description
    if due_at is not None:
        if timezone.is_naive(due_at):
            errors["due_at"] = ["The due time needs a time zone."]
        values["due_at"] = due_at
    if priority is not None:
        if priority not in TaskPriority.values:
            errors["priority"] = [f"'{priority}' is not a priority."]
        values["priority"] = priority
    if recurrence_days != KEEP_RECURRENCE:
        if recurrence_days is not None and not 1 <= recurrence_days <= MAX_RECURRENCE_DAYS:
            errors["recurrence_days"] = [
                f"Repeat every 1 to {MAX_RECURRENCE_DAYS} days, or leave it blank for a one-off."
            ]
        values["recurrence_days"] = recurrence_days
    if errors:
        raise ApplicationError("The task is not valid.", field_errors=errors)
    changed = sorted(name for name, value in values.items() if getattr(task, name) != value)
    if not changed:
        return task
    before = {name: _in_words(task, name) for name in changed}
    for name in changed:
        setattr(task, name, values[name])
    task.save(update_fields=[*changed, "updated_at"])
    task_event_record(
        actor=actor,
        task=task,
        kind=TaskEventKind.UPDATED,
        fields=changed,
        changes=[
            {"field": UPDATE_LABELS[name], "before": before[name], "after": _in_words(task, name)}
            for name in changed
        ],
    )
    task_source_changed(
        TaskChange(actor=actor, task=task, kind=TaskEventKind.UPDATED, detail={"fields": changed})
    )
    return task


@transaction.atomic
def task_reassign(*, actor: Actor, task: Task, new_owner: User, reason: str) -> Task:
    """Hands the task to another team member. The reason is kept in the task's history.

    The row is locked first, so two reassignments at once happen one after the
    other and the history shows an unbroken chain of owners. The new owner is
    told (unless they reassigned it to themselves); a reminder or escalation
    already sent is not repeated.
    """
    actor_checked(actor)
    task = _locked(task)
    if not task.is_open:
        raise ApplicationError("A closed task cannot be reassigned.")
    if not is_job(actor) and not permissions.is_task_admin(actor, task.patient):  # type: ignore[arg-type]
        permissions.require_can_reassign_task(actor, task)  # type: ignore[arg-type]
    reason = _required_reason(reason, "Say why the task changes hands.")
    if new_owner is not None and new_owner.pk == task.owner_id:
        raise ApplicationError(
            "That person already owns the task.", field_errors={"owner": ["Choose someone else."]}
        )
    task_owner_validate(patient=task.patient, user=new_owner, field="owner")
    previous = task.owner_id
    task.owner = new_owner
    task.save(update_fields=["owner", "updated_at"])
    person = person_behind(actor)
    event = task_event_record(
        actor=actor,
        task=task,
        kind=TaskEventKind.REASSIGNED,
        fields=["owner"],
        from_owner_id=previous,
        to_owner_id=new_owner.pk,
        reason=reason,
    )
    task_source_changed(
        TaskChange(actor=actor, task=task, kind=TaskEventKind.REASSIGNED, from_owner_id=previous)
    )
    if person is None or person.pk != new_owner.pk:
        notification_send(
            recipient=new_owner,
            idempotency_key=f"task:{task.pk}:assigned:{event.pk}",
            kind=ASSIGNED_KIND,
            subject=f"Task handed to you: {task.title}"[:200],
            body=reason,
            link=task_link(task.pk),
            patient=task.patient,
            task=task,
        )
    return task


def _set_status(
    task: Task,
    *,
    actor: Actor,
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
    task_event_record(
        actor=actor,
        task=task,
        kind=kind,
        fields=["status", *extra_fields],
        from_status=previous,
        to_status=status,
        reason=reason,
    )
    task_source_changed(TaskChange(actor=actor, task=task, kind=kind, from_status=previous))
    if status == TaskStatus.DONE and task.recurrence_days:
        # Every door to "done" (complete, verify; page, API, admin, a source's own page)
        # passes here, so the next occurrence is made once, in the same transaction.
        from apps.tasks.services.recurrence import task_next_occurrence

        task_next_occurrence(actor=actor, task=task)
    return task


def _move_locked(
    task: Task, *, actor: Actor, target: str, action: str, reason: str = "", why: str = ""
) -> Task:
    """A plain status move of a locked task: the transition table allows it, a reason is
    given when the move needs one (`why` says what to ask), then history and audit."""
    task_move(task.status, target, action)
    if why:
        reason = _required_reason(reason, why)
    return _set_status(task, actor=actor, status=target, reason=reason)


@transaction.atomic
def task_start(*, actor: Actor, task: Task) -> Task:
    task = _locked(task)
    _require_can_work(actor, task)
    return _move_locked(task, actor=actor, target=TaskStatus.IN_PROGRESS, action=states.START)


@transaction.atomic
def task_hold(*, actor: Actor, task: Task, reason: str) -> Task:
    task = _locked(task)
    _require_can_work(actor, task)
    return _move_locked(
        task,
        actor=actor,
        target=TaskStatus.ON_HOLD,
        action=states.HOLD,
        reason=reason,
        why="Say why the task is on hold.",
    )


@transaction.atomic
def task_complete(*, actor: Actor, task: Task, note: str = "") -> Task:
    """Marks the work done. A task that needs verification waits for a second person."""
    task = _locked(task)
    _require_can_work(actor, task)
    target = TaskStatus.AWAITING_VERIFICATION if task.verification_role else TaskStatus.DONE
    task_move(task.status, target, states.COMPLETE)
    task.performed_by = person_behind(actor)
    task.performed_at = timezone.now()
    if task.verification_role:
        return _set_status(
            task,
            actor=actor,
            status=TaskStatus.AWAITING_VERIFICATION,
            reason=note.strip(),
            kind=TaskEventKind.PERFORMED,
            extra_fields=("performed_by", "performed_at"),
        )
    return _set_status(
        task,
        actor=actor,
        status=TaskStatus.DONE,
        reason=note.strip(),
        extra_fields=("performed_by", "performed_at"),
    )


@transaction.atomic
def task_verify(*, actor: User, task: Task) -> Task:
    """The independent check: a different person, in the named role on the patient's team.
    Only a person verifies: a job never does."""
    if not isinstance(actor_checked(actor), User):
        raise PermissionDenied("Only a person may verify work.")
    task = _locked(task)
    task_move(task.status, TaskStatus.DONE, states.VERIFY)
    if actor.pk == task.performed_by_id:
        raise ApplicationError(
            "The person who did the work cannot also verify it.",
            field_errors={"verified_by": ["Ask a colleague to verify."]},
        )
    membership = membership_active(team_id=task.patient.care_team_id, user_id=actor.pk)
    if not permissions.can_verify_task(
        actor, task, role_on_team=membership.role if membership else None
    ):
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
def task_cancel(*, actor: Actor, task: Task, reason: str) -> Task:
    task = _locked(task)
    _require_can_work(actor, task)
    if not task.is_open:
        return task  # cancelling twice is harmless
    return _move_locked(
        task,
        actor=actor,
        target=TaskStatus.CANCELLED,
        action=states.CANCEL,
        reason=reason,
        why="Say why the task is cancelled.",
    )


@transaction.atomic
def task_fail(*, actor: Actor, task: Task, reason: str) -> Task:
    task = _locked(task)
    _require_can_work(actor, task)
    return _move_locked(
        task,
        actor=actor,
        target=TaskStatus.FAILED,
        action=states.FAIL,
        reason=reason,
        why="Say why the task could not be done.",
    )
