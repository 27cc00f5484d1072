"""Each email is sent and recorded on its own: a refused address is marked, never blocking
anyone else's mail; transient failures are retried with backoff."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.utils import timezone

from apps.tasks.models import EMAIL_REFUSALS_FAILING, EmailAddressStatus, Notification
from apps.tasks.notifications import notification_emails_requeue, notification_send
from apps.tasks.workers import notification_email_batch_task
from caregraph.celery import app as celery_app
from tests import factories
from tests.tasks import mailbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def refusing(settings) -> None:
    settings.EMAIL_BACKEND = mailbox.REFUSING_BACKEND


@pytest.fixture
def eager() -> Iterator[None]:
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = previous


def _person(organisation, address: str):
    user = factories.make_user(organisation)
    user.email = address
    user.save(update_fields=["email"])
    return user


def _notify(recipients, key: str, django_capture_on_commit_callbacks) -> list[int]:
    with django_capture_on_commit_callbacks(execute=False):
        return [
            notification_send(
                recipient=recipient,
                idempotency_key=f"{key}:{recipient.pk}",
                kind="task_due",
                subject="A task is due",
            ).pk
            for recipient in recipients
        ]


def test_a_refused_address_does_not_block_other_emails(
    organisation, refusing, django_capture_on_commit_callbacks
):
    gone = _person(organisation, mailbox.REFUSED_ADDRESS)
    others = [_person(organisation, f"person{n}@example.org") for n in range(5)]
    # The refused one first: before, the batch stopped there and everyone after waited.
    ids = _notify([gone, *others], "batch", django_capture_on_commit_callbacks)

    notification_email_batch_task(ids)

    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        person.email for person in others
    )
    refused = Notification.objects.get(recipient=gone)
    assert refused.emailed_at is None
    assert refused.email_attempts == 1
    assert refused.email_failed_at is not None
    assert refused.email_error == "SMTPRecipientsRefused"
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 5
    assert EmailAddressStatus.objects.get(user=gone).failing_since is None


def test_failing_address_is_marked_and_shown_to_the_organisation_admin(
    organisation, refusing, client_for, django_capture_on_commit_callbacks
):
    gone = _person(organisation, mailbox.REFUSED_ADDRESS)
    for attempt in range(EMAIL_REFUSALS_FAILING):
        notification_email_batch_task(
            _notify([gone], f"try{attempt}", django_capture_on_commit_callbacks)
        )
    status = EmailAddressStatus.objects.get(user=gone)
    assert status.failing_since is not None
    assert status.refusals == EMAIL_REFUSALS_FAILING

    # No more tries at that address, and the requeue leaves its emails alone.
    notification_email_batch_task(_notify([gone], "after", django_capture_on_commit_callbacks))
    assert Notification.objects.get(idempotency_key=f"after:{gone.pk}").email_attempts == 0
    later = timezone.now() + timedelta(minutes=30)
    with django_capture_on_commit_callbacks(execute=False):
        assert notification_emails_requeue(now=later) == 0

    view = Permission.objects.filter(codename="view_emailaddressstatus")
    admin = factories.make_staff(organisation, view)
    home = client_for(admin).get("/admin/").content.decode()
    assert "1 email address(es) keep being refused" in home
    listing = client_for(admin).get("/admin/tasks/emailaddressstatus/?failing=yes")
    assert mailbox.REFUSED_ADDRESS in listing.content.decode()

    stranger = factories.make_staff(factories.make_organisation(), view)
    assert "keep being refused" not in client_for(stranger).get("/admin/").content.decode()
    other_listing = client_for(stranger).get("/admin/tasks/emailaddressstatus/")
    assert mailbox.REFUSED_ADDRESS not in other_listing.content.decode()


def test_a_fixed_address_gets_email_again(
    organisation, refusing, django_capture_on_commit_callbacks
):
    gone = _person(organisation, mailbox.REFUSED_ADDRESS)
    for attempt in range(EMAIL_REFUSALS_FAILING):
        notification_email_batch_task(
            _notify([gone], f"try{attempt}", django_capture_on_commit_callbacks)
        )
    gone.email = "found@example.org"
    gone.save(update_fields=["email"])
    notification_email_batch_task(_notify([gone], "fixed", django_capture_on_commit_callbacks))
    assert [message.to for message in mail.outbox] == [["found@example.org"]]


def test_a_mail_server_that_drops_the_connection_is_retried_and_the_rest_go_out(
    organisation, settings, eager, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = mailbox.FLAKY_BACKEND
    flaky = _person(organisation, "flaky@example.org")
    steady = _person(organisation, "steady@example.org")
    mailbox.flaky_failures[:] = ["flaky@example.org"]
    ids = _notify([flaky, steady], "flaky", django_capture_on_commit_callbacks)

    notification_email_batch_task.apply(args=[ids])

    assert sorted(message.to[0] for message in mail.outbox) == [
        "flaky@example.org",
        "steady@example.org",
    ]
    retried = Notification.objects.get(recipient=flaky)
    assert retried.emailed_at is not None
    assert retried.email_attempts == 1  # the dropped connection, counted
    assert retried.email_error == "SMTPServerDisconnected"


def test_the_requeue_gives_up_on_an_email_that_keeps_failing(
    organisation, django_capture_on_commit_callbacks
):
    person = _person(organisation, "someone@example.org")
    (notification_id,) = _notify([person], "stuck", django_capture_on_commit_callbacks)
    Notification.objects.filter(pk=notification_id).update(
        created_at=timezone.now() - timedelta(hours=1), email_attempts=5
    )
    with django_capture_on_commit_callbacks(execute=False):
        assert notification_emails_requeue() == 0
    Notification.objects.filter(pk=notification_id).update(email_attempts=1)
    with django_capture_on_commit_callbacks(execute=False):
        assert notification_emails_requeue() == 1
