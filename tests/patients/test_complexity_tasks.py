"""The nightly recomputation, run by a real Celery worker process against Redis."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from apps.patients.models import PatientComplexity
from apps.patients.workers import complexity_recompute_all_task
from tests import factories
from tests.patients.factories import make_complex

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def celery_queue(transactional_db):
    """A worker process on a queue of its own, reading the test database; stopped after."""
    if not settings.REDIS_URL:
        pytest.fail("REDIS_URL must point at a Redis database for the worker test")
    queue = f"test-complexity-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DATABASE_CONN_MAX_AGE": "0"}
    env.pop("TEST_DATABASE_NAME", None)
    worker = subprocess.Popen(  # noqa: S603 - our own worker, fixed arguments
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "caregraph",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield queue, worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


@pytest.mark.celery_worker
def test_nightly_task_recomputes_every_patient_in_a_real_worker(celery_queue, team, org_admin):
    flagged = factories.make_patient(team, actor=org_admin)
    plain = factories.make_patient(team, actor=org_admin)
    make_complex(org_admin, flagged)
    PatientComplexity.objects.all().delete()  # as if the evidence had come in by bulk load

    queue, worker = celery_queue
    complexity_recompute_all_task.apply_async(queue=queue)
    deadline = time.monotonic() + 90
    while PatientComplexity.objects.count() < 2 and time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail("the worker died:\n" + worker.stderr.read().decode()[-3000:])
        time.sleep(0.5)
    rows = dict(PatientComplexity.objects.values_list("patient_id", "is_complex"))
    assert rows == {flagged.pk: True, plain.pk: False}


def test_the_nightly_job_is_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["patients-complexity-nightly"]
    assert entry["task"] == complexity_recompute_all_task.name
