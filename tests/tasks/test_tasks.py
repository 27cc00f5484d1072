"""The due-reminder sweep: one reminder, one escalation, whatever runs twice or at once."""

import re
import threading
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.core.models import AuditAction, AuditEvent
from apps.tasks import services
from apps.tasks.models import Notification, Task, TaskEvent, TaskEventKind, TaskSettings
from apps.tasks.services.lifecycle import task_link
from apps.tasks.services.reminders import SWEEP, escalation_key, reminder_key, task_reminders_sweep
from apps.tasks.workers import (
    notification_email_batch_task,
    notification_email_task,
    task_reminder_sweep_task,
)
from apps.teams.models import TeamMembership
from apps.teams.services import team_member_add, team_member_remove
from caregraph.celery import app as celery_app
from tests import factories, workers
from tests.factories import SETUP
from tests.tasks import mailbox
from tests.tasks.factories import make_task, notification_key_held
from tests.threads import held_open

MONDAY_9AM = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("America/New_York"))


def _keys(**filters) -> list[str]:
    return sorted(Notification.objects.filter(**filters).values_list("idempotency_key", flat=True))


@time_machine.travel(MONDAY_9AM, tick=False)
def test_a_task_coming_due_gets_one_reminder_to_its_owner_however_often_the_sweep_runs(
    nurse, chw, patient
):
    soon = make_task(patient, chw, actor=nurse, due_at=MONDAY_9AM + timedelta(hours=5))
    later = make_task(patient, chw, actor=nurse, due_at=MONDAY_9AM + timedelta(days=3))
    first = task_reminders_sweep(actor=SWEEP)
    second = task_reminders_sweep(actor=SWEEP)
    assert (first.reminded, first.escalated) == (1, 0)
    assert (second.reminded, second.escalated) == (0, 0)
    assert _keys(recipient=chw) == [reminder_key(soon.pk)]
    assert reminder_key(soon.pk) == f"task:{soon.pk}:due"
    soon.refresh_from_db()
    later.refresh_from_db()
    assert soon.reminded_at == MONDAY_9AM
    assert later.reminded_at is None
    assert TaskEvent.objects.filter(task=soon, kind=TaskEventKind.REMINDED).count() == 1


@time_machine.travel(MONDAY_9AM, tick=False)
def test_each_reminded_task_is_audited_with_its_own_patient(
    nurse, chw, patient, other_patient, outsider
):
    """One batch spans organisations; each event names one task and its patient, so each
    organisation's staff find their own patients' events in the audit admin."""
    ours = make_task(patient, chw, actor=nurse, due_at=MONDAY_9AM + timedelta(hours=2))
    theirs = make_task(other_patient, outsider, due_at=MONDAY_9AM + timedelta(hours=4))
    before = AuditEvent.objects.count()

    assert task_reminders_sweep(actor=SWEEP).reminded == 2

    events = list(AuditEvent.objects.order_by("pk")[before:])
    assert [(event.object_id, event.patient_id) for event in events] == [
        (str(ours.pk), patient.pk),
        (str(theirs.pk), other_patient.pk),
    ]
    assert {
        (event.action, event.object_type, event.actor_id, tuple(event.detail["fields"]))
        for event in events
    } == {(AuditAction.UPDATE, "tasks.task", None, ("reminded_at",))}


def test_the_reminder_comes_when_time_moves_within_the_lead_time(nurse, chw, patient):
    with time_machine.travel(MONDAY_9AM, tick=False):
        task = make_task(patient, chw, actor=nurse, due_at=MONDAY_9AM + timedelta(days=3))
        assert task_reminders_sweep(actor=SWEEP).reminded == 0
    with time_machine.travel(MONDAY_9AM + timedelta(days=2, hours=10), tick=False):
        assert task_reminders_sweep(actor=SWEEP).reminded == 1
        assert task_reminders_sweep(actor=SWEEP).reminded == 0
    assert _keys() == [reminder_key(task.pk)]


