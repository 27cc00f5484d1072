"""Rows of the chart that another system sent (a FHIR import): written, changed, audited.

The importer (apps.fhir.importing) turns a resource into a model and its values;
this module is the one place that decides who may bring records in and how an
imported row is created or brought up to date: validated whole, saved, audited,
stamped with its source and arrival time.
"""

from datetime import datetime
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models

from apps.accounts.models import Actor
from apps.core.changes import record_change, record_create, validation_error
from apps.patients import permissions
from apps.patients.models import ImportedRow, Patient

R = TypeVar("R", bound=ImportedRow)


def imported_row_save(
    *,
    actor: Actor,
    patient: Patient,
    model: type[R],
    values: dict[str, Any],
    existing: R | None,
    source_system: str,
    received_at: datetime,
) -> tuple[R, list[str]]:
    """Creates the row, or changes `existing` to `values`; returns it and the changed fields
    (every field for a new row, none when the sender said nothing new).

    Runs in the caller's transaction; a value the model refuses raises
    ApplicationError and nothing of the row is written.
    """
    permissions.require_can_import_records(actor, patient.organisation_id)
    if existing is None:
        row = model(
            patient=patient,
            source_system=source_system[:120],
            source_received_at=received_at,
            **values,
        )
        _check(row)
        record_create(
            actor=actor,
            instance=row,
            patient_id=patient.pk,
            detail={"source": source_system},
            clean=False,
        )
        return row, sorted(values)
    previous = {name: getattr(existing, name) for name in values}
    for name, value in values.items():
        setattr(existing, name, value)
    try:
        _check(existing)
    finally:
        for name, value in previous.items():
            setattr(existing, name, value)
    changed = record_change(
        actor=actor,
        instance=existing,
        values=values,
        patient_id=patient.pk,
        detail={"source": source_system},
        clean=False,
    )
    if changed:
        existing.source_received_at = received_at
        existing.source_system = source_system[:120]
        existing.save(update_fields=["source_received_at", "source_system"])
    return existing, changed


def _check(row: models.Model) -> None:
    """Field validation without a query per row: the table's constraints are checked by
    the database itself when the row is saved (an import saves thousands)."""
    try:
        row.full_clean(exclude=["patient"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise validation_error(error, f"The {row._meta.verbose_name} is not valid.") from error


def imported_row_get(model: type[models.Model], pk: int | None) -> Any:
    """The row an earlier import wrote, if it is still there."""
    if pk is None:
        return None
    return model._default_manager.filter(pk=pk).first()
