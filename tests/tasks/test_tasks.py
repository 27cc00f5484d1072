"""The due-reminder sweep: one reminder, one escalation, whatever runs twice or at once."""

import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import Role
from apps.tasks import services
from apps.tasks.models import Notification, Task, TaskEvent, TaskEventKind, TaskSettings
from apps.tasks.services.reminders import escalation_key, reminder_key, task_reminders_sweep
from apps.tasks.tasks import task_reminder_sweep_task
from apps.teams.models import TeamMembership
from apps.teams.services import team_member_add, team_member_remove
from caregraph.celery import app as celery_app
from tests import factories
from tests.tasks.factories import make_task

ROOT = Path(__file__).resolve().parents[2]
MONDAY_9AM = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("America/New_York"))


def _keys(**filters) -> list[str]:
    return sorted(Notification.objects.filter(**filters).values_list("idempotency_key", flat=True))


@time_machine.travel(MONDAY_9AM, tick=False)
def test_a_task_coming_due_gets_one_reminder_to_its_owner_however_often_the_sweep_runs(
    nurse, chw, patient
):
    soon = make_task(patient, chw, actor=nurse, due_at=MONDAY_9AM + timedelta(hours=5))
    later = make_task(patient, chw, actor=nurse, due_at=MONDAY_9AM + timedelta(days=3))
    first = task_reminders_sweep()
    second = task_reminders_sweep()
    assert (first.reminded, first.escalated) == (1, 0)
    assert (second.reminded, second.escalated) == (0, 0)
    assert _keys(recipient=chw) == [reminder_key(soon.pk)]
    assert reminder_key(soon.pk) == f"task:{soon.pk}:due"
    soon.refresh_from_db()
    later.refresh_from_db()
    assert soon.reminded_at == MONDAY_9AM
    assert later.reminded_at is None
    assert TaskEvent.objects.filter(task=soon, kind=TaskEventKind.REMINDED).count() == 1


def test_the_reminder_comes_when_time_moves_within_the_lead_time(nurse, chw, patient):
    with time_machine.travel(MONDAY_9AM, tick=False):
        task = make_task(patient, chw, actor=nurse, due_at=MONDAY_9AM + timedelta(days=3))
        assert task_reminders_sweep().reminded == 0
    with time_machine.travel(MONDAY_9AM + timedelta(days=2, hours=10), tick=False):
        assert task_reminders_sweep().reminded == 1
        assert task_reminders_sweep().reminded == 0
    assert _keys() == [reminder_key(task.pk)]


def test_an_overdue_task_escalates_once_to_the_lead_coordinator(nurse, chw, patient):
    with time_machine.travel(MONDAY_9AM, tick=False):
        task = make_task(patient, chw, actor=nurse, due_at=MONDAY_9AM + timedelta(hours=2))
        task_reminders_sweep()
    with time_machine.travel(MONDAY_9AM + timedelta(hours=3), tick=False):
        result = task_reminders_sweep()
        again = task_reminders_sweep()
    assert (result.reminded, result.escalated) == (0, 1)
    assert again.escalated == 0
    escalation = Notification.objects.get(idempotency_key=escalation_key(task.pk))
    assert escalation.idempotency_key == f"task:{task.pk}:overdue"
    assert escalation.recipient == nurse
    assert chw.display_name in escalation.subject
    task.refresh_from_db()
    assert task.escalated_at == MONDAY_9AM + timedelta(hours=3)
    assert _keys(recipient=chw) == [reminder_key(task.pk)]


def test_closed_tasks_and_tasks_awaiting_a_check_are_left_alone(nurse, pharmacist, patient):
    with time_machine.travel(MONDAY_9AM - timedelta(days=2), tick=False):
        done = make_task(patient, nurse, due_at=MONDAY_9AM - timedelta(hours=1))
        services.task_complete(actor=nurse, task=done)
        checked = make_task(
            patient, nurse, due_at=MONDAY_9AM - timedelta(hours=1), verification_role="pharmacist"
        )
        services.task_complete(actor=nurse, task=checked)
    with time_machine.travel(MONDAY_9AM, tick=False):
        assert task_reminders_sweep() == services.SweepResult(reminded=0, escalated=0)
    assert not Notification.objects.exists()


