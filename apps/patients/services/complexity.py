"""Changing an organisation's complex-needs thresholds and admission-risk model (admin door)."""

from decimal import Decimal
from typing import Any

from django.db import transaction

from apps.accounts.models import Actor
from apps.core.changes import record_change, refuse_unknown_fields
from apps.core.exceptions import ApplicationError
from apps.patients import permissions, risk
from apps.patients.jobs import complexity_recompute_organisation_enqueue
from apps.patients.models import ComplexityThresholds, RiskModel

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


# Coefficients are log-odds per unit: beyond +-10 a single unit would move the odds more
# than 20,000-fold, which is a typing mistake, not a calibration.
COEFFICIENT_LIMIT = Decimal("10")
INTERCEPT_LIMIT = Decimal("20")
CUT_POINTS_RISE = "The cut points must rise: rising < high < very high."
RISK_MODEL_FIELDS = (*risk.COEFFICIENT_FIELDS, *risk.CUT_POINT_FIELDS)


def risk_model_errors(model: RiskModel, values: dict[str, Any]) -> dict[str, list[str]]:
    """What is wrong with these new values for `model` (the service's check; the admin
    form asks it too so the refusal is shown on the field)."""
    errors: dict[str, list[str]] = {}
    for name in risk.COEFFICIENT_FIELDS:
        if name not in values:
            continue
        value = values[name]
        limit = INTERCEPT_LIMIT if name == "intercept" else COEFFICIENT_LIMIT
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            errors[name] = ["Give a number."]
        elif not -limit <= Decimal(value) <= limit or Decimal(value) != round(Decimal(value), 3):
            errors[name] = [f"Give a number from {-limit} to {limit} with at most 3 decimals."]
    cuts = {name: values.get(name, getattr(model, name)) for name in risk.CUT_POINT_FIELDS}
    for name, value in cuts.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 99:
            errors[name] = ["Give a whole percentage from 1 to 99."]
    if not errors and not cuts["rising_from"] < cuts["high_from"] < cuts["very_high_from"]:
        errors["high_from"] = [CUT_POINTS_RISE]
    return errors


@transaction.atomic
def risk_model_update(*, actor: Actor, model: RiskModel, **values: Any) -> RiskModel:
    """Saves new coefficients or cut points and, after commit, recomputes every patient's
    risk with them (the nightly job would otherwise leave the tiers stale until tonight)."""
    permissions.require_can_change_risk_model(actor, model.organisation_id)
    refuse_unknown_fields(values, RISK_MODEL_FIELDS, noun="risk model setting")
    errors = risk_model_errors(model, values)
    if errors:
        raise ApplicationError("Please correct the risk model.", field_errors=errors)
    changed = record_change(
        actor=actor,
        instance=model,
        values={name: Decimal(value) if name in risk.COEFFICIENT_FIELDS else value
                for name, value in values.items()},
        message="Please correct the risk model.",
    )  # fmt: skip
    if changed:
        complexity_recompute_organisation_enqueue(model.organisation_id)
    return model
