"""Celery tasks of the tasks app. They take ids only and may run twice harmlessly."""

from smtplib import SMTPException

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.db import DatabaseError, connection
from kombu.exceptions import OperationalError as BrokerError

from apps.core.context import RequestContext, request_context
from apps.core.items import ItemsFailed
from apps.core.jobruns import recorded_job
from apps.core.models import AuditSource
from apps.tasks.notifications import (
    notification_email_failed,
    notification_email_send,
    notification_emails_requeue,
)
from apps.tasks.preferences import notification_digest_send
from apps.tasks.services.reminders import SWEEP, task_reminders_sweep

# Failures that may pass: the database, the broker, the mail server or the network.
# (A refused address is not one of them: the service records it and goes on.)
TRANSIENT = (DatabaseError, BrokerError, SMTPException, OSError)
RETRY_BACKOFF = 30  # seconds, doubled on each retry
RETRY_BACKOFF_MAX = 15 * 60
MAX_RETRIES = 5


def _send(notification_id: int) -> None:
    try:
        notification_email_send(notification_id=notification_id)
    except TRANSIENT as error:
        if isinstance(error, DatabaseError):
            # A broken connection would fail every email after this one.
            connection.close_if_unusable_or_obsolete()
        notification_email_failed(notification_id=notification_id, error=error)
        raise


@shared_task(
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=RETRY_BACKOFF,
    retry_backoff_max=RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
)
def notification_email_task(notification_id: int) -> None:
    _send(notification_id)


@shared_task(acks_late=True, bind=True, max_retries=MAX_RETRIES)
def notification_email_batch_task(self, notification_ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    """Emails for one sweep batch, each sent and recorded on its own.

    A refused address is marked and skipped; the emails that met a transient
    failure are retried later (exponential backoff), and only they: the rest
    of the batch is not sent again, nor held back.
    """
    failed: list[int] = []
    last_error: BaseException | None = None
    for notification_id in notification_ids:
        try:
            _send(int(notification_id))
        except TRANSIENT as error:
            failed.append(int(notification_id))
            last_error = error
    if failed:
        countdown = get_exponential_backoff_interval(
            factor=RETRY_BACKOFF,
            retries=self.request.retries,
            maximum=RETRY_BACKOFF_MAX,
            full_jitter=True,
        )
        raise self.retry(args=[failed], exc=last_error, countdown=countdown)


@shared_task(acks_late=True)
@recorded_job
def task_reminder_sweep_task() -> None:
    """Beat job: reminders for tasks coming due, escalations for overdue ones (exactly once),
    then the emails of earlier notifications that never went out."""
    with request_context(RequestContext(source=AuditSource.TASK)):
        result = task_reminders_sweep(actor=SWEEP)
        notification_emails_requeue()
    if result.failed:
        # Everything else went out; the run is recorded as failed, naming the tasks.
        ids = ", ".join(str(pk) for pk in result.failed[:20])
        raise ItemsFailed(f"{len(result.failed)} task reminder(s) failed: {ids}.")


@shared_task(acks_late=True)
@recorded_job
def notification_digest_task() -> None:
    """Beat job, once a day: the email digest of each person's waiting notifications."""
    with request_context(RequestContext(source=AuditSource.TASK)):
        result = notification_digest_send()
    result.raise_if_failed("digest email(s)")
