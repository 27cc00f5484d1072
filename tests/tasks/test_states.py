"""Task status changes follow one table: the services accept exactly its moves, the
buttons offer exactly them."""

import pytest

from apps.accounts.models import Role
from apps.core.exceptions import ApplicationError
from apps.tasks import permissions, states
from apps.tasks.models import Task, TaskStatus
from apps.tasks.services import (
    task_cancel,
    task_complete,
    task_fail,
    task_hold,
    task_start,
    task_verify,
)
from apps.tasks.states import TASK_STATES, task_actions_from
from tests import factories
from tests.tasks.factories import make_task

SERVICES = {
    states.START: lambda actor, task: task_start(actor=actor, task=task),
    states.HOLD: lambda actor, task: task_hold(actor=actor, task=task, reason="Waiting"),
    states.COMPLETE: lambda actor, task: task_complete(actor=actor, task=task),
    states.VERIFY: lambda actor, task: task_verify(actor=actor, task=task),
    states.CANCEL: lambda actor, task: task_cancel(actor=actor, task=task, reason="Duplicate"),
    states.FAIL: lambda actor, task: task_fail(actor=actor, task=task, reason="Moved away"),
}


def _task_in(status, patient, nurse, performer):
    task = make_task(patient, nurse, actor=nurse, verification_role=Role.PHARMACIST)
    values = {"status": status}
    if status in (TaskStatus.AWAITING_VERIFICATION, TaskStatus.DONE):
        values["performed_by"] = performer
    if status == TaskStatus.DONE:
        values["verified_by"] = nurse
    if status in (TaskStatus.CANCELLED, TaskStatus.FAILED, TaskStatus.ON_HOLD):
        values["status_reason"] = "Set up for the test"
    Task.objects.filter(pk=task.pk).update(**values)
    return Task.objects.get(pk=task.pk)


@pytest.mark.parametrize("action", list(SERVICES))
@pytest.mark.parametrize("status", TaskStatus.values)
def test_task_status_changes_follow_the_table(status, action, team, patient, nurse, pharmacist):
    performer = factories.make_member(team, Role.PHARMACIST, username="doer")
    task = _task_in(status, patient, nurse, performer)
    allowed = action in task_actions_from(status)
    actor = pharmacist if action == states.VERIFY else nurse
    if allowed:
        SERVICES[action](actor, task)
        task.refresh_from_db()
        assert TASK_STATES.allows(status, task.status)
        assert TASK_STATES.move(status, task.status).action == action
    elif action == states.CANCEL and status in (
        TaskStatus.CANCELLED,
        TaskStatus.DONE,
        TaskStatus.FAILED,
    ):
        SERVICES[action](actor, task)  # cancelling a closed task is a harmless no-op
        task.refresh_from_db()
        assert task.status == status
    else:
        with pytest.raises(ApplicationError):
            SERVICES[action](actor, task)
        task.refresh_from_db()
        assert task.status == status
    # The page offers the move exactly when the table has it (and the right is held).
    fresh = _task_in(status, patient, nurse, performer)
    roles = permissions.team_roles_for_user(actor)
    offered = action in permissions.task_actions(actor, fresh, roles=roles)
    assert offered == (allowed and action != states.FAIL)


def test_closed_tasks_are_final_in_the_table():
    for status in (TaskStatus.DONE, TaskStatus.CANCELLED, TaskStatus.FAILED):
        assert TASK_STATES.moves_from(status) == []
        with pytest.raises(ApplicationError, match="finished"):
            TASK_STATES.move(status, TaskStatus.IN_PROGRESS)
