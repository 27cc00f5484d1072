"""Writing the audit trail. Call `audit_record` inside the transaction of the change."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection, models

from apps.core.actors import JobActor, person_behind
from apps.core.context import current_context
from apps.core.models import AuditAction, AuditEvent, AuditSource
from apps.core.rows import insert_rows


class _Collected:
    """Events recorded inside `audit_collected()`, waiting for the one INSERT at its end."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []
        self.savepoints = _open_savepoints()


_collected: ContextVar[_Collected | None] = ContextVar("caregraph_audit_collected", default=None)


def _open_savepoints() -> int:
    return sum(1 for sid in connection.savepoint_ids if sid is not None)


@contextmanager
def audit_collected() -> Iterator[None]:
    """Events recorded inside are written in one INSERT when the block ends without error.

    Use inside the transaction the events belong to (`apps.core.transactions.
    one_transaction` does). On an error nothing collected is written: the
    transaction rolls back anyway. An event recorded inside a savepoint opened
    within the block is written at once, so that rolling the savepoint back
    takes its events with it.
    """
    if _collected.get() is not None:
        yield
        return
    collected = _Collected()
    token = _collected.set(collected)
    try:
        yield
    finally:
        _collected.reset(token)
    if collected.events:
        _insert(collected.events)


def object_type_of(obj: models.Model | type[models.Model]) -> str:
    return obj._meta.label_lower


def audit_record(
    *,
    actor: Any,
    action: AuditAction | str,
    object_type: "str | models.Model | type[models.Model]",
    object_id: object = "",
    patient_id: int | None = None,
    patient_ids: Iterable[int] = (),
    source: AuditSource | str | None = None,
    break_glass: bool = False,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. `detail` holds identifiers and field names only, never PHI values.

    `object_type` may be a model (or instance): its label is used. A `JobActor`
    is recorded as the person it acts for, with the job's name in `detail`.
    Inside `audit_collected()` the event is kept for that block's one INSERT.
    """
    event = AuditEvent(
        **audit_fields(
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            patient_id=patient_id,
            patient_ids=patient_ids,
            source=source,
            break_glass=break_glass,
            detail=detail,
        )
    )
    collected = _collected.get()
    if collected is not None and _open_savepoints() == collected.savepoints:
        collected.events.append(event)
    else:
        event.save(force_insert=True)
    return event


def audit_event(**kwargs: Any) -> AuditEvent:
    """An unsaved event with the same rules as `audit_record`, for `audit_record_many`."""
    return AuditEvent(**audit_fields(**kwargs))


def audit_fields(
    *,
    actor: Any,
    action: AuditAction | str,
    object_type: "str | models.Model | type[models.Model]",
    object_id: object = "",
    patient_id: int | None = None,
    patient_ids: Iterable[int] = (),
    source: AuditSource | str | None = None,
    break_glass: bool = False,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    context = current_context()
    person = person_behind(actor)
    detail = dict(detail or {})
    default_source = context.source if context else AuditSource.SYSTEM
    if isinstance(actor, JobActor):
        detail.setdefault("job", actor.job)
        if actor.organisation_id is not None:
            detail.setdefault("organisation_id", actor.organisation_id)
        default_source = context.source if context else AuditSource.TASK
    if not isinstance(object_type, str):
        object_type = object_type_of(object_type)
    return {
        "actor": person,
        "actor_username": person.get_username() if person is not None else "",
        "action": action,
        "source": source or default_source,
        "object_type": object_type,
        "object_id": str(object_id) if object_id is not None else "",
        "patient_id": patient_id,
        "patient_ids": list(patient_ids),
        "ip_address": context.ip_address if context else None,
        "path": (context.path if context else "")[:255],
        "break_glass": break_glass,
        "detail": detail,
    }


def audit_record_many(events: Iterable[AuditEvent]) -> None:
    """Bulk form for bulk changes: one INSERT, same transaction as the change (inside
    `audit_collected()`, the block's one INSERT, as `audit_record`)."""
    rows = list(events)
    collected = _collected.get()
    if collected is not None and rows and _open_savepoints() == collected.savepoints:
        collected.events.extend(rows)
        return
    _insert(rows)


def _insert(rows: list[AuditEvent]) -> None:
    context = current_context()
    for event in rows:
        if context:
            event.ip_address = event.ip_address or context.ip_address
            event.path = event.path or context.path[:255]
            event.source = event.source or context.source
        event.source = event.source or AuditSource.SYSTEM
    insert_rows(AuditEvent, rows)


def changed_fields(instance: models.Model, values: dict[str, Any]) -> list[str]:
    """The names of the fields whose value `values` would change."""
    return sorted(name for name, value in values.items() if getattr(instance, name) != value)
