"""Follow-up jobs under real failure: real worker processes, real Redis, SIGKILL, two beats.

Nothing is mocked: the workers are `celery -A caregraph worker` processes on
the test database. A follow-up whose job was lost is one whose message went
to a queue nobody reads; "mid-run" is made deterministic by a second
database session holding an uncommitted task with the idempotency key the
sweep is about to insert, so the sweep blocks there with earlier follow-ups
already committed.
"""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from apps.core.jobruns import BEAT
from apps.core.models import JobRun
from apps.interop.services import adt_receive
from apps.patients.services import patient_identifier_add
from apps.tasks.models import Notification, Task
from apps.transitions.models import FollowUp, FollowUpStatus
from apps.transitions.services.followups import SWEEP_GRACE, follow_up_key
from apps.transitions.workers import follow_up_schedule_task, transitions_sweep_task
from tests import factories, workers
from tests.interop.messages import adt
from tests.threads import held_open
from tests.transitions.factories import admit, discharge

pytestmark = [pytest.mark.celery_worker, pytest.mark.timeout(240)]


@pytest.fixture
def queue(transactional_db):
    with workers.private_queue() as name:
        yield name


def lost_follow_ups(team, org_admin, count: int) -> list[FollowUp]:
    """Discharges home whose follow-up job went to a queue nobody reads."""
    with workers.private_queue("test-transitions-lost"):
        for _ in range(count):
            patient = factories.make_patient(team, actor=org_admin)
            admit(patient, at=timezone.now() - timedelta(days=3))
            discharge(patient)
    FollowUp.objects.update(created_at=timezone.now() - SWEEP_GRACE * 2)
    return list(FollowUp.objects.select_related("handoff").order_by("id"))


def assert_each_follow_up_once(follow_ups: list[FollowUp]) -> None:
    keys = Counter(Task.objects.values_list("idempotency_key", flat=True))
    assert all(count == 1 for count in keys.values()), "a task was made twice"
    for follow_up in follow_ups:
        assert keys[follow_up_key(follow_up, "contact")] == 1
        assert keys[follow_up_key(follow_up, "visit")] == 1
    assert Task.objects.count() == 2 * len(follow_ups)
    notifications = Counter(
        Notification.objects.filter(kind="transition_follow_up").values_list(
            "idempotency_key", flat=True
        )
    )
    assert len(notifications) == len(follow_ups)
    assert set(notifications.values()) == {1}
    assert not FollowUp.objects.exclude(status=FollowUpStatus.SCHEDULED).exists()


def scheduled() -> int:
    return FollowUp.objects.filter(status=FollowUpStatus.SCHEDULED).count()


def holding_contact_task(follow_up: FollowUp, owner_id: int):
    """Another session holding an uncommitted task with the follow-up's contact key: the
    sweep's insert of it waits."""
    patient_id, key = follow_up.episode.patient_id, follow_up_key(follow_up, "contact")
    return held_open(
        lambda: Task.objects.create(
            patient_id=patient_id,
            owner_id=owner_id,
            title="placeholder",
            due_at=timezone.now(),
            idempotency_key=key,
        ),
        rollback=True,
    )


def test_a_discharge_over_adt_gets_its_tasks_from_a_real_worker_once_whatever_reruns(
    processes, queue, organisation, patient, org_admin, nurse
):
    worker = processes.worker(queue, name="solo")
    patient_identifier_add(
        actor=org_admin, patient=patient, assigning_authority="GENHOSP", value="H12345"
    )
    interface = factories.make_user(organisation, is_interface=True)
    adt_receive(actor=interface, raw=adt("A01", control_id="W1"))
    adt_receive(
        actor=interface,
        raw=adt("A03", control_id="W2", discharged_at=timezone.now(), disposition="01"),
    )
    follow_up = FollowUp.objects.get()
    workers.wait_for(
        lambda: FollowUp.objects.filter(pk=follow_up.pk, status=FollowUpStatus.SCHEDULED).exists(),
        workers=(worker,),
        what="the follow-up job",
    )
    # Redelivered, repeated and swept again: still the same two tasks.
    for _ in range(3):
        follow_up_schedule_task.delay(follow_up.pk)
    FollowUp.objects.update(created_at=timezone.now() - SWEEP_GRACE * 2)
    transitions_sweep_task.delay()
    transitions_sweep_task.delay()
    workers.wait_for(lambda: workers.queue_length(queue) == 0, workers=(worker,), what="drain")
    follow_up_schedule_task.delay(follow_up.pk)
    workers.wait_for(lambda: workers.queue_length(queue) == 0, workers=(worker,), what="drain")
    assert_each_follow_up_once([follow_up])
    assert FollowUp.objects.get().attempts == 1


