"""The task reminder sweep: a batch that fails is redone task by task, so one task that
cannot be reminded about holds back no other, in its batch or after it."""

from datetime import timedelta

import pytest

from apps.core.items import ItemsFailed
from apps.core.models import JobRun
from apps.tasks.models import Task
from apps.tasks.services import reminders
from apps.tasks.workers import task_reminder_sweep_task
from tests import factories
from tests.tasks.factories import make_task

pytestmark = pytest.mark.django_db


def _poison(monkeypatch, task_id: int) -> None:
    send_many = reminders.notification_send_many

    def refusing(drafts):
        if any(draft.task_id == task_id for draft in drafts):
            raise RuntimeError("this task's reminder cannot be written")
        return send_many(drafts)

    monkeypatch.setattr(reminders, "notification_send_many", refusing)


def test_one_failing_reminder_among_several_batches_does_not_stop_the_sweep(
    monkeypatch, organisation, team, nurse, patient
):
    other_team = factories.make_team(factories.make_organisation())
    other_nurse = factories.make_member(other_team)
    other_patient = factories.make_patient(other_team)
    tasks = [make_task(patient, nurse, due_in=timedelta(hours=1)) for _ in range(5)]
    tasks += [make_task(other_patient, other_nurse, due_in=timedelta(hours=1)) for _ in range(5)]
    poisoned = tasks[1]
    _poison(monkeypatch, poisoned.pk)

    result = reminders.task_reminders_sweep(actor=reminders.SWEEP, batch_size=3)

    assert result.failed == (poisoned.pk,)
    assert result.reminded == 9
    reminded = set(Task.objects.filter(reminded_at__isnull=False).values_list("pk", flat=True))
    assert reminded == {task.pk for task in tasks} - {poisoned.pk}


def test_the_reminder_job_records_a_run_with_failed_tasks_as_failed(
    monkeypatch, team, nurse, patient
):
    tasks = [make_task(patient, nurse, due_in=timedelta(hours=1)) for _ in range(3)]
    _poison(monkeypatch, tasks[0].pk)

    with pytest.raises(ItemsFailed, match=str(tasks[0].pk)):
        task_reminder_sweep_task()

    run = JobRun.objects.get(name=task_reminder_sweep_task.name)
    assert run.last_failed_at is not None
    assert "1 task reminder(s) failed" in run.last_error
    assert Task.objects.filter(reminded_at__isnull=False).count() == 2
