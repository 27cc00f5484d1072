"""Queues the tasks app's Celery jobs, always after commit and by id only."""

from django.db import transaction


def notification_emails_enqueue(notification_ids: list[int]) -> None:
    """Emails these notifications once the transaction that made them commits."""
    from apps.tasks.workers import notification_email_batch_task, notification_email_task

    ids = [int(pk) for pk in notification_ids]
    if len(ids) == 1:
        transaction.on_commit(lambda: notification_email_task.delay(ids[0]))
    elif ids:
        transaction.on_commit(lambda: notification_email_batch_task.delay(ids))
