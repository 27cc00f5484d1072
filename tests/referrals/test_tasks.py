"""The beat sweep under concurrency: two sweeps at once on real PostgreSQL (threads with
their own connections), and a real Celery worker on real Redis, including a worker
killed mid-sweep whose message is redelivered."""

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.referrals.models import Referral, ReferralEvent, ReferralEventKind, ReferralState
from apps.referrals.services.sweep import referral_reminder_sweep, reminder_key
from apps.referrals.workers import referral_reminder_sweep_task
from apps.tasks.models import Notification
from tests import workers
from tests.referrals.factories import SWEEPER, make_referral
from tests.tasks.factories import notification_key_held

S = ReferralState


def make_due(patient, actor, service, count: int) -> list[int]:
    """`count` sent referrals whose reminder is due now (bulk copies of a real one)."""
    model = make_referral(patient, actor=actor, service=service, state=S.SENT)
    past = timezone.now() - timedelta(hours=1)
    Referral.objects.filter(pk=model.pk).update(remind_at=past)
    model.refresh_from_db()
    copies = []
    for _ in range(count - 1):
        copy = Referral.objects.get(pk=model.pk)
        copy.pk = None
        copies.append(copy)
    Referral.objects.bulk_create(copies, batch_size=1000)
    return list(Referral.objects.values_list("pk", flat=True))


def assert_exactly_one_reminder_each(ids: list[int]) -> None:
    keys = list(
        Notification.objects.filter(kind="referral_reminder").values_list(
            "idempotency_key", flat=True
        )
    )
    assert len(keys) == len(ids)
    assert sorted(keys) == sorted(f"referral:{pk}:sent:2:reminder" for pk in ids)
    reminded = Counter(
        ReferralEvent.objects.filter(kind=ReferralEventKind.REMINDED).values_list(
            "referral_id", flat=True
        )
    )
    assert reminded == Counter(dict.fromkeys(ids, 1))
    assert not Referral.objects.filter(reminder_sent_at__isnull=True).exists()


def test_the_sweep_is_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["referrals-reminder-sweep"]
    assert entry["task"] == referral_reminder_sweep_task.name
    assert entry["schedule"] <= timedelta(minutes=15)


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_on_separate_connections_send_one_reminder_per_referral(
    patient, nurse, food_service
):
    ids = make_due(patient, nurse, food_service, 120)
    barrier = threading.Barrier(2)
    results = []
    errors = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(referral_reminder_sweep(actor=SWEEPER, batch_size=7))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sum(result.reminders for result in results) == len(ids)
    assert_exactly_one_reminder_each(ids)


# --- a real worker ----------------------------------------------------------------------
#
# `celery worker` processes on the test database and Redis (tests/workers.py).

MAIL = {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}


@pytest.fixture
def queue(transactional_db):
    with workers.private_queue("test-referrals") as name:
        yield name


def reminded() -> int:
    return Notification.objects.filter(kind="referral_reminder").count()


def none_left_to_remind() -> bool:
    return not Referral.objects.filter(reminder_sent_at__isnull=True).exists()


@pytest.mark.celery_worker
def test_a_real_worker_runs_two_sweeps_at_once_and_a_redelivery_sends_nothing_twice(
    processes, queue, patient, nurse, food_service
):
    ids = make_due(patient, nurse, food_service, 400)
    worker = processes.worker(queue, name="pair", pool="prefork", concurrency=2, env=MAIL)
    # Two sweeps at once (one per pool process), then the same message again, as
    # if Redis had redelivered it.
    referral_reminder_sweep_task.delay()
    referral_reminder_sweep_task.delay()
    workers.wait_for(none_left_to_remind, workers=(worker,), timeout=120, what="the sweeps")
    referral_reminder_sweep_task.delay()
    workers.wait_for(lambda: workers.queue_length(queue) == 0, workers=(worker,), what="drain")
    time.sleep(2)
    assert worker.poll() is None
    assert_exactly_one_reminder_each(ids)


@pytest.mark.celery_worker
def test_a_pool_child_killed_mid_sweep_loses_nothing_and_duplicates_nothing(
    processes, queue, patient, nurse, food_service
):
    ids = make_due(patient, nurse, food_service, 3000)
    worker = processes.worker(queue, name="child", pool="prefork", concurrency=1, env=MAIL)
    workers.wait_for(lambda: bool(workers.children_of(worker.pid)), workers=(worker,))
    referral_reminder_sweep_task.delay()
    # Kill the pool process as soon as the first batch has committed.
    workers.wait_for(lambda: reminded() > 0, workers=(worker,), what="the first batch")
    for child in workers.children_of(worker.pid):
        workers.kill(child)
    assert 0 < reminded() < len(ids)
    # acks_late + reject_on_worker_lost: the message goes back to Redis and a fresh
    # pool process runs the sweep again from what the database says is still due.
    workers.wait_for(none_left_to_remind, workers=(worker,), timeout=120, what="the rerun")
    assert_exactly_one_reminder_each(ids)


@pytest.mark.celery_worker
def test_a_whole_worker_killed_mid_sweep_is_redelivered_after_the_visibility_timeout(
    processes, queue, patient, nurse, food_service
):
    ids = make_due(patient, nurse, food_service, 1200)
    last = Referral.objects.get(pk=max(ids))
    short = {**MAIL, "CELERY_VISIBILITY_TIMEOUT": "3"}
    worker = processes.worker(queue, name="doomed", env=short)
    # The sweep waits at the last referral's reminder (another session holds its
    # key), its earlier batches committed: the worker dies right there.
    with notification_key_held(reminder_key(last), nurse.pk):
        referral_reminder_sweep_task.delay()
        workers.wait_for(lambda: reminded() >= 500, workers=(worker,), what="the first batch")
        workers.kill(worker.pid)
        worker.wait(10)
    assert 0 < reminded() < len(ids)
    assert workers.queue_length(queue) == 0  # the message sits unacknowledged in Redis
    # A new worker restores messages unacknowledged for longer than the
    # visibility timeout when it starts polling.
    time.sleep(4)
    rescuer = processes.worker(queue, name="rescuer", env=short)
    workers.wait_for(
        none_left_to_remind, workers=(rescuer,), timeout=120, what="the redelivered sweep"
    )
    assert_exactly_one_reminder_each(ids)