def test_a_team_without_a_lead_keeps_the_escalation_until_one_is_named(team, nurse, chw, patient):
    with time_machine.travel(MONDAY_9AM, tick=False):
        task = make_task(patient, chw, actor=nurse, due_at=MONDAY_9AM - timedelta(hours=1))
        team_member_remove(actor=None, membership=TeamMembership.objects.get(user=nurse))
        assert task_reminders_sweep().escalated == 0
        task.refresh_from_db()
        assert task.escalated_at is None
        newcomer = factories.make_user(team.organisation)
        team_member_add(actor=None, team=team, user=newcomer, role=Role.CASE_MANAGER, is_lead=True)
        assert task_reminders_sweep().escalated == 1
    assert Notification.objects.get(idempotency_key=escalation_key(task.pk)).recipient == newcomer


def test_the_organisations_settings_set_the_lead_time_and_the_escalation_delay(
    organisation, nurse, chw, patient
):
    TaskSettings.objects.create(
        organisation=organisation, reminder_lead_hours=2, escalation_delay_hours=4
    )
    with time_machine.travel(MONDAY_9AM, tick=False):
        in_five_hours = make_task(patient, chw, actor=nurse, due_at=MONDAY_9AM + timedelta(hours=5))
        an_hour_late = make_task(patient, chw, actor=nurse, due_at=MONDAY_9AM - timedelta(hours=1))
        result = task_reminders_sweep()
    assert (result.reminded, result.escalated) == (1, 0)
    assert _keys() == [reminder_key(an_hour_late.pk)]
    with time_machine.travel(MONDAY_9AM + timedelta(hours=3, minutes=30), tick=False):
        result = task_reminders_sweep()
    assert (result.reminded, result.escalated) == (1, 1)
    assert reminder_key(in_five_hours.pk) in _keys()
    assert escalation_key(an_hour_late.pk) in _keys()


def test_a_reassigned_task_is_not_reminded_twice(nurse, chw, social_worker, patient):
    with time_machine.travel(MONDAY_9AM, tick=False):
        task = make_task(patient, chw, actor=nurse, due_at=MONDAY_9AM + timedelta(hours=3))
        task_reminders_sweep()
        services.task_reassign(actor=nurse, task=task, new_owner=social_worker, reason="Cover")
        assert task_reminders_sweep().reminded == 0
    assert Notification.objects.filter(kind="task_due").count() == 1
    assert Notification.objects.filter(recipient=social_worker, kind="task_assigned").count() == 1


def test_the_sweep_costs_the_same_queries_for_3_and_30_tasks(nurse, chw, patient):
    def measure(count: int) -> int:
        for _ in range(count):
            make_task(patient, chw, actor=nurse, due_at=MONDAY_9AM - timedelta(hours=1))
        with (
            time_machine.travel(MONDAY_9AM, tick=False),
            CaptureQueriesContext(connection) as captured,
        ):
            result = task_reminders_sweep()
        assert (result.reminded, result.escalated) == (count, count)
        return len(captured)

    assert measure(3) == measure(30)


def test_emails_go_out_after_commit_without_patient_details(
    nurse, chw, patient, django_capture_on_commit_callbacks
):
    chw.email = "chw@example.org"
    chw.save(update_fields=["email"])
    make_task(patient, chw, actor=nurse, title="Call Rosa about insulin", due_in=timedelta(hours=1))
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            task_reminders_sweep()
    finally:
        celery_app.conf.task_always_eager = previous
    assert [message.to for message in mail.outbox] == [["chw@example.org"]]
    text = mail.outbox[0].subject + mail.outbox[0].body
    for detail in ("Rosa", "Garcia", "insulin", patient.mrn):
        assert detail not in text
    assert Notification.objects.get(recipient=chw).emailed_at is not None


