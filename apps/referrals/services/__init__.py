"""Writes for referrals and the resource directory; see the submodules."""

from apps.referrals.services.directory import (
    resource_organisation_create,
    resource_organisation_update,
    resource_service_create,
    resource_service_update,
)
from apps.referrals.services.referrals import (
    referral_create,
    referral_reassign,
    referral_record_consent,
    referral_snooze,
    referral_transition,
    referral_transition_validate,
    referral_update,
)
from apps.referrals.services.settings import (
    DEFAULT_TIME_LIMITS,
    due_times,
    referral_settings_get,
    referral_settings_update,
    referral_time_limit_update,
)
from apps.referrals.services.sweep import referral_reminder_sweep

__all__ = [
    "DEFAULT_TIME_LIMITS",
    "due_times",
    "referral_create",
    "referral_reassign",
    "referral_record_consent",
    "referral_reminder_sweep",
    "referral_settings_get",
    "referral_settings_update",
    "referral_snooze",
    "referral_time_limit_update",
    "referral_transition",
    "referral_transition_validate",
    "referral_update",
    "resource_organisation_create",
    "resource_organisation_update",
    "resource_service_create",
    "resource_service_update",
]
