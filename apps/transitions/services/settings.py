"""An organisation's transition settings (admin door)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.accounts.models import User
from apps.core.audit import audit_record, changed_fields
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.transitions import permissions
from apps.transitions.models import TransitionSettings

EDITABLE = tuple(
    field.name
    for field in TransitionSettings._meta.get_fields()
    if getattr(field, "editable", False)
    and field.name not in ("id", "organisation", "created_at", "updated_at")
)


@transaction.atomic
def transition_settings_update(
    *, actor: User, settings: TransitionSettings, **values: Any
) -> TransitionSettings:
    """Changes follow-up rules or risk weights; applies to discharges from now on."""
    permissions.require_can_change_transition_settings(actor, settings.organisation_id)
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ApplicationError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    settings = TransitionSettings.objects.select_for_update().get(pk=settings.pk)
    changed = changed_fields(settings, values)
    if not changed:
        return settings
    for name in changed:
        setattr(settings, name, values[name])
    try:
        settings.full_clean()
    except ValidationError as error:
        raise ApplicationError(
            "The settings are not valid.", field_errors=error.message_dict
        ) from error
    if settings.visit_days_high > settings.visit_days_moderate:
        raise ApplicationError(
            "The high-complexity visit cannot come later than the moderate one.",
            field_errors={"visit_days_high": ["At most the moderate number of days."]},
        )
    settings.save(update_fields=[*changed, "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="transitions.transitionsettings",
        object_id=settings.pk,
        detail={"fields": changed},
    )
    return settings
