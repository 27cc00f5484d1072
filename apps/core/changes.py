"""Recording a change: one helper that diffs, validates, saves the changed fields and audits.

Services call these instead of writing `setattr` / `full_clean` / `save` /
`audit_record` by hand, so every write of a domain row is validated the same
way and leaves exactly one audit event naming the fields it changed (names,
never values: the trail holds no clinical data).
"""

from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models

from apps.core.audit import audit_record
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction

M = TypeVar("M", bound=models.Model)


def validation_error(error: ValidationError, message: str) -> ApplicationError:
    """A model's ValidationError as the ApplicationError every door shows (field messages kept)."""
    if hasattr(error, "error_dict"):
        return ApplicationError(message, field_errors=error.message_dict)
    return ApplicationError(" ".join(error.messages) or message)


def validate(instance: models.Model, *, message: str = "", exclude: Iterable[str] = ()) -> None:
    """`full_clean()` as an ApplicationError with the fields' messages."""
    try:
        instance.full_clean(exclude=list(exclude) or None)
    except ValidationError as error:
        noun = instance._meta.verbose_name
        raise validation_error(error, message or f"The {noun} is not valid.") from error


def refuse_unknown_fields(values: Iterable[str], allowed: Iterable[str], *, noun: str = "") -> None:
    """Refuses values for fields a service does not change (ApplicationError naming them)."""
    unknown = set(values) - set(allowed)
    if unknown:
        fields = f"{noun} fields" if noun else "fields"
        raise ApplicationError(f"Unknown {fields}: {', '.join(sorted(unknown))}.")


def _has_updated_at(instance: models.Model) -> bool:
    return any(field.name == "updated_at" for field in instance._meta.concrete_fields)


def record_create(
    *,
    actor: Any,
    instance: M,
    patient_id: int | None = None,
    detail: dict[str, Any] | None = None,
    clean: bool = True,
    message: str = "",
) -> M:
    """Validates and inserts `instance`, then audits it (in the caller's transaction)."""
    if clean:
        validate(instance, message=message)
    instance.save(force_insert=True)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=instance,
        object_id=instance.pk,
        patient_id=patient_id,
        detail=detail,
    )
    return instance


def record_change(
    *,
    actor: Any,
    instance: models.Model,
    values: dict[str, Any],
    patient_id: int | None = None,
    detail: dict[str, Any] | None = None,
    clean: bool = True,
    message: str = "",
    always_audit: bool = False,
) -> list[str]:
    """Applies `values` to `instance`; saves and audits only the fields that changed.

    Returns the changed field names (empty: nothing saved, nothing audited,
    unless `always_audit`). Validation runs on the changed instance before the
    save, so a refused change leaves the row as it was in the database.
    """
    changed = sorted(name for name, value in values.items() if getattr(instance, name) != value)
    if not changed and not always_audit:
        return []
    previous = {name: getattr(instance, name) for name in changed}
    for name in changed:
        setattr(instance, name, values[name])
    if clean and changed:
        try:
            validate(instance, message=message)
        except ApplicationError:
            for name, value in previous.items():
                setattr(instance, name, value)
            raise
    if changed:
        update_fields = [*changed, "updated_at"] if _has_updated_at(instance) else changed
        instance.save(update_fields=update_fields)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=instance,
        object_id=instance.pk,
        patient_id=patient_id,
        detail={"fields": changed, **(detail or {})},
    )
    return changed
