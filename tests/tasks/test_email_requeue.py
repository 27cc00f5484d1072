"""Emails whose job never ran go out on a later sweep, once."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from apps.tasks.models import Notification
from apps.tasks.notifications import notification_emails_requeue, notification_send
from caregraph.celery import app as celery_app


@pytest.fixture
def eager() -> Iterator[None]:
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = previous


def lost_notification(recipient, key: str) -> Notification:
    """Made and committed, but its email job was never queued (the process died)."""
    notification = notification_send(
        recipient=recipient, idempotency_key=key, kind="task_due", subject="A task is due"
    )
    assert notification is not None
    return notification


def test_an_email_never_queued_goes_out_on_a_later_sweep_once(
    chw, eager, django_capture_on_commit_callbacks
):
    chw.email = "chw@example.org"
    chw.save(update_fields=["email"])
    start = timezone.now()
    with (
        time_machine.travel(start, tick=False),
        django_capture_on_commit_callbacks(execute=False),
    ):
        notification = lost_notification(chw, "lost-1")
    assert mail.outbox == []

    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        assert notification_emails_requeue() == 0  # may still be on its way
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert notification_emails_requeue() == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert notification_emails_requeue() == 0

    assert [message.to for message in mail.outbox] == [["chw@example.org"]]
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_old_sent_and_unaddressed_notifications_are_left_alone(
    chw, nurse, eager, django_capture_on_commit_callbacks
):
    chw.email = "chw@example.org"
    chw.save(update_fields=["email"])
    nurse.email = ""
    nurse.save(update_fields=["email"])
    start = timezone.now()
    with (
        time_machine.travel(start - timedelta(days=2), tick=False),
        django_capture_on_commit_callbacks(execute=False),
    ):
        lost_notification(chw, "too-old")
    with time_machine.travel(start, tick=False):
        with django_capture_on_commit_callbacks(execute=False):
            lost_notification(nurse, "no-address")
        with django_capture_on_commit_callbacks(execute=True):
            lost_notification(chw, "sent")  # its job ran at commit
    assert len(mail.outbox) == 1

    with (
        time_machine.travel(start + timedelta(hours=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert notification_emails_requeue() == 0
    assert len(mail.outbox) == 1
