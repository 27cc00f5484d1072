"""Sending in-app notifications (and their email) exactly once per idempotency key."""

from django.db import IntegrityError, transaction

from apps.accounts.models import User
from apps.patients.models import Patient
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
    from apps.tasks.tasks import notification_email_task

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
    transaction.on_commit(lambda: notification_email_task.delay(notification.pk))
    return notification