def test_two_sweeps_at_once_on_two_workers_schedule_every_lost_follow_up_once(
    processes, queue, team, org_admin, nurse
):
    follow_ups = lost_follow_ups(team, org_admin, 40)
    assert scheduled() == 0
    first = processes.worker(queue, name="one")
    second = processes.worker(queue, name="two")
    transitions_sweep_task.delay()
    transitions_sweep_task.delay()
    workers.wait_for(
        lambda: scheduled() == 40, workers=(first, second), what="every follow-up scheduled"
    )
    workers.wait_for(lambda: workers.queue_length(queue) == 0, what="drain")
    assert_each_follow_up_once(follow_ups)
    assert set(FollowUp.objects.values_list("attempts", flat=True)) == {1}


def test_a_pool_child_killed_mid_sweep_loses_nothing_and_doubles_nothing(
    processes, queue, team, org_admin, nurse
):
    follow_ups = lost_follow_ups(team, org_admin, 30)
    worker = processes.worker(queue, name="prefork", pool="prefork", concurrency=1)
    with holding_contact_task(follow_ups[14], nurse.pk):
        transitions_sweep_task.delay()
        workers.wait_for(lambda: scheduled() == 14, workers=(worker,), what="the first 14")
        children = workers.children_of(worker.pid)
        assert len(children) == 1
        workers.kill(children[0])
    # The worker notices its child died, rejects the message back to the queue
    # (acks_late + reject_on_worker_lost) and runs it again: the follow-ups
    # after the blocked one get scheduled without anyone sending anything.
    workers.wait_for(
        lambda: (
            FollowUp.objects.filter(
                pk__in=[f.pk for f in follow_ups[15:]], status=FollowUpStatus.SCHEDULED
            ).count()
            == 15
        ),
        workers=(worker,),
        what="the redelivered sweep",
    )
    # The blocked one was held by the killed child's session until the database
    # noticed; the next beat's sweep takes it if the redelivered run skipped it.
    transitions_sweep_task.delay()
    workers.wait_for(lambda: scheduled() == 30, workers=(worker,), what="all 30")
    workers.wait_for(lambda: workers.queue_length(queue) == 0, what="drain")
    assert_each_follow_up_once(follow_ups)


def test_a_whole_worker_killed_mid_sweep_is_redelivered_after_the_visibility_timeout(
    processes, queue, team, org_admin, nurse
):
    follow_ups = lost_follow_ups(team, org_admin, 30)
    short = {"CELERY_VISIBILITY_TIMEOUT": "3"}
    worker = processes.worker(queue, name="doomed", env=short)
    with holding_contact_task(follow_ups[14], nurse.pk):
        transitions_sweep_task.delay()
        workers.wait_for(lambda: scheduled() == 14, workers=(worker,), what="the first 14")
        workers.kill(worker.pid)
        worker.wait(10)
    assert scheduled() == 14
    assert workers.queue_length(queue) == 0  # the message sits unacknowledged in Redis
    # A new worker restores messages unacknowledged for longer than the
    # visibility timeout when it starts polling.
    threading.Event().wait(4)
    rescuer = processes.worker(queue, name="rescuer", env=short)
    workers.wait_for(lambda: scheduled() == 30, workers=(rescuer,), what="the redelivered sweep")
    workers.wait_for(lambda: workers.queue_length(queue) == 0, what="drain")
    assert_each_follow_up_once(follow_ups)


def test_a_second_beat_is_harmless(processes, queue, team, org_admin, nurse, tmp_path):
    follow_ups = lost_follow_ups(team, org_admin, 20)
    worker = processes.worker(queue, name="beaten")
    beats = [processes.beat(queue, schedule_dir=tmp_path, seconds=1) for _ in range(2)]
    workers.wait_for(lambda: scheduled() == 20, workers=(worker, *beats), what="the sweep")
    threading.Event().wait(3)  # a few more ticks from both beats
    for beat in beats:
        beat.terminate()
        beat.wait(10)
    workers.wait_for(lambda: workers.queue_length(queue) == 0, workers=(worker,), what="drain")
    assert_each_follow_up_once(follow_ups)


def test_the_sweep_is_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["transitions-follow-up-sweep"]
    assert entry["task"] == transitions_sweep_task.name
    assert entry["schedule"] <= timedelta(minutes=10)


def test_a_real_beat_and_worker_record_the_beat_s_tick_and_the_sweep_s_success(
    processes, queue, tmp_path
):
    worker = processes.worker(queue, name="recorded")
    beat = processes.beat(queue, schedule_dir=tmp_path, seconds=1)
    sweep = transitions_sweep_task.name
    workers.wait_for(
        lambda: (
            JobRun.objects.filter(name=BEAT, last_success_at__isnull=False).exists()
            and JobRun.objects.filter(name=sweep, last_success_at__isnull=False).exists()
        ),
        workers=(worker, beat),
        what="the beat's tick and the sweep's run",
    )
    assert JobRun.objects.get(name=sweep).registered_at is not None
