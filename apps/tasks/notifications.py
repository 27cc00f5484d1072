"""Sending in-app notifications (and their email) exactly once per idempotency key."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.patients.models import Patient
from apps.tasks.jobs import notification_emails_enqueue
from apps.tasks.models import Notification, Task


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
) -> Notification | None:
    """Creates the notification unless one with this key exists; returns None for a repeat.

    The email goes out after commit, by a Celery task that takes only the
    notification's id. Email text carries no patient details, only a link.
    """
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
            )
    except IntegrityError:
        return None
    notification_emails_enqueue([notification.pk])
    return notification


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


def notification_send_many(drafts: Sequence[NotificationDraft]) -> list[int]:
    """The set-wise `notification_send`: one INSERT that skips keys already used.

    Returns the ids of these keys' notifications whose email has not gone out
    yet; their emails are queued after commit (the email task itself is
    exactly-once per notification, so a repeat is harmless).
    """
    if not drafts:
        return []
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
            )
            for draft in drafts
        ],
        ignore_conflicts=True,
    )
    pending = list(
        Notification.objects.filter(
            idempotency_key__in=[draft.idempotency_key for draft in drafts],
            emailed_at__isnull=True,
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
            emailed_at__isnull=True,
            created_at__gte=now - EMAIL_WINDOW,
            created_at__lte=now - EMAIL_GRACE,
            recipient__is_active=True,
        )
        .exclude(recipient__email="")
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for start in range(0, len(lost), REQUEUE_BATCH):
        notification_emails_enqueue(lost[start : start + REQUEUE_BATCH])
    return len(lost)


def notification_mark_read(*, recipient: User, notification_ids: Sequence[int] | None) -> int:
    """Marks the recipient's own notifications read (all unread ones when ids is None)."""
    unread = Notification.objects.filter(recipient_id=recipient.pk, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())
