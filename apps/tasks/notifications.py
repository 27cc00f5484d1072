"""Sending in-app notifications (and their email) exactly once per idempotency key."""

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from smtplib import SMTPRecipientsRefused

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from apps.accounts.models import User
from apps.core.actors import JobActor
from apps.core.audit import audit_record
from apps.core.items import error_summary
from apps.core.models import AuditAction
from apps.patients.models import Patient
from apps.tasks.jobs import notification_emails_enqueue
from apps.tasks.models import (
    EMAIL_REFUSALS_FAILING,
    MAX_EMAIL_ATTEMPTS,
    EmailAddressStatus,
    Notification,
    NotificationDelivery,
    NotificationPreference,
    Task,
)

EMAIL_JOB = "tasks.notification_email"
EMAIL_BODY = (
    "You have a new item in caregraph: {subject}\n\n"
    "Open caregraph to see it: {link}\n\n"
    "This message holds no patient details; sign in to read them."
)
SENT, SKIPPED, REFUSED = "sent", "skipped", "refused"


def notification_send(
    *,
    recipient: User,
    idempotency_key: str,
    kind: str,
    subject: str,
    body: str = "",
    link: str = "",
    patient: Patient | None = None,
    task: Task | None = None,
    about: str = "",
) -> Notification | None:
    """Creates the notification unless one with this key exists; returns None for a repeat.

    Also None when the recipient was already told of the same event (`about`,
    see Notification). The email goes out after commit, by a Celery task that
    takes only the notification's id. Email text carries no patient details,
    only a link. A deactivated account is told nothing (callers route its work
    to the team lead).
    """
    if not recipient.is_active:
        return None
    delivery = deliveries_for([(recipient.pk, kind)])[(recipient.pk, kind)]
    if delivery == NotificationDelivery.OFF:
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                idempotency_key=idempotency_key,
                kind=kind,
                subject=subject,
                body=body,
                link=link,
                patient=patient,
                task=task,
                about=about,
                delivery=delivery,
            )
    except IntegrityError:
        return None
    if delivery == NotificationDelivery.EMAIL:
        notification_emails_enqueue([notification.pk])
    return notification


