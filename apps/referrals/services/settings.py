"""Organisation settings for referrals: per-state, per-urgency time limits in business days."""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import Organisation, User
from apps.accounts.selectors import organisation_add_business_days
from apps.core.audit import audit_record, object_type_of
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.referrals import permissions
from apps.referrals.models import (
    OPEN_STATES,
    ReferralSettings,
    ReferralState,
    ReferralTimeLimit,
    ReferralUrgency,
)

S = ReferralState
U = ReferralUrgency

# (remind after, escalate after), in business days. Draft: getting it sent;
# Sent: the partner acknowledging it; Received: an appointment or intake being
# booked; Scheduled: counted from the appointment, the service happening;
# Completed: the result coming back and the loop being closed.
DEFAULT_TIME_LIMITS: dict[tuple[str, str], tuple[int, int]] = {
    (S.DRAFT, U.ROUTINE): (2, 5),
    (S.DRAFT, U.URGENT): (1, 2),
    (S.DRAFT, U.ASAP): (1, 2),
    (S.SENT, U.ROUTINE): (5, 10),
    (S.SENT, U.URGENT): (2, 4),
    (S.SENT, U.ASAP): (1, 2),
    (S.RECEIVED, U.ROUTINE): (10, 15),
    (S.RECEIVED, U.URGENT): (3, 5),
    (S.RECEIVED, U.ASAP): (1, 2),
    (S.SCHEDULED, U.ROUTINE): (5, 10),
    (S.SCHEDULED, U.URGENT): (3, 5),
    (S.SCHEDULED, U.ASAP): (2, 3),
    (S.COMPLETED, U.ROUTINE): (5, 10),
    (S.COMPLETED, U.URGENT): (3, 5),
    (S.COMPLETED, U.ASAP): (2, 3),
}


@dataclass(frozen=True)
class Limits:
    """An organisation's settings with its time limits keyed by (state, urgency)."""

    settings: ReferralSettings
    by_state: dict[tuple[str, str], tuple[int, int]]

    def for_state(self, state: str, urgency: str) -> tuple[int, int] | None:
        return self.by_state.get((state, urgency))


def referral_settings_get(*, organisation: Organisation) -> Limits:
    """The organisation's settings, created (with any missing default limit) on first use."""
    settings, _ = ReferralSettings.objects.get_or_create(organisation=organisation)
    rows = {
        (limit.state, limit.urgency): limit
        for limit in ReferralTimeLimit.objects.filter(settings=settings)
    }
    missing = [
        ReferralTimeLimit(
            settings=settings,
            state=state,
            urgency=urgency,
            remind_after_business_days=remind,
            escalate_after_business_days=escalate,
        )
        for (state, urgency), (remind, escalate) in DEFAULT_TIME_LIMITS.items()
        if (state, urgency) not in rows
    ]
    if missing:
        # Two first uses at once may both insert; the unique constraint keeps one.
        ReferralTimeLimit.objects.bulk_create(missing, ignore_conflicts=True)
        rows = {
            (limit.state, limit.urgency): limit
            for limit in ReferralTimeLimit.objects.filter(settings=settings)
        }
    return Limits(
        settings=settings,
        by_state={
            key: (limit.remind_after_business_days, limit.escalate_after_business_days)
            for key, limit in rows.items()
        },
    )


@transaction.atomic
def referral_settings_update(
    *, actor: User, settings: ReferralSettings, max_snooze_business_days: int
) -> ReferralSettings:
    permissions.require_can_change_referral_settings(actor, settings.organisation_id)
    if not 1 <= max_snooze_business_days <= 60:
        raise ApplicationError(
            "The snooze limit is not valid.",
            field_errors={"max_snooze_business_days": ["Between 1 and 60 business days."]},
        )
    settings = ReferralSettings.objects.select_for_update().get(pk=settings.pk)
    if settings.max_snooze_business_days == max_snooze_business_days:
        return settings
    settings.max_snooze_business_days = max_snooze_business_days
    settings.save(update_fields=["max_snooze_business_days", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=object_type_of(settings),
        object_id=settings.pk,
        detail={"fields": ["max_snooze_business_days"]},
    )
    return settings


@transaction.atomic
def referral_time_limit_update(
    *, actor: User, limit: ReferralTimeLimit, remind_after: int, escalate_after: int
) -> ReferralTimeLimit:
    """Changes one limit. Referrals already in the state keep the times they were given."""
    limit = ReferralTimeLimit.objects.select_related("settings").get(pk=limit.pk)
    permissions.require_can_change_referral_settings(actor, limit.settings.organisation_id)
    errors: dict[str, list[str]] = {}
    if remind_after < 1:
        errors["remind_after_business_days"] = ["At least one business day."]
    if escalate_after <= remind_after:
        errors["escalate_after_business_days"] = ["The escalation must come after the reminder."]
    if errors:
        raise ApplicationError("The time limit is not valid.", field_errors=errors)
    changed = [
        name
        for name, value in (
            ("remind_after_business_days", remind_after),
            ("escalate_after_business_days", escalate_after),
        )
        if getattr(limit, name) != value
    ]
    if not changed:
        return limit
    limit.remind_after_business_days = remind_after
    limit.escalate_after_business_days = escalate_after
    try:
        with transaction.atomic():
            limit.save(update_fields=changed)
    except IntegrityError as error:  # pragma: no cover - validated above
        raise ApplicationError("The time limit is not valid.") from error
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=object_type_of(limit),
        object_id=limit.pk,
        detail={"fields": changed, "state": limit.state, "urgency": limit.urgency},
    )
    return limit


def same_time_on(day: date, moment: datetime) -> datetime:
    """`day` at the local clock time of `moment`."""
    local = timezone.localtime(moment)
    clock = time(local.hour, local.minute, local.second, local.microsecond)
    return timezone.make_aware(datetime.combine(day, clock))


def due_times(
    *, organisation: Organisation, limits: Limits, state: str, urgency: str, start: datetime
) -> tuple[datetime | None, datetime | None]:
    """When the reminder and the escalation fall due for a state entered at `start`.

    Each is `start` plus the limit in the organisation's business days (weekends,
    public holidays and its own closures do not count), at the same local time
    of day. Finished states have no timers.
    """
    if state not in OPEN_STATES:
        return None, None
    days = limits.for_state(state, urgency)
    if days is None:
        return None, None
    remind_after, escalate_after = days
    start_day = timezone.localtime(start).date()
    remind_day = organisation_add_business_days(
        organisation=organisation, start=start_day, days=remind_after
    )
    escalate_day = organisation_add_business_days(
        organisation=organisation, start=start_day, days=escalate_after
    )
    return same_time_on(remind_day, start), same_time_on(escalate_day, start)
