"""The beat sweep under concurrency: two sweeps at once on real PostgreSQL (threads with
their own connections), and a real Celery worker on real Redis, including a worker
killed mid-sweep whose message is redelivered."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.referrals.models import Referral, ReferralEvent, ReferralEventKind, ReferralState
from apps.referrals.services.sweep import referral_reminder_sweep
from apps.referrals.tasks import referral_reminder_sweep_task
from apps.tasks.models import Notification
from tests.referrals.factories import make_referral

ROOT = Path(__file__).resolve().parents[2]
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
            results.append(referral_reminder_sweep(batch_size=7))
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


def _worker(queue: str, *args: str) -> subprocess.Popen:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{credentials}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_CONN_MAX_AGE": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    env.pop("TEST_DATABASE_NAME", None)
    return subprocess.Popen(  # noqa: S603 - our own worker, fixed arguments
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "caregraph",
            "worker",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "warning",
            *args,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


@pytest.fixture
def queue(transactional_db):
    if not settings.REDIS_URL:
        pytest.fail("REDIS_URL must point at a Redis database for the worker tests")
    name = f"test-referrals-{uuid.uuid4().hex[:8]}"
    yield name
    redis.Redis.from_url(settings.REDIS_URL).delete(name)


def _wait_for(condition, worker: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if worker.poll() is not None:
            pytest.fail("the worker died:\n" + worker.stderr.read().decode()[-3000:])
        if time.monotonic() > deadline:
            pytest.fail("the worker did not finish in time")
        time.sleep(0.05)


@pytest.mark.celery_worker
def test_a_real_worker_runs_two_sweeps_at_once_and_a_redelivery_sends_nothing_twice(
    queue, patient, nurse, food_service
):
    ids = make_due(patient, nurse, food_service, 400)
    worker = _worker(queue, "--pool=prefork", "--concurrency=2")
    try:
        # Two sweeps at once (one per pool process), then the same message again, as
        # if Redis had redelivered it.
        referral_reminder_sweep_task.apply_async(queue=queue)
        referral_reminder_sweep_task.apply_async(queue=queue)
        _wait_for(
            lambda: not Referral.objects.filter(reminder_sent_at__isnull=True).exists(), worker
        )
        referral_reminder_sweep_task.apply_async(queue=queue)
        time.sleep(3)
        assert worker.poll() is None
    finally:
        _stop(worker)
    assert_exactly_one_reminder_each(ids)


def _pool_children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


@pytest.mark.celery_worker
def test_a_worker_killed_mid_sweep_loses_nothing_and_duplicates_nothing(
    queue, patient, nurse, food_service
):
    ids = make_due(patient, nurse, food_service, 3000)
    worker = _worker(queue, "--pool=prefork", "--concurrency=1")
    try:
        _wait_for(lambda: bool(_pool_children(worker.pid)), worker, seconds=60)
        referral_reminder_sweep_task.apply_async(queue=queue)
        # Kill the pool process as soon as the first batch has committed.
        _wait_for(lambda: Notification.objects.exists(), worker)
        sent_before_kill = Notification.objects.count()
        for child in _pool_children(worker.pid):
            os.kill(child, signal.SIGKILL)
        assert 0 < sent_before_kill < len(ids)
        # acks_late + reject_on_worker_lost: the message goes back to Redis and a fresh
        # pool process runs the sweep again from what the database says is still due.
        _wait_for(
            lambda: not Referral.objects.filter(reminder_sent_at__isnull=True).exists(), worker
        )
    finally:
        _stop(worker)
    assert_exactly_one_reminder_each(ids)
