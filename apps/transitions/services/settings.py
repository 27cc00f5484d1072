"""An organisation's transition settings (admin door)."""

from typing import Any

from django.db import transaction

from apps.accounts.models import User
from apps.core.changes import record_change, refuse_unknown_fields
from apps.core.exceptions import ApplicationError
from apps.transitions import permissions
from apps.transitions.models import TransitionSettings

EDITABLE = tuple(
    field.name
    for field in TransitionSettings._meta.get_fields()
    if getattr(field, "editable", False)
    and field.name not in ("id", "organisation", "created_at", "updated_at")
)

VISIT_DAYS = ("visit_days_high", "visit_days_moderate")


@transaction.atomic
def transition_settings_update(
    *, actor: User, settings: TransitionSettings, **values: Any
) -> TransitionSettings:
    """Changes follow-up rules or risk weights; applies to discharges from now on."""
    permissions.require_can_change_transition_settings(actor, settings.organisation_id)
    refuse_unknown_fields(values, EDITABLE, noun="setting")
    settings = TransitionSettings.objects.select_for_update().get(pk=settings.pk)
    high, moderate = (values.get(name, getattr(settings, name)) for name in VISIT_DAYS)
    # Values of the wrong kind are left to the model's validation, with their field messages.
    if isinstance(high, int) and isinstance(moderate, int) and high > moderate:
        raise ApplicationError(
            "The high-complexity visit cannot come later than the moderate one.",
            field_errors={"visit_days_high": ["At most the moderate number of days."]},
        )
    record_change(
        actor=actor, instance=settings, values=values, message="The settings are not valid."
    )
    return settings