def test_an_overdue_task_escalates_once_to_the_lead_coordinator(nurse, chw, patient):
    with time_machine.travel(MONDAY_9AM, tick=False):
        task = make_task(patient, chw, actor=nurse, due_at=MONDAY_9AM + timedelta(hours=2))
        task_reminders_sweep(actor=SWEEP)
    with time_machine.travel(MONDAY_9AM + timedelta(hours=3), tick=False):
        result = task_reminders_sweep(actor=SWEEP)
        again = task_reminders_sweep(actor=SWEEP)
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
        assert task_reminders_sweep(actor=SWEEP) == services.SweepResult(reminded=0, escalated=0)
    assert not Notification.objects.exists()


def test_a_team_without_a_lead_keeps_the_escalation_until_one_is_named(team, nurse, chw, patient):
    with time_machine.travel(MONDAY_9AM, tick=False):
        task = make_task(patient, chw, actor=nurse, due_at=MONDAY_9AM - timedelta(hours=1))
        team_member_remove(actor=SETUP, membership=TeamMembership.objects.get(user=nurse))
        assert task_reminders_sweep(actor=SWEEP).escalated == 0
        task.refresh_from_db()
        assert task.escalated_at is None
        newcomer = factories.make_user(team.organisation)
        team_member_add(actor=SETUP, team=team, user=newcomer, role=Role.CASE_MANAGER, is_lead=True)
        assert task_reminders_sweep(actor=SWEEP).escalated == 1
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
        result = task_reminders_sweep(actor=SWEEP)
    assert (result.reminded, result.escalated) == (1, 0)
    assert _keys() == [reminder_key(an_hour_late.pk)]
    with time_machine.travel(MONDAY_9AM + timedelta(hours=3, minutes=30), tick=False):
        result = task_reminders_sweep(actor=SWEEP)
    assert (result.reminded, result.escalated) == (1, 1)
    assert reminder_key(in_five_hours.pk) in _keys()
    assert escalation_key(an_hour_late.pk) in _keys()


def test_a_reassigned_task_is_not_reminded_twice(nurse, chw, social_worker, patient):
    with time_machine.travel(MONDAY_9AM, tick=False):
        task = make_task(patient, chw, actor=nurse, due_at=MONDAY_9AM + timedelta(hours=3))
        task_reminders_sweep(actor=SWEEP)
        services.task_reassign(actor=nurse, task=task, new_owner=social_worker, reason="Cover")
        assert task_reminders_sweep(actor=SWEEP).reminded == 0
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
            result = task_reminders_sweep(actor=SWEEP)
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
            task_reminders_sweep(actor=SWEEP)
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
            results.append(task_reminders_sweep(actor=SWEEP, batch_size=7))
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


# --- Emails: each once, also when two jobs send at once -------------------------------------


def _notifications_for(recipients: list, count: int) -> list[Notification]:
    return [
        Notification.objects.create(
            recipient=recipients[index % len(recipients)],
            idempotency_key=f"test:{index}:due",
            kind="task_due",
            subject=f"Due soon: Task {index}",
            link=f"/tasks/{index}/",
        )
        for index in range(count)
    ]


