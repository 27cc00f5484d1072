"""A goal's status moves only as the goal table says; closing a goal closes its open work."""

import pytest
from django.urls import reverse

from apps.careplans import services
from apps.careplans.forms import GoalForm
from apps.careplans.models import CarePlan, Goal, GoalDomain, GoalStatus, InterventionState
from apps.careplans.states import GOAL_STATES
from apps.core.exceptions import ApplicationError
from apps.tasks.models import Task, TaskStatus
from apps.tasks.services import task_complete
from tests.careplans.factories import in_days, make_goal, make_intervention


def move(nurse, goal: Goal, status: str) -> Goal:
    return services.goal_update(actor=nurse, goal=goal, status=status)


def test_goal_status_changes_follow_the_table(api_for, setup, nurse):
    goal = setup.goal
    assert goal.status == GoalStatus.PROPOSED

    with pytest.raises(ApplicationError) as error:
        move(nurse, goal, GoalStatus.ACHIEVED)
    assert "From Proposed it can go to: Active, Cancelled" in error.value.message
    assert "status" in error.value.field_errors
    assert Goal.objects.get(pk=goal.pk).status == GoalStatus.PROPOSED

    for status in (GoalStatus.ACTIVE, GoalStatus.ON_HOLD, GoalStatus.ACTIVE, GoalStatus.ACHIEVED):
        move(nurse, goal, status)
        assert Goal.objects.get(pk=goal.pk).status == status

    # Achieved is final, whichever door asks.
    with pytest.raises(ApplicationError, match="finished"):
        move(nurse, goal, GoalStatus.ACTIVE)
    response = api_for(nurse).patch(
        reverse("api-careplan-goal", args=[setup.plan.pk, goal.pk]),
        {"status": GoalStatus.ACTIVE},
        format="json",
    )
    assert response.status_code == 409  # a state conflict, with the table's message
    assert "finished" in str(response.json())
    assert Goal.objects.get(pk=goal.pk).status == GoalStatus.ACHIEVED

    # A new goal starts proposed or active.
    with pytest.raises(ApplicationError):
        make_goal(setup.plan, nurse, status=GoalStatus.ACHIEVED, description="Sleep well")

    # The edit form offers exactly the table's moves.
    other = make_goal(setup.plan, nurse, status=GoalStatus.ACTIVE, description="Sleep well")
    form = GoalForm.for_goal(other, [], GoalDomain.values)
    offered = {value for value, _ in form.fields["status"].choices}
    assert offered == {GoalStatus.ACTIVE, *GOAL_STATES.targets_from(GoalStatus.ACTIVE)}


def test_achieving_a_goal_closes_its_open_intervention_tasks(setup, nurse, chw):
    goal = setup.goal
    move(nurse, goal, GoalStatus.ACTIVE)
    finished = make_intervention(goal, nurse, owner=chw, description="Spirometry booked")
    task_complete(actor=chw, task=finished.task, note="Booked")
    untouched_goal = make_goal(setup.plan, nurse, description="Sleep well", target_date=in_days(30))
    elsewhere = make_intervention(untouched_goal, nurse, owner=chw, description="Sleep diary")
    versions = CarePlan.objects.get(pk=setup.plan.pk).version_count

    move(nurse, goal, GoalStatus.ACHIEVED)

    open_one = Task.objects.get(pk=setup.intervention.task_id)
    assert open_one.status == TaskStatus.CANCELLED
    assert open_one.status_reason == "Goal achieved"
    assert Task.objects.get(pk=finished.task_id).status == TaskStatus.DONE
    assert Task.objects.get(pk=elsewhere.task_id).status == TaskStatus.REQUESTED
    # One version holds the goal and its closed work together.
    plan = CarePlan.objects.get(pk=setup.plan.pk)
    assert plan.version_count == versions + 1
    snapshot = plan.versions.order_by("-number").first().snapshot
    goal_row = next(row for row in snapshot["goals"] if row["id"] == goal.pk)
    assert goal_row["status"] == GoalStatus.ACHIEVED
    states = {row["id"]: row["state"] for row in snapshot["interventions"]}
    assert states[setup.intervention.pk] == InterventionState.CANCELLED
    assert states[finished.pk] == InterventionState.DONE
    assert states[elsewhere.pk] == InterventionState.PLANNED


def test_cancelling_a_goal_closes_its_open_intervention_tasks_with_the_reason(setup, nurse):
    services.goal_update(
        actor=nurse, goal=setup.goal, status=GoalStatus.CANCELLED, reason="Patient moved on"
    )
    task = Task.objects.get(pk=setup.intervention.task_id)
    assert task.status == TaskStatus.CANCELLED
    assert task.status_reason == "Patient moved on"
    # Work cannot be added to a closed goal.
    with pytest.raises(ApplicationError) as error:
        make_intervention(setup.goal, nurse, description="One more call")
    assert "goal" in error.value.field_errors