def deliveries_for(pairs: Sequence[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """How each (recipient id, kind) is to be delivered, from one query: the person's
    preference, or email at once when they set none."""
    wanted = set(pairs)
    chosen = {
        (user_id, kind): delivery
        for user_id, kind, delivery in NotificationPreference.objects.filter(
            user_id__in={user_id for user_id, _ in wanted}, kind__in={kind for _, kind in wanted}
        ).values_list("user_id", "kind", "delivery")
    }
    return {pair: chosen.get(pair, NotificationDelivery.EMAIL) for pair in wanted}


@dataclass(frozen=True)
class NotificationDraft:
    """One notification for `notification_send_many`, by ids (sweeps never load full rows)."""

    recipient_id: int
    idempotency_key: str
    kind: str
    subject: str
    body: str = ""
    link: str = ""
    patient_id: int | None = None
    task_id: int | None = None
    # The event told of: drafts for one person about one event make one notification.
    about: str = ""


def notification_send_many(drafts: Sequence[NotificationDraft]) -> list[int]:
    """The set-wise `notification_send`: one INSERT that skips keys already used.

    A draft whose recipient already has (or gets earlier in `drafts`) a
    notification about the same event is skipped too, so list the one that
    should win first. Returns the ids of these keys' notifications whose email
    has not gone out yet; their emails are queued after commit (the email task itself is
    exactly-once per notification, so a repeat is harmless).
    """
    if not drafts:
        return []
    delivery = deliveries_for([(draft.recipient_id, draft.kind) for draft in drafts])
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=draft.recipient_id,
                idempotency_key=draft.idempotency_key,
                kind=draft.kind,
                subject=draft.subject[:200],
                body=draft.body,
                link=draft.link[:255],
                patient_id=draft.patient_id,
                task_id=draft.task_id,
                about=draft.about[:160],
                delivery=delivery[(draft.recipient_id, draft.kind)],
            )
            for draft in drafts
            if delivery[(draft.recipient_id, draft.kind)] != NotificationDelivery.OFF
        ],
        ignore_conflicts=True,
    )
    pending = list(
        Notification.objects.filter(
            idempotency_key__in=[draft.idempotency_key for draft in drafts],
            emailed_at__isnull=True,
            delivery=NotificationDelivery.EMAIL,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    notification_emails_enqueue(pending)
    return pending


# An email not sent this long after its notification was made is taken as lost
# (its job never queued, or it failed); older than the window it is left alone.
EMAIL_GRACE = timedelta(minutes=10)
EMAIL_WINDOW = timedelta(days=1)
REQUEUE_BATCH = 200


def notification_emails_requeue(*, now: datetime | None = None, limit: int = 2_000) -> int:
    """Queues again the emails of recent notifications that were never sent.

    An email's job is queued after its notification commits; a process that
    dies in between, a broker that cannot be reached or a mail server error
    leaves the notification unsent. The sweep calls this so those emails go
    out late rather than never. A repeat is harmless: the email job claims
    each row and skips one already sent or being sent.
    """
    now = now or timezone.now()
    lost = list(
        Notification.objects.filter(
            Q(email_failed_at__isnull=True) | Q(email_failed_at__lte=now - EMAIL_GRACE),
            emailed_at__isnull=True,
            delivery=NotificationDelivery.EMAIL,
            created_at__gte=now - EMAIL_WINDOW,
            created_at__lte=now - EMAIL_GRACE,
            recipient__is_active=True,
            # One that keeps failing is given up on, so the same batch is not requeued
            # forever; an address marked failing gets no email until it is changed.
            email_attempts__lt=MAX_EMAIL_ATTEMPTS,
        )
        .exclude(recipient__email="")
        .exclude(
            Exists(
                EmailAddressStatus.objects.filter(
                    user_id=OuterRef("recipient_id"),
                    address=OuterRef("recipient__email"),
                    failing_since__isnull=False,
                )
            )
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for start in range(0, len(lost), REQUEUE_BATCH):
        notification_emails_enqueue(lost[start : start + REQUEUE_BATCH])
    return len(lost)


def site_link(path: str) -> str:
    """An absolute link to a page of caregraph at the configured site address
    (CAREGRAPH_BASE_URL), for email, where a relative link means nothing."""
    base = str(getattr(settings, "CAREGRAPH_BASE_URL", "")).rstrip("/")
    if not path:
        return base or "caregraph"
    return f"{base}/{path.lstrip('/')}"


def _address_failing(user: User) -> bool:
    return EmailAddressStatus.objects.filter(
        user_id=user.pk, address=user.email, failing_since__isnull=False
    ).exists()


def notification_email_send(*, notification_id: int) -> str:
    """Emails one notification: at least once, and once unless a process dies mid-send.

    The notification row is claimed with FOR UPDATE SKIP LOCKED and held while
    the mail goes out, so a second worker emailing the same id at the same
    time skips it, and one coming later finds `emailed_at` set. We chose
    at-least-once for the crash window: a worker killed after the mail server
    took the message but before `emailed_at` commits leaves the row unmarked,
    and the redelivered job (acks_late, reject_on_worker_lost) sends it again.
    A duplicate reminder is better than a silently lost one. Only the
    notification is locked (`of=("self",)`): locking the joined recipient row
    too would make this skip, and so lose, the email of anyone whose user row
    another transaction holds, such as a second email to the same person.

    An address the mail server refuses is recorded (on the notification and
    the person's `EmailAddressStatus`) and the call returns REFUSED: a refusal
    is about this address, never a reason to stop anyone else's mail. Any
    other error (database, mail server down) is raised for the job to retry.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(
                pk=notification_id, emailed_at__isnull=True, delivery=NotificationDelivery.EMAIL
            )
            .first()
        )
        if notification is None:
            return SKIPPED
        recipient = notification.recipient
        if not recipient.email or not recipient.is_active or _address_failing(recipient):
            return SKIPPED
        try:
            send_mail(
                subject=f"[caregraph] {notification.kind_label}",
                message=EMAIL_BODY.format(
                    subject=notification.kind_label,
                    link=site_link(notification.link),
                ),
                from_email=None,
                recipient_list=[recipient.email],
            )
        except SMTPRecipientsRefused as error:
            _email_refused(notification, error)
            return REFUSED
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
        EmailAddressStatus.objects.filter(
            user_id=recipient.pk, address=recipient.email, refusals__gt=0
        ).update(refusals=0, updated_at=notification.emailed_at)
    return SENT


def _email_refused(notification: Notification, error: BaseException) -> None:
    """Counts a refusal on the notification and the address; after a few in a row the
    address is marked failing (audited) and shown to the organisation's administrator."""
    now = timezone.now()
    reason = error_summary(error)
    notification.email_attempts += 1
    notification.email_failed_at = now
    notification.email_error = reason
    notification.save(update_fields=["email_attempts", "email_failed_at", "email_error"])
    recipient = notification.recipient
    status, _created = EmailAddressStatus.objects.select_for_update().get_or_create(
        user_id=recipient.pk, defaults={"address": recipient.email}
    )
    if status.address != recipient.email:
        # A new address starts afresh: the old one's refusals do not count.
        status.address, status.refusals, status.failing_since = recipient.email, 0, None
    status.refusals += 1
    status.last_refused_at = now
    status.last_error = reason
    became_failing = status.failing_since is None and status.refusals >= EMAIL_REFUSALS_FAILING
    if became_failing:
        status.failing_since = now
    status.save()
    if became_failing:
        audit_record(
            actor=JobActor(job=EMAIL_JOB, organisation_id=recipient.organisation_id),
            action=AuditAction.UPDATE,
            object_type=EmailAddressStatus,
            object_id=status.pk,
            detail={"fields": ["failing_since"], "user_id": recipient.pk},
        )


def notification_email_failed(*, notification_id: int, error: BaseException) -> None:
    """A transient failure (database, mail server): counted, so that an email that never
    gets through is given up on after MAX_EMAIL_ATTEMPTS instead of requeued forever.
    Best effort: the database may be the thing that failed."""
    with contextlib.suppress(Exception):
        Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
            email_attempts=F("email_attempts") + 1,
            email_failed_at=timezone.now(),
            email_error=error_summary(error),
        )


def failing_addresses_for_admin(user: User) -> int:
    """How many people of the admin's organisation (every one, for a superuser) have an
    address the mail server keeps refusing."""
    failing = EmailAddressStatus.objects.filter(
        failing_since__isnull=False, address=F("user__email"), user__is_active=True
    )
    if not user.is_superuser:
        if user.organisation_id is None:
            return 0
        failing = failing.filter(user__organisation_id=user.organisation_id)
    return failing.count()


def notification_mark_read(*, actor: User, notification_ids: Sequence[int] | None) -> int:
    """Marks the actor's own notifications read: these ids, or every unread one ("mark all
    read") when ids is None. Another person's ids are left alone. Audited when anything
    changed: one event, with the ids, so a person's "I never saw it" can be checked."""
    with transaction.atomic():
        unread = Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True)
        if notification_ids is not None:
            unread = unread.filter(pk__in=list(notification_ids))
        ids = sorted(unread.select_for_update().values_list("pk", flat=True))
        if not ids:
            return 0
        Notification.objects.filter(pk__in=ids).update(read_at=timezone.now())
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type=Notification,
            detail={
                "fields": ["read_at"],
                "notification_ids": ids,
                "all": notification_ids is None,
            },
        )
    return len(ids)
