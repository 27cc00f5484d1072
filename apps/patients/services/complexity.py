"""Changing an organisation's complex-needs thresholds (admin door)."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from apps.accounts.models import User
from apps.core.audit import audit_record, changed_fields
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.patients.models import ComplexityThresholds

THRESHOLD_FIELDS = (
    "cci_min",
    "acute_events_min",
    "cost_percentile_min",
    "adi_percentile_min",
    "hrsn_domains_min",
)


def can_change_thresholds(actor: User, thresholds: ComplexityThresholds) -> bool:
    return bool(
        actor.is_active
        and actor.is_staff
        and actor.has_perm("patients.change_complexitythresholds")
        and (actor.is_superuser or actor.organisation_id == thresholds.organisation_id)
    )


@transaction.atomic
def complexity_thresholds_update(
    *, actor: User, thresholds: ComplexityThresholds, **values: Any
) -> ComplexityThresholds:
    """Saves new thresholds and, after commit, recomputes the organisation's patients."""
    from apps.patients.tasks import complexity_recompute_organisation_task

    if not can_change_thresholds(actor, thresholds):
        raise PermissionDenied("Only an administrator of the organisation changes thresholds.")
    unknown = set(values) - set(THRESHOLD_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown threshold fields: {', '.join(sorted(unknown))}.")
    changed = changed_fields(thresholds, values)
    if not changed:
        return thresholds
    for name in changed:
        setattr(thresholds, name, values[name])
    try:
        thresholds.full_clean(exclude=["organisation"])
    except ValidationError as error:
        raise ApplicationError(
            "Please correct the thresholds.", field_errors=error.message_dict
        ) from error
    thresholds.save(update_fields=[*changed, "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="patients.complexitythresholds",
        object_id=thresholds.pk,
        detail={"fields": changed},
    )
    organisation_id = thresholds.organisation_id
    transaction.on_commit(lambda: complexity_recompute_organisation_task.delay(organisation_id))
    return thresholds
