"""Which scheduled jobs ran, and which are late: recorded by the jobs, read by the checks.

Every beat job is wrapped in `recorded_job`, which writes its start, success
or failure to a `JobRun` row named after the Celery task. The beat records
its own ticks ("core.beat") and a short-interval heartbeat job
("core.heartbeat") is executed by a worker, so "no worker has taken work" is
that job's age. A job is late when it has not succeeded within twice its
interval in `CELERY_BEAT_SCHEDULE` (counted from when the beat first
scheduled it, for a job that never ran); `check_jobs` and the admin home
page both ask `late_jobs`.
"""

import functools
import itertools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.utils import timezone

from apps.core.items import error_summary
from apps.core.models import JobRun

logger = logging.getLogger(__name__)

BEAT = "core.beat"
HEARTBEAT_TASK = "apps.core.workers.heartbeat_task"
# The beat wakes at least this often (it runs the heartbeat on this interval).
DEFAULT_BEAT_INTERVAL = timedelta(minutes=1)

P = ParamSpec("P")
R = TypeVar("R")


def job_name(function: Callable[..., Any]) -> str:
    """The name Celery gives a task defined by `function` (module and function name)."""
    return f"{function.__module__}.{function.__name__}"


def _record(name: str, **values: Any) -> None:
    """Best effort: a database too broken to record a run must not hide the job's own
    outcome (its error is raised, and the run's age says the rest)."""
    try:
        updated = JobRun.objects.filter(name=name).update(**values)
        if not updated:
            JobRun.objects.get_or_create(name=name, defaults=values)
    except Exception as error:
        logger.warning("could not record a run of %s: %s", name, type(error).__name__)


def recorded_job(function: Callable[P, R]) -> Callable[P, R]:
    """Wraps a beat job's body: records its start, then its success or failure."""
    name = job_name(function)

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        _record(name, last_started_at=timezone.now())
        try:
            result = function(*args, **kwargs)
        except Exception as error:
            _record(name, last_failed_at=timezone.now(), last_error=error_summary(error))
            raise
        _record(name, last_success_at=timezone.now(), last_error="")
        return result

    return run


def job_runs_register(names: Iterable[str], *, now: datetime | None = None) -> None:
    """Rows for jobs the beat schedules, so one that never runs becomes late in time."""
    now = now or timezone.now()
    JobRun.objects.bulk_create(
        [JobRun(name=name, registered_at=now) for name in names], ignore_conflicts=True
    )


def beat_ticked(*, now: datetime | None = None) -> None:
    """The beat is alive: called from its scheduler's tick."""
    _record(BEAT, last_success_at=now or timezone.now())


def schedule_interval(schedule: Any, *, now: datetime | None = None) -> timedelta:
    """The longest wait between two runs of a beat schedule (timedelta, seconds, crontab)."""
    if isinstance(schedule, timedelta):
        return schedule
    if isinstance(schedule, int | float):
        return timedelta(seconds=schedule)
    if hasattr(schedule, "remaining_delta"):
        # A crontab: walk its next few firings and take the widest gap.
        moment = now or timezone.now()
        firings = []
        for _ in range(8):
            start, delta, _now = schedule.remaining_delta(moment)
            moment = start + delta
            firings.append(moment)
        return max(later - earlier for earlier, later in itertools.pairwise(firings))
    run_every = getattr(schedule, "run_every", None)
    if isinstance(run_every, timedelta):
        return run_every
    raise TypeError(f"unknown beat schedule {schedule!r}")


@dataclass(frozen=True)
class JobHealth:
    entry: str
    task: str
    interval: timedelta
    last_success_at: datetime | None
    last_error: str
    late: bool

    @property
    def message(self) -> str:
        if self.task == HEARTBEAT_TASK:
            what = "No worker has taken work"
        elif self.task == BEAT:
            what = "The beat scheduler has not run"
        else:
            what = f"The job {self.entry} has not succeeded"
        since = (
            f"since {timezone.localtime(self.last_success_at):%Y-%m-%d %H:%M}"
            if self.last_success_at
            else "since it was scheduled"
        )
        error = f" (last error: {self.last_error})" if self.last_error else ""
        return f"{what} {since}; expected every {_span(self.interval)}{error}."


def _span(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400} day(s)"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} hour(s)"
    if seconds % 60 == 0:
        return f"{seconds // 60} minute(s)"
    return f"{seconds} second(s)"


def beat_entries() -> dict[str, tuple[str, timedelta]]:
    """Each beat entry's task name and interval, from `CELERY_BEAT_SCHEDULE`."""
    return {
        entry: (str(spec["task"]), schedule_interval(spec["schedule"]))
        for entry, spec in settings.CELERY_BEAT_SCHEDULE.items()
    }


def job_health(*, now: datetime | None = None, part: str = "all") -> list[JobHealth]:
    """Every beat job (`part` "all"), the worker heartbeat only ("worker") or the beat
    only ("beat"), each with its last success and whether it is late."""
    now = now or timezone.now()
    entries = beat_entries()
    heartbeat_interval = next(
        (interval for task, interval in entries.values() if task == HEARTBEAT_TASK),
        DEFAULT_BEAT_INTERVAL,
    )
    wanted: dict[str, tuple[str, timedelta]] = {}
    if part in ("all", "beat"):
        wanted["beat"] = (BEAT, heartbeat_interval)
    if part == "all":
        wanted.update(entries)
    elif part == "worker":
        wanted.update({e: spec for e, spec in entries.items() if spec[0] == HEARTBEAT_TASK})
    runs = {
        run.name: run for run in JobRun.objects.filter(name__in=[t for t, _ in wanted.values()])
    }
    health = []
    for entry, (task, interval) in wanted.items():
        run = runs.get(task)
        since = (run.last_success_at or run.registered_at) if run else None
        health.append(
            JobHealth(
                entry=entry,
                task=task,
                interval=interval,
                last_success_at=run.last_success_at if run else None,
                last_error=run.last_error if run else "",
                late=since is None or now - since > 2 * interval,
            )
        )
    return health


def late_jobs(*, now: datetime | None = None, part: str = "all") -> list[JobHealth]:
    return [health for health in job_health(now=now, part=part) if health.late]
