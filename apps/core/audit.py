"""Writing the audit trail. Call `audit_record` inside the transaction of the change."""

from collections.abc import Iterable
from typing import Any

from django.db import models

from apps.core.context import current_context
from apps.core.models import AuditAction, AuditEvent, AuditSource


def object_type_of(obj: models.Model | type[models.Model]) -> str:
    return obj._meta.label_lower


def audit_record(
    *,
    actor: Any,
    action: AuditAction | str,
    object_type: str,
    object_id: object = "",
    patient_id: int | None = None,
    patient_ids: Iterable[int] = (),
    source: AuditSource | str | None = None,
    break_glass: bool = False,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. `detail` holds identifiers and field names only, never PHI values."""
    context = current_context()
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if authenticated else None,
        actor_username=actor.get_username() if authenticated else "",
        action=action,
        source=source or (context.source if context else AuditSource.SYSTEM),
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else "",
        patient_id=patient_id,
        patient_ids=list(patient_ids),
        ip_address=context.ip_address if context else None,
        path=(context.path if context else "")[:255],
        break_glass=break_glass,
        detail=detail or {},
    )


def audit_record_many(events: Iterable[AuditEvent]) -> None:
    """Bulk form for bulk changes: one INSERT, same transaction as the change."""
    context = current_context()
    rows = list(events)
    for event in rows:
        if context:
            event.ip_address = event.ip_address or context.ip_address
            event.path = event.path or context.path[:255]
            event.source = event.source or context.source
        event.source = event.source or AuditSource.SYSTEM
    AuditEvent.objects.bulk_create(rows)


def changed_fields(instance: models.Model, values: dict[str, Any]) -> list[str]:
    """The names of the fields whose value `values` would change."""
    return sorted(name for name, value in values.items() if getattr(instance, name) != value)
