"""Snoozing a task: out of its owner's default My work until a date, never past due.

An overdue task is never hidden: snoozing one is refused, a snooze ends on the
task's due date at the latest, and the lists show an overdue task whatever its
snooze (selectors: `task_visible_unsnoozed_condition`).
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Actor
from apps.core.exceptions import ApplicationError
from apps.tasks.events import task_event_record
from apps.tasks.models import Task, TaskEventKind, task_is_overdue
from apps.tasks.services.lifecycle import _locked, _require_can_work, _required_reason


@transaction.atomic
def task_snooze(*, actor: Actor, task: Task, until: date | None, reason: str) -> Task:
    """Hides the open task from its owner's default view until `until` (a date after today,
    at the latest the task's due date), with a reason kept in its history."""
    task = _locked(task)
    _require_can_work(actor, task)
    now = timezone.now()
    if not task.is_open:
        raise ApplicationError("A closed task cannot be snoozed.")
    if task_is_overdue(status=task.status, due_at=task.due_at, now=now):
        raise ApplicationError(
            "An overdue task cannot be snoozed: it stays on the list until it is done, "
            "re-dated or handed on.",
            field_errors={"until": ["This task is already overdue."]},
        )
    today = timezone.localdate(now)
    due_day = timezone.localdate(task.due_at)
    if until is None:
        raise ApplicationError(
            "Say until when.", field_errors={"until": ["Choose the date it comes back."]}
        )
    if until <= today:
        raise ApplicationError(
            "Snooze to a later day.", field_errors={"until": ["Choose a date after today."]}
        )
    if until > due_day:
        raise ApplicationError(
            "A task cannot be snoozed past its due date.",
            field_errors={
                "until": [f"Choose {due_day:%b %d %Y} or earlier, or change the due date."]
            },
        )
    reason = _required_reason(reason, "Say why the task waits.")
    task.snoozed_until = until
    task.snooze_reason = reason
    task.save(update_fields=["snoozed_until", "snooze_reason", "updated_at"])
    task_event_record(
        actor=actor,
        task=task,
        kind=TaskEventKind.SNOOZED,
        fields=["snoozed_until"],
        reason=f"Until {until:%b %d %Y}: {reason}",
    )
    return task


@transaction.atomic
def task_unsnooze(*, actor: Actor, task: Task) -> Task:
    """Brings a snoozed task back onto the default view now; harmless if not snoozed."""
    task = _locked(task)
    _require_can_work(actor, task)
    if task.snoozed_until is None:
        return task
    task.snoozed_until = None
    task.snooze_reason = ""
    task.save(update_fields=["snoozed_until", "snooze_reason", "updated_at"])
    task_event_record(
        actor=actor,
        task=task,
        kind=TaskEventKind.SNOOZED,
        fields=["snoozed_until"],
        reason="Back on the list",
    )
    return task