def _email_at_once(*jobs: list[int]) -> None:
    """Runs the email batch job for each list of ids, all in threads started together."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def send(ids: list[int]) -> None:
        try:
            barrier.wait()
            notification_email_batch_task(ids)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(ids,)) for ids in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors


def _people_with_email(team, count: int) -> list[User]:
    people = [factories.make_member(team, Role.CHW) for _ in range(count)]
    for index, person in enumerate(people):
        person.email = f"person{index}@example.org"
        person.save(update_fields=["email"])
    return people


@pytest.mark.django_db(transaction=True)
def test_two_email_jobs_for_the_same_notifications_at_once_send_each_email_once(team, settings):
    settings.EMAIL_BACKEND = mailbox.SLOW_LOCMEM_BACKEND
    ids = [notification.pk for notification in _notifications_for(_people_with_email(team, 3), 60)]
    # Same ids, same order, same start: without a claim both would send every one.
    _email_at_once(ids, ids)
    sent = Counter((message.to[0], message.body) for message in mail.outbox)
    assert len(sent) == 60
    assert set(sent.values()) == {1}
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_two_email_jobs_at_once_to_the_same_person_send_all_their_emails(team, settings):
    settings.EMAIL_BACKEND = mailbox.SLOW_LOCMEM_BACKEND
    (person,) = _people_with_email(team, 1)
    ids = [notification.pk for notification in _notifications_for([person], 40)]
    # Like two sweeps' batches escalating to one lead coordinator at the same time.
    _email_at_once(ids[::2], ids[1::2])
    bodies = Counter(message.body for message in mail.outbox)
    assert len(bodies) == 40
    assert set(bodies.values()) == {1}
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_an_email_goes_out_while_another_transaction_holds_the_recipients_user_row(chw):
    chw.email = "chw@example.org"
    chw.save(update_fields=["email"])
    (notification,) = _notifications_for([chw], 1)

    # e.g. a profile edit or a login stamping last_login
    with held_open(lambda: User.objects.select_for_update().get(pk=chw.pk)):
        notification_email_task(notification.pk)
    assert [message.to for message in mail.outbox] == [["chw@example.org"]]
    notification.refresh_from_db()
    assert notification.emailed_at is not None


# --- Real workers: a rerun, two sweeps at once, a killed pool child, a killed worker -------
#
# `celery worker` processes on the test database and Redis (tests/workers.py),
# sending their emails to a folder. "Mid-sweep" is made deterministic by another session
# holding an uncommitted notification with a key the sweep is about to insert: the sweep
# waits inside that batch, its tasks locked, with the batches before it committed.

SWEEP_BATCH = 200  # apps.tasks.services.reminders.BATCH_SIZE, which the beat job uses


@pytest.fixture
def queue(transactional_db):
    with workers.private_queue("test-tasks") as name:
        yield name


@pytest.fixture
def mail_folder(tmp_path):
    folder = tmp_path / "mail"
    folder.mkdir()
    return folder


@pytest.fixture
def owners(team, nurse) -> list[User]:
    """Three CHWs who own the work, and the lead nurse, all with an email address."""
    nurse.email = "lead@example.org"
    nurse.save(update_fields=["email"])
    people = [factories.make_member(team, Role.CHW) for _ in range(3)]
    for index, person in enumerate(people):
        person.email = f"owner{index}@example.org"
        person.save(update_fields=["email"])
    return people


def start_worker(processes, queue, mail_folder, *, name, pool="solo", **env):
    return processes.worker(
        queue,
        name=name,
        pool=pool,
        app="tests.tasks.worker_app",  # its email jobs go to `queue` too
        env={
            "CG_TEST_QUEUE": queue,
            "EMAIL_BACKEND": mailbox.FOLDER_BACKEND,
            "CG_TEST_MAIL_DIR": str(mail_folder),
            **env,
        },
    )


def overdue_tasks(patient, owners: list[User], count: int) -> list[Task]:
    """Tasks two days overdue, in the order the sweep claims them (oldest first)."""
    start = timezone.now() - timedelta(days=2)
    return [
        make_task(
            patient,
            owners[index % len(owners)],
            due_at=start + timedelta(seconds=index),
            title=f"Task {index}",
        )
        for index in range(count)
    ]


def _count(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.fetchone()[0])


def sessions_waiting_for_a_lock() -> int:
    return _count(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )


def other_sessions_in_a_transaction() -> int:
    return _count(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        " AND xact_start IS NOT NULL"
    )


def reminded() -> int:
    return Task.objects.filter(reminded_at__isnull=False).count()


def escalated() -> int:
    return Task.objects.filter(escalated_at__isnull=False).count()


def finish(processes, queue, mail_folder, tasks, live) -> None:
    """Waits for every email, then stops the workers so nothing still runs while we count."""
    workers.wait_for(
        lambda: len(list(mail_folder.glob("*.eml"))) >= 2 * len(tasks),
        workers=live,
        what="every email",
    )
    workers.wait_for(lambda: workers.queue_length(queue) == 0, workers=live, what="drain")
    processes.stop_all()


def assert_each_task_reminded_escalated_and_emailed_once(
    tasks: list[Task], lead: User, mail_folder
) -> None:
    task_ids = sorted(task.pk for task in tasks)
    for kind in (TaskEventKind.REMINDED, TaskEventKind.ESCALATED):
        events = TaskEvent.objects.filter(kind=kind).values_list("task_id", flat=True)
        assert sorted(events) == task_ids, f"not one {kind} event per task"
    owner_of: dict[int, int] = {task.pk: task.owner_id for task in tasks if task.owner_id}
    reminders = Notification.objects.filter(kind="task_due")
    assert sorted(reminders.values_list("idempotency_key", flat=True)) == sorted(
        reminder_key(task_id) for task_id in task_ids
    )
    assert all(owner_of[task] == to for task, to in reminders.values_list("task_id", "recipient"))
    escalations = Notification.objects.filter(kind="task_overdue")
    assert sorted(escalations.values_list("idempotency_key", flat=True)) == sorted(
        escalation_key(task_id) for task_id in task_ids
    )
    assert set(escalations.values_list("recipient", flat=True)) == {lead.pk}
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    email_of = dict(User.objects.filter(pk__in=owner_of.values()).values_list("pk", "email"))
    base = settings.CAREGRAPH_BASE_URL
    expected = Counter(
        [
            (email_of[owner_of[task]], "[caregraph] Task due soon", base + task_link(task))
            for task in task_ids
        ]
        + [(lead.email, "[caregraph] Task overdue", base + task_link(task)) for task in task_ids]
    )
    sent: Counter[tuple[str, str, str]] = Counter()
    for message in mailbox.sent(mail_folder):
        body = message.get_payload()
        assert isinstance(body, str)
        link = re.search(r"Open caregraph to see it: (\S+)", body)
        assert link is not None, body
        sent[(message["To"], message["Subject"], link.group(1))] += 1
    assert sent == expected


@pytest.mark.celery_worker
def test_the_beat_job_reminds_in_a_real_worker_and_a_second_run_changes_nothing(
    processes, queue, mail_folder, nurse, chw, social_worker, patient
):
    worker = start_worker(processes, queue, mail_folder, name="solo")
    chw.email = "chw@example.org"
    chw.save(update_fields=["email"])
    task = make_task(patient, chw, actor=nurse, due_in=timedelta(hours=-2))
    task_reminder_sweep_task.delay()
    workers.wait_for(
        lambda: Notification.objects.filter(emailed_at__isnull=False, recipient=chw).exists(),
        workers=(worker,),
        what="the reminder sent and emailed",
    )
    workers.wait_for(
        lambda: Task.objects.get(pk=task.pk).escalated_at is not None,
        workers=(worker,),
        what="the escalation",
    )
    task_reminder_sweep_task.delay()
    # A sentinel behind the second sweep on the same solo worker: a handover whose email
    # goes out only after that sweep has finished.
    social_worker.email = "sw@example.org"
    social_worker.save(update_fields=["email"])
    services.task_reassign(actor=nurse, task=task, new_owner=social_worker, reason="Cover")
    workers.wait_for(
        lambda: Notification.objects.filter(
            recipient=social_worker, emailed_at__isnull=False
        ).exists(),
        workers=(worker,),
        what="the sentinel email",
    )
    assert _keys(kind__in=["task_due", "task_overdue"]) == sorted(
        [reminder_key(task.pk), escalation_key(task.pk)]
    )
    assert TaskEvent.objects.filter(task=task, kind=TaskEventKind.REMINDED).count() == 1
    assert TaskEvent.objects.filter(task=task, kind=TaskEventKind.ESCALATED).count() == 1
    assert sorted(message["To"] for message in mailbox.sent(mail_folder)) == [
        "chw@example.org",
        "sw@example.org",
    ]


@pytest.mark.celery_worker
@pytest.mark.timeout(240)
def test_two_sweeps_at_once_on_two_workers_remind_escalate_and_email_each_task_once(
    processes, queue, mail_folder, patient, nurse, owners
):
    tasks = overdue_tasks(patient, owners, 3 * SWEEP_BATCH)
    first = start_worker(processes, queue, mail_folder, name="one")
    second = start_worker(processes, queue, mail_folder, name="two")
    # Whichever sweep claims the oldest batch stops inside it with those tasks locked; the
    # other one, on the other worker, must skip them and do all the rest meanwhile.
    with notification_key_held(reminder_key(tasks[0].pk), owners[0].pk):
        task_reminder_sweep_task.delay()
        task_reminder_sweep_task.delay()
        workers.wait_for(
            lambda: (
                reminded() == escalated() == 2 * SWEEP_BATCH and sessions_waiting_for_a_lock() == 1
            ),
            workers=(first, second),
            what="one sweep done around the other one's held batch",
        )
    workers.wait_for(
        lambda: reminded() == escalated() == len(tasks),
        workers=(first, second),
        what="the held sweep to finish",
    )
    finish(processes, queue, mail_folder, tasks, (first, second))
    assert_each_task_reminded_escalated_and_emailed_once(tasks, nurse, mail_folder)


@pytest.mark.celery_worker
@pytest.mark.timeout(240)
def test_a_pool_child_killed_mid_sweep_loses_no_reminder_and_doubles_none(
    processes, queue, mail_folder, patient, nurse, owners
):
    tasks = overdue_tasks(patient, owners, SWEEP_BATCH + 100)
    worker = start_worker(processes, queue, mail_folder, name="prefork", pool="prefork")
    with notification_key_held(reminder_key(tasks[SWEEP_BATCH + 50].pk), owners[0].pk):
        task_reminder_sweep_task.delay()
        workers.wait_for(
            lambda: reminded() == SWEEP_BATCH and sessions_waiting_for_a_lock() == 1,
            workers=(worker,),
            what="the sweep held in its second batch",
        )
        children = workers.children_of(worker.pid)
        assert len(children) == 1
        workers.kill(children[0])
    # The worker sees its child die, puts the message back (acks_late +
    # reject_on_worker_lost) and runs it again: nobody sends anything, yet the
    # tasks reminded before the kill get their escalations, and once only.
    workers.wait_for(
        lambda: escalated() >= SWEEP_BATCH, workers=(worker,), what="the redelivered sweep"
    )
    # The killed child's batch stayed locked until the database noticed; the next
    # beat's sweep takes whatever the redelivered run skipped.
    task_reminder_sweep_task.delay()
    workers.wait_for(
        lambda: reminded() == escalated() == len(tasks), workers=(worker,), what="every task"
    )
    finish(processes, queue, mail_folder, tasks, (worker,))
    assert_each_task_reminded_escalated_and_emailed_once(tasks, nurse, mail_folder)


@pytest.mark.celery_worker
@pytest.mark.timeout(240)
def test_a_whole_worker_killed_mid_sweep_is_redelivered_after_the_visibility_timeout(
    processes, queue, mail_folder, patient, nurse, owners
):
    tasks = overdue_tasks(patient, owners, SWEEP_BATCH + 100)
    short = {"CELERY_VISIBILITY_TIMEOUT": "3"}
    worker = start_worker(processes, queue, mail_folder, name="doomed", **short)
    # Held this time in the escalations' second batch, after every reminder went out.
    with notification_key_held(escalation_key(tasks[SWEEP_BATCH + 50].pk), nurse.pk):
        task_reminder_sweep_task.delay()
        workers.wait_for(
            lambda: (
                reminded() == len(tasks)
                and escalated() == SWEEP_BATCH
                and sessions_waiting_for_a_lock() == 1
            ),
            workers=(worker,),
            what="the sweep held in its second batch of escalations",
        )
        workers.kill(worker.pid)
        worker.wait(10)
    # Its session ends (rolling the held batch back) once its insert may go on.
    workers.wait_for(lambda: other_sessions_in_a_transaction() == 0, what="the dead session")
    assert escalated() == SWEEP_BATCH
    # A new worker restores messages left unacknowledged for longer than the
    # visibility timeout: the sweep, and the email jobs the dead worker queued.
    threading.Event().wait(4)
    rescuer = start_worker(processes, queue, mail_folder, name="rescuer", **short)
    workers.wait_for(
        lambda: escalated() == len(tasks), workers=(rescuer,), what="the redelivered sweep"
    )
    finish(processes, queue, mail_folder, tasks, (rescuer,))
    assert_each_task_reminded_escalated_and_emailed_once(tasks, nurse, mail_folder)
