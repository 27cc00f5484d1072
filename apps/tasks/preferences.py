"""Notification preferences per person and kind, and the daily email digest.

Each kind is delivered in caregraph and by email at once, unless the person
chose otherwise: in caregraph and in one email a day (the digest), in
caregraph only, or off. Warnings that work is slipping are never off.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.exceptions import ApplicationError
from apps.core.items import ItemsResult, run_isolated
from apps.core.models import AuditAction
from apps.tasks.models import (
    ALWAYS_DELIVERED_KINDS,
    Notification,
    NotificationDelivery,
    NotificationKind,
    NotificationPreference,
    notification_kind_label,
)
from apps.tasks.notifications import _address_failing, site_link

DIGEST_JOB = "tasks.notification_digest"
# A digest gathers what came since the last one; older than this it is not sent late.
DIGEST_WINDOW = timedelta(days=2)


@dataclass(frozen=True)
class PreferenceRow:
    kind: str
    label: str
    delivery: str
    may_switch_off: bool


def notification_preferences_for_user(*, user: User) -> list[PreferenceRow]:
    """Every kind with the person's choice (email at once when they made none)."""
    chosen = dict(
        NotificationPreference.objects.filter(user_id=user.pk).values_list("kind", "delivery")
    )
    return [
        PreferenceRow(
            kind=kind.value,
            label=kind.label,
            delivery=chosen.get(kind.value, NotificationDelivery.EMAIL),
            may_switch_off=kind not in ALWAYS_DELIVERED_KINDS,
        )
        for kind in NotificationKind
    ]


@transaction.atomic
def notification_preferences_set(*, actor: User, choices: dict[str, str]) -> list[str]:
    """Sets the actor's own delivery per kind; returns the kinds that changed (audited as one
    event). An unknown kind or delivery, or switching a warning off, is refused whole."""
    errors: dict[str, list[str]] = {}
    for kind, delivery in choices.items():
        if kind not in NotificationKind.values:
            errors[kind] = ["Not a kind of notification."]
        elif delivery not in NotificationDelivery.values:
            errors[kind] = [f"'{delivery}' is not a way to deliver notifications."]
        elif delivery == NotificationDelivery.OFF and kind in ALWAYS_DELIVERED_KINDS:
            errors[kind] = [
                f"{notification_kind_label(kind)} cannot be switched off: choose the daily "
                "digest or caregraph only."
            ]
    if errors:
        raise ApplicationError("These choices cannot be saved.", field_errors=errors)
    current = {row.kind: row.delivery for row in notification_preferences_for_user(user=actor)}
    changed = sorted(kind for kind, delivery in choices.items() if current[kind] != delivery)
    for kind in changed:
        NotificationPreference.objects.update_or_create(
            user=actor, kind=kind, defaults={"delivery": choices[kind]}
        )
    if changed:
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type=NotificationPreference,
            detail={"fields": ["delivery"], "kinds": changed},
        )
    return changed


DIGEST_BODY = (
    "Your caregraph digest: {total} new item(s) since the last one.\n\n"
    "{lines}\n\n"
    "Open caregraph to see them: {link}\n\n"
    "This message holds no patient details; sign in to read them."
)


def _digest_one(recipient_id: int) -> None:
    """One person's digest: every waiting item, counted by kind, in one email; the rows are
    claimed (SKIP LOCKED) so two runs never send the same items twice."""
    recipient = User.objects.get(pk=recipient_id)
    if not recipient.email or not recipient.is_active or _address_failing(recipient):
        return
    waiting = list(
        Notification.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            recipient_id=recipient_id,
            delivery=NotificationDelivery.DIGEST,
            emailed_at__isnull=True,
            created_at__gte=timezone.now() - DIGEST_WINDOW,
        )
        .values_list("pk", "kind")
    )
    if not waiting:
        return
    counts = Counter(kind for _, kind in waiting)
    lines = "\n".join(
        f"- {notification_kind_label(kind)}: {count}" for kind, count in sorted(counts.items())
    )
    send_mail(
        subject=f"[caregraph] Your daily digest: {len(waiting)} new item(s)",
        message=DIGEST_BODY.format(
            total=len(waiting),
            lines=lines,
            link=site_link(reverse("tasks:notifications")),
        ),
        from_email=None,
        recipient_list=[recipient.email],
    )
    Notification.objects.filter(pk__in=[pk for pk, _ in waiting]).update(emailed_at=timezone.now())


def notification_digest_send(*, now: datetime | None = None) -> ItemsResult:
    """The daily digest: one email per person with items waiting, each in its own
    transaction, so one person's failing mail never stops another's."""
    now = now or timezone.now()
    recipients = sorted(
        set(
            Notification.objects.filter(
                delivery=NotificationDelivery.DIGEST,
                emailed_at__isnull=True,
                created_at__gte=now - DIGEST_WINDOW,
                recipient__is_active=True,
            )
            .exclude(recipient__email="")
            .values_list("recipient_id", flat=True)
        )
    )
    return run_isolated(recipients, _digest_one, job=DIGEST_JOB)
