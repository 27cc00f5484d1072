"""Celery tasks of the tasks app. They take ids only and may run twice harmlessly."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from apps.core.context import RequestContext, request_context
from apps.core.jobruns import recorded_job
from apps.core.models import AuditSource
from apps.tasks.models import Notification
from apps.tasks.notifications import notification_emails_requeue
from apps.tasks.services.reminders import task_reminders_sweep

EMAIL_BODY = (
    "You have a new item in caregraph: {subject}\n\n"
    "Open caregraph to see it: {link}\n\n"
    "This message holds no patient details; sign in to read them."
)


def _email_one(notification_id: int) -> None:
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
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if notification is None or not notification.recipient.email:
            return
        base = getattr(settings, "CAREGRAPH_BASE_URL", "")
        send_mail(
            subject=f"[caregraph] {notification.kind.replace('_', ' ')}",
            message=EMAIL_BODY.format(
                subject=notification.kind.replace("_", " "),
                link=f"{base}{notification.link}" or base or "caregraph",
            ),
            from_email=None,
            recipient_list=[notification.recipient.email],
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])


@shared_task(acks_late=True)
def notification_email_task(notification_id: int) -> None:
    _email_one(notification_id)


@shared_task(acks_late=True)
def notification_email_batch_task(notification_ids: list[int]) -> None:
    """Emails for one sweep batch; each one commits alone, so a rerun skips those sent."""
    for notification_id in notification_ids:
        _email_one(int(notification_id))


@shared_task(acks_late=True)
@recorded_job
def task_reminder_sweep_task() -> None:
    """Beat job: reminders for tasks coming due, escalations for overdue ones (exactly once),
    then the emails of earlier notifications that never went out."""
    with request_context(RequestContext(source=AuditSource.TASK)):
        task_reminders_sweep()
        notification_emails_requeue()
