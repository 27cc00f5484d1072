"""A task's history and its audit trail, written together: one function per domain event.

Every service that changes a task (one task or a batch) records what happened
here, so the task's history (`TaskEvent`, shown on its page) and the audit
trail (`AuditEvent`, for the privacy officer) can never disagree: the person
behind the actor is the history's actor, the job's name goes to the audit.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from apps.accounts.models import Actor
from apps.core.actors import person_behind
from apps.core.audit import audit_event, audit_record_many
from apps.core.models import AuditAction
from apps.core.rows import insert_rows
from apps.tasks.models import Task, TaskEvent


@dataclass(frozen=True)
class TaskHappening:
    """One thing that happened to one task: its history row and the audit event's detail.

    `fields` are the task's changed fields (the audit's "fields"); `detail` adds
    to the audit event only (ids, never patient data).
    """

    task_id: int
    patient_id: int
    kind: str
    action: str = AuditAction.UPDATE
    fields: Sequence[str] = ()
    from_owner_id: int | None = None
    to_owner_id: int | None = None
    from_status: str = ""
    to_status: str = ""
    reason: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    # History only (TaskEvent.changes): [{"field": label, "before": words, "after": words}].
    changes: Sequence[dict[str, str]] = ()


def task_events_record(*, actor: Actor, happenings: Iterable[TaskHappening]) -> list[TaskEvent]:
    """Writes each happening's TaskEvent and AuditEvent, in two inserts whatever their number."""
    happenings = list(happenings)
    person = person_behind(actor)
    events = [
        TaskEvent(
            task_id=happening.task_id,
            actor=person,
            kind=happening.kind,
            from_owner_id=happening.from_owner_id,
            to_owner_id=happening.to_owner_id,
            from_status=happening.from_status,
            to_status=happening.to_status,
            reason=happening.reason,
            changes=list(happening.changes),
        )
        for happening in happenings
    ]
    insert_rows(TaskEvent, events)
    audit_record_many(
        audit_event(
            actor=actor,
            action=happening.action,
            object_type=Task,
            object_id=happening.task_id,
            patient_id=happening.patient_id,
            detail={
                **({"fields": list(happening.fields)} if happening.fields else {}),
                **happening.detail,
            },
        )
        for happening in happenings
    )
    return events


def task_event_record(*, actor: Actor, task: Task, kind: str, **what: Any) -> TaskEvent:
    """One task's TaskEvent and AuditEvent (`what`: the other `TaskHappening` fields)."""
    happening = TaskHappening(task_id=task.pk, patient_id=task.patient_id, kind=kind, **what)
    return task_events_record(actor=actor, happenings=[happening])[0]
