"""Changing an organisation's complex-needs thresholds (admin door)."""

from typing import Any

from django.db import transaction

from apps.accounts.models import Actor
from apps.core.changes import record_change, refuse_unknown_fields
from apps.core.exceptions import ApplicationError
from apps.patients import permissions
from apps.patients.jobs import complexity_recompute_organisation_enqueue
from apps.patients.models import ComplexityThresholds

# field -> (lowest, highest); every one but cci_min may be blank (None) to switch it off.
THRESHOLD_RANGES = {
    "cci_min": (0, 24),
    "acute_events_min": (1, 365),
    "cost_percentile_min": (1, 99),
    "adi_percentile_min": (1, 100),
    "hrsn_domains_min": (1, 5),
}
THRESHOLD_FIELDS = tuple(THRESHOLD_RANGES)


@transaction.atomic
def complexity_thresholds_update(
    *, actor: Actor, thresholds: ComplexityThresholds, **values: Any
) -> ComplexityThresholds:
    """Saves new thresholds and, after commit, recomputes the organisation's patients."""
    permissions.require_can_change_complexity_thresholds(actor, thresholds.organisation_id)
    refuse_unknown_fields(values, THRESHOLD_FIELDS, noun="threshold")
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        low, high = THRESHOLD_RANGES[name]
        if value is None and name != "cci_min":
            continue
        if not isinstance(value, int) or not low <= value <= high:
            errors[name] = [f"Give a whole number from {low} to {high}."]
    if errors:
        raise ApplicationError("Please correct the thresholds.", field_errors=errors)
    changed = record_change(
        actor=actor, instance=thresholds, values=values, message="Please correct the thresholds."
    )
    if not changed:
        return thresholds
    complexity_recompute_organisation_enqueue(thresholds.organisation_id)
    return thresholds
