"""An organisation's enrolment priorities: the relative risk reduction expected from
enrolment in each risk tier, the tier from which patients are eligible, and panel sizes.

The default reductions (PrioritySettings) are illustrative, to set from the
programme's own evaluation (see apps.measures.enrolment).
"""

from decimal import Decimal
from typing import Any

from django.db import transaction

from apps.accounts.models import Actor, Organisation
from apps.core.audit import audit_record
from apps.core.changes import record_change, record_create, refuse_unknown_fields
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.measures import permissions
from apps.measures.models import CoordinatorPanel, PrioritySettings
from apps.patients.models import RiskTier
from apps.teams.models import TeamMembership

TIER_ORDER = (RiskTier.LOW, RiskTier.RISING, RiskTier.HIGH, RiskTier.VERY_HIGH)


def priority_settings_for(organisation: Organisation | int | None) -> PrioritySettings:
    """The organisation's priority settings, created with the defaults on first use (the
    unsaved defaults for an account of no organisation, which has no patients anyway)."""
    if organisation is None:
        return PrioritySettings()
    organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    row, _ = PrioritySettings.objects.get_or_create(organisation_id=organisation_id)
    return row


def reduction_for(settings: PrioritySettings, tier: str) -> Decimal:
    return Decimal(getattr(settings, f"reduction_{tier}"))


def eligible_tiers(settings: PrioritySettings) -> list[str]:
    return list(TIER_ORDER[TIER_ORDER.index(RiskTier(settings.eligible_from)) :])


PRIORITY_FIELDS = (
    "reduction_low",
    "reduction_rising",
    "reduction_high",
    "reduction_very_high",
    "eligible_from",
    "default_panel_size",
)
PANEL_MAX = 2_000


def priority_settings_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    """What is wrong with new priority settings (the service's check; the admin form asks it
    too, so the refusal is shown on the field)."""
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        if name.startswith("reduction_"):
            if isinstance(value, bool) or not isinstance(value, int | Decimal):
                errors[name] = ["Give a fraction from 0 to 1."]
            elif not 0 <= Decimal(value) <= 1:
                errors[name] = ["Give a fraction from 0 to 1 (0.2 means 20 % fewer admissions)."]
        elif name == "eligible_from" and value not in RiskTier.values:
            errors[name] = [f"Choose one of: {', '.join(RiskTier.values)}."]
        elif name == "default_panel_size" and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= PANEL_MAX
        ):
            errors[name] = [f"Give a whole number from 0 to {PANEL_MAX}."]
    return errors


@transaction.atomic
def priority_settings_update(
    *, actor: Actor, settings: PrioritySettings, **values: Any
) -> PrioritySettings:
    """Saves the organisation's segment reductions, eligibility tier and panel size."""
    permissions.require_can_change_priority_settings(actor, settings.organisation_id)
    refuse_unknown_fields(values, PRIORITY_FIELDS, noun="priority setting")
    errors = priority_settings_errors(values)
    if errors:
        raise ApplicationError("Please correct the priority settings.", field_errors=errors)
    record_change(
        actor=actor,
        instance=settings,
        values=values,
        message="Please correct the priority settings.",
    )
    return settings


@transaction.atomic
def coordinator_panel_set(
    *, actor: Actor, membership: TeamMembership, panel_size: int | None
) -> CoordinatorPanel | None:
    """A coordinator's own panel size on a team; None goes back to the organisation's default."""
    permissions.require_can_change_priority_settings(actor, membership.team.organisation_id)
    if panel_size is not None and (
        isinstance(panel_size, bool) or not 0 <= panel_size <= PANEL_MAX
    ):
        raise ApplicationError(
            "Please correct the panel size.",
            field_errors={"panel_size": [f"Give a whole number from 0 to {PANEL_MAX}."]},
        )
    current = CoordinatorPanel.objects.select_for_update().filter(membership=membership).first()
    if panel_size is None:
        if current is not None:
            audit_record(
                actor=actor,
                action=AuditAction.DELETE,
                object_type=current,
                object_id=current.pk,
                detail={"panel_size": current.panel_size},
            )
            current.delete()
        return None
    if current is None:
        return record_create(
            actor=actor,
            instance=CoordinatorPanel(membership=membership, panel_size=panel_size),
        )
    record_change(actor=actor, instance=current, values={"panel_size": panel_size})
    return current
