"""Scheduled jobs record their runs; check_jobs and the admin home page say which are late."""

import importlib
from datetime import timedelta
from io import StringIO

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from apps.core.jobruns import (
    BEAT,
    HEARTBEAT_TASK,
    beat_ticked,
    job_runs_register,
    schedule_interval,
)
from apps.core.models import JobRun
from tests import factories

pytestmark = pytest.mark.django_db


def _all_ran(now=None, **overrides):
    """Every beat job (and the beat itself) succeeded just now, except `overrides`
    (task name -> last success)."""
    now = now or timezone.now()
    names = [str(spec["task"]) for spec in settings.CELERY_BEAT_SCHEDULE.values()] + [BEAT]
    for name in names:
        JobRun.objects.create(
            name=name,
            registered_at=now - timedelta(days=30),
            last_started_at=now,
            last_success_at=overrides.get(name, now),
        )


def _check(*args):
    out, err = StringIO(), StringIO()
    code = 0
    try:
        call_command("check_jobs", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_check_jobs_passes_when_all_jobs_ran():
    _all_ran()
    code, out, err = _check()
    assert code == 0, err
    assert "on time" in out


def test_check_jobs_fails_when_a_beat_job_is_late():
    late = timezone.now() - timedelta(minutes=11)  # every 5 minutes: twice that has passed
    _all_ran(**{"apps.referrals.workers.referral_reminder_sweep_task": late})
    code, _out, err = _check()
    assert code == 1
    assert "referrals-reminder-sweep" in err
    assert "transitions-follow-up-sweep" not in err


def test_a_daily_job_is_late_only_after_two_days():
    name = "apps.patients.workers.complexity_recompute_all_task"
    _all_ran(**{name: timezone.now() - timedelta(hours=30)})
    assert _check()[0] == 0
    JobRun.objects.filter(name=name).update(last_success_at=timezone.now() - timedelta(hours=49))
    code, _out, err = _check()
    assert code == 1
    assert "patients-complexity-nightly" in err


def test_check_jobs_says_no_worker_has_taken_work_when_the_heartbeat_is_old():
    _all_ran(**{HEARTBEAT_TASK: timezone.now() - timedelta(minutes=5)})
    code, _out, err = _check("--worker")
    assert code == 1
    assert "No worker has taken work" in err
    assert _check("--beat")[0] == 0


def test_check_jobs_says_the_beat_stopped_when_it_has_not_ticked():
    _all_ran(**{BEAT: timezone.now() - timedelta(minutes=5)})
    code, _out, err = _check("--beat")
    assert code == 1
    assert "beat scheduler has not run" in err
    assert _check("--worker")[0] == 0


def test_a_job_that_never_ran_is_late_twice_its_interval_after_the_beat_scheduled_it():
    job_runs_register(
        [str(spec["task"]) for spec in settings.CELERY_BEAT_SCHEDULE.values()],
        now=timezone.now() - timedelta(minutes=3),
    )
    JobRun.objects.create(name=BEAT, last_success_at=timezone.now())
    code, _out, err = _check()
    assert code == 1
    assert "core-heartbeat" in err  # every minute: late after two
    assert "referrals-reminder-sweep" not in err  # every five: not yet


def test_a_crontab_interval_is_the_gap_between_its_runs():
    assert schedule_interval(crontab(hour=2, minute=30)) == timedelta(days=1)
    assert schedule_interval(crontab(minute="*/15")) == timedelta(minutes=15)


def test_admin_home_shows_late_jobs(client_for):
    _all_ran(**{"apps.tasks.workers.task_reminder_sweep_task": timezone.now() - timedelta(hours=2)})
    JobRun.objects.filter(name="apps.tasks.workers.task_reminder_sweep_task").update(
        last_error="ItemsFailed: 1 of 2 batches failed"
    )
    admin = factories.make_user(factories.make_organisation(), is_staff=True, is_superuser=True)
    page = client_for(admin).get("/admin/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="admin-home-warnings"' in html
    assert "tasks-reminder-sweep has not succeeded" in html
    assert "ItemsFailed: 1 of 2 batches failed" in html


def test_admin_home_is_quiet_when_every_job_ran(client_for):
    _all_ran()
    admin = factories.make_user(factories.make_organisation(), is_staff=True, is_superuser=True)
    page = client_for(admin).get("/admin/")
    assert 'id="admin-home-warnings"' not in page.content.decode()


def test_every_beat_job_records_its_success():
    for entry, spec in settings.CELERY_BEAT_SCHEDULE.items():
        module, function = str(spec["task"]).rsplit(".", 1)
        task = getattr(importlib.import_module(module), function)
        assert task.name == spec["task"], entry
        task()
        run = JobRun.objects.get(name=spec["task"])
        assert run.last_success_at is not None, entry
        assert run.last_error == "", entry
    beat_ticked()
    code, _out, err = _check()
    assert code == 0, err


def test_a_failing_job_records_its_error_without_patient_values(monkeypatch):
    from apps.referrals import workers

    def broken(**kwargs):
        raise ValueError("Garcia, Rosa MRN0001")

    monkeypatch.setattr(workers, "referral_reminder_sweep", broken)
    with pytest.raises(ValueError, match="MRN"):
        workers.referral_reminder_sweep_task()
    run = JobRun.objects.get(name=workers.referral_reminder_sweep_task.name)
    assert run.last_failed_at is not None
    assert run.last_success_at is None
    assert run.last_error == "ValueError"


def test_the_web_health_check_answers_without_a_login(client):
    assert client.get("/healthz").content == b"ok"