# --- Exactly once under concurrency, on real PostgreSQL -------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_remind_and_escalate_each_task_exactly_once(team, nurse, patient):
    owners = [factories.make_member(team, Role.CHW) for _ in range(3)]
    with time_machine.travel(MONDAY_9AM - timedelta(days=1), tick=False):
        tasks = [
            make_task(
                patient,
                owners[index % 3],
                due_at=MONDAY_9AM - timedelta(minutes=index),
                title=f"Task {index}",
            )
            for index in range(120)
        ]
    barrier = threading.Barrier(2)
    results = []
    errors: list[BaseException] = []
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True  # emails inline, not onto the shared broker

    def sweep():
        try:
            barrier.wait()
            results.append(task_reminders_sweep(batch_size=7))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    try:
        with time_machine.travel(MONDAY_9AM, tick=False):
            threads = [threading.Thread(target=sweep) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        celery_app.conf.task_always_eager = eager
    assert not errors
    assert sum(r.reminded for r in results) == 120
    assert sum(r.escalated for r in results) == 120
    for kind in (TaskEventKind.REMINDED, TaskEventKind.ESCALATED):
        per_task = list(
            TaskEvent.objects.filter(kind=kind).values_list("task_id", flat=True).order_by()
        )
        assert sorted(per_task) == sorted(t.pk for t in tasks)
    assert Notification.objects.filter(kind="task_due").count() == 120
    assert Notification.objects.filter(kind="task_overdue", recipient=nurse).count() == 120
    assert not Task.objects.filter(reminded_at__isnull=True).exists()


# --- The beat job in a real worker process ---------------------------------------------


@pytest.fixture
def worker_queue(transactional_db):
    if not settings.REDIS_URL:
        pytest.fail("REDIS_URL must point at a Redis database for the worker test")
    queue = f"test-tasks-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    url = f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DATABASE_CONN_MAX_AGE": "0"}
    env.pop("TEST_DATABASE_NAME", None)
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue  # the emails it queues go to this worker too
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
            # The worker queues its emails on the default queue (Redis db of this test run).
            f"{queue},{previous}",
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
        celery_app.conf.task_default_queue = previous
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


@pytest.mark.celery_worker
def test_the_beat_job_reminds_in_a_real_worker_and_a_second_run_changes_nothing(
    worker_queue, nurse, chw, social_worker, patient
):
    queue, worker = worker_queue
    chw.email = "chw@example.org"
    chw.save(update_fields=["email"])
    task = make_task(patient, chw, actor=nurse, due_in=timedelta(hours=-2))

    def wait_for(condition, what):
        deadline = time.monotonic() + 90
        while not condition() and time.monotonic() < deadline:
            if worker.poll() is not None:
                pytest.fail("the worker died:\n" + worker.stderr.read().decode()[-3000:])
            time.sleep(0.3)
        assert condition(), what

    task_reminder_sweep_task.apply_async(queue=queue)
    wait_for(
        lambda: Notification.objects.filter(emailed_at__isnull=False, recipient=chw).exists(),
        "the reminder was not sent and emailed",
    )
    wait_for(lambda: Task.objects.get(pk=task.pk).escalated_at is not None, "no escalation")
    task_reminder_sweep_task.apply_async(queue=queue)
    # A sentinel behind the second sweep on the same solo worker: a handover whose email
    # goes out only after that sweep has finished.
    social_worker.email = "sw@example.org"
    social_worker.save(update_fields=["email"])
    services.task_reassign(actor=nurse, task=task, new_owner=social_worker, reason="Cover")
    wait_for(
        lambda: Notification.objects.filter(
            recipient=social_worker, emailed_at__isnull=False
        ).exists(),
        "the sentinel email did not go out",
    )
    assert _keys(kind__in=["task_due", "task_overdue"]) == sorted(
        [reminder_key(task.pk), escalation_key(task.pk)]
    )
    assert TaskEvent.objects.filter(task=task, kind=TaskEventKind.REMINDED).count() == 1
    assert TaskEvent.objects.filter(task=task, kind=TaskEventKind.ESCALATED).count() == 1
