"""An intervention's task changed from outside the plan: the plan follows in the same step.

The task services (My work, the team worklist, bulk reassignment, the API, the
admin) call `intervention_task_changed` inside their transaction, through the
registry of apps.tasks.sources (registered in CareplansConfig.ready()). The
intervention reads its owner, due time and state from its task, so following a
change means keeping the title in step and recording the plan as it now stands
as a version, naming who changed it.
"""

from apps.careplans.models import CarePlan, Intervention
from apps.careplans.services._common import plan_service_running, record_version
from apps.core.changes import record_change
from apps.tasks.models import TaskEventKind, TaskStatus
from apps.tasks.sources import TaskChange

STATUS_WORDS: dict[str, str] = {
    TaskStatus.DONE: "completed",
    TaskStatus.CANCELLED: "cancelled",
    TaskStatus.FAILED: "marked as not possible",
}


def _summary(change: TaskChange) -> str:
    if change.kind == TaskEventKind.REASSIGNED:
        verb = "reassigned"
    elif change.kind == TaskEventKind.UPDATED:
        verb = "changed"
    else:
        verb = STATUS_WORDS.get(change.task.status, "updated")
    return f"Intervention task {verb} from the task lists"


def intervention_task_changed(change: TaskChange) -> None:
    """Records the plan version a change of an intervention's task makes.

    A care plan service that changes the task itself records its own version
    (with its own summary) when it finishes, so nothing is done here then. A
    change that leaves the plan's content as it was (a task started or put on
    hold) records nothing: versions are kept by content.
    """
    if plan_service_running():
        return
    intervention = Intervention.objects.filter(task_id=change.task.pk).only("pk", "plan_id").first()
    if intervention is None:
        return
    plan = (
        CarePlan.objects.select_for_update(of=("self",))
        .select_related("patient")
        .get(pk=intervention.plan_id)
    )
    if not plan.is_open:
        return
    if change.kind == TaskEventKind.UPDATED:
        intervention = Intervention.objects.get(pk=intervention.pk)
        # The intervention's description is its task's title: a title edited on the
        # task page is the plan's wording too.
        record_change(
            actor=change.actor,
            instance=intervention,
            values={"description": change.task.title},
            patient_id=plan.patient_id,
            detail={"care_plan_id": plan.pk, "from_task": change.task.pk},
            clean=False,
        )
    record_version(plan=plan, actor=change.actor, summary=_summary(change))
