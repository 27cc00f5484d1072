"""A task linked to a care-plan goal: what it may be linked to, and where the link leads.

The tasks app sits below careplans, so it holds no foreign key to a goal: a task names its
goal as its source (TaskSource.CARE_PLAN_GOAL, source_id = the goal) and this module,
registered in CareplansConfig.ready(), answers for goals (apps.tasks.sources).
"""

from django.urls import reverse

from apps.careplans.models import Goal, GoalStatus
from apps.careplans.selectors.plans import care_plan_current_for_patient
from apps.patients.models import Patient
from apps.tasks.models import Task
from apps.tasks.sources import LinkTarget, SourceLink

# Goals still being worked towards: a new task may serve one of these.
OPEN_GOAL_STATUSES = (GoalStatus.PROPOSED, GoalStatus.ACTIVE, GoalStatus.ON_HOLD)


def goal_link_targets(patient: Patient) -> list[LinkTarget]:
    """The open goals of the patient's current plan, as choices for a new task."""
    plan = care_plan_current_for_patient(patient=patient)
    if plan is None:
        return []
    goals = plan.goals.filter(status__in=OPEN_GOAL_STATUSES).order_by("domain", "target_date")
    return [
        LinkTarget(id=goal.pk, label=f"{goal.get_domain_display()}: {goal.description}")
        for goal in goals
    ]


def goal_task_link(task: Task) -> SourceLink | None:
    """The task page links to its goal on the patient's care plan."""
    if task.source_id is None:
        return None
    goal = Goal.objects.filter(pk=task.source_id, plan__patient_id=task.patient_id).first()
    if goal is None:
        return None
    url = reverse("careplans:plan", args=[task.patient_id]) + f"#goal-{goal.pk}"
    return SourceLink(label=f"Goal: {goal.description}", url=url)
