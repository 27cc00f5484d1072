"""Real Celery worker and beat processes on real Redis, reading the test database.

Each test gets a queue of its own: the test process routes its own sends there
(the default queue is switched for the test) and the workers consume only it.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection

from caregraph.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[1]


def forget_permission_caches() -> None:
    """Content types and permissions get new ids after each transactional test's flush;
    process-wide caches (Django's, guardian's, the team permission ids) may hold old ones."""
    from django.contrib.contenttypes.models import ContentType
    from guardian.shortcuts import clear_ct_cache

    from apps.teams import permissions as team_permissions

    ContentType.objects.clear_cache()
    clear_ct_cache()
    team_permissions._permission_ids.cache_clear()


def test_database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        **extra,
    }
    env.pop("TEST_DATABASE_NAME", None)
    return env


@contextlib.contextmanager
def private_queue(prefix: str = "test-transitions") -> Iterator[str]:
    """A fresh queue; sends from this process go there while the block runs."""
    if not settings.REDIS_URL:
        raise RuntimeError("REDIS_URL must point at a Redis database for worker tests")
    queue = f"{prefix}-{uuid.uuid4().hex[:8]}"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        yield queue
    finally:
        celery_app.conf.task_default_queue = previous
        client = redis.Redis.from_url(settings.REDIS_URL)
        for pattern in (f"{queue}*", f"_kombu.binding*.{queue}"):
            for key in client.scan_iter(match=pattern):
                client.delete(key)


def queue_length(queue: str) -> int:
    return int(redis.Redis.from_url(settings.REDIS_URL).llen(queue))


class Processes:
    """Starts worker and beat processes and stops every one of them at the end."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[bytes]] = []

    def worker(
        self,
        queue: str,
        *,
        name: str,
        pool: str = "solo",
        concurrency: int = 1,
        env: dict[str, str] | None = None,
        app: str = "caregraph",
    ) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(  # noqa: S603 - our own worker, fixed arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                app,
                "worker",
                f"--pool={pool}",
                f"--concurrency={concurrency}",
                "-Q",
                queue,
                "-n",
                f"{name}-{uuid.uuid4().hex[:6]}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "info",
            ],
            cwd=ROOT,
            env=process_env(**(env or {})),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.started.append(process)
        return process

    def beat(self, queue: str, *, schedule_dir: Path, seconds: float) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(  # noqa: S603 - our own beat, fixed arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tests.transitions.beat_app",
                "beat",
                "-s",
                str(schedule_dir / f"beat-{uuid.uuid4().hex[:6]}"),
                "--max-interval",
                "1",
                "-l",
                "warning",
            ],
            cwd=ROOT,
            env=process_env(CG_TEST_QUEUE=queue, CG_TEST_BEAT_SECONDS=str(seconds)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.terminate()
        for process in self.started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def wait_for(
    condition: Callable[[], bool],
    *,
    timeout: float = 60,
    workers: tuple[subprocess.Popen[bytes], ...] = (),
    what: str = "the condition",
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        for worker in workers:
            if worker.poll() is not None:
                error = worker.stderr.read().decode()[-3000:] if worker.stderr else ""
                raise AssertionError(f"a worker died while waiting for {what}:\n{error}")
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
