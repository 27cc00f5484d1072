"""What a change of a transitions task means for the transition it came from.

Registered from TransitionsConfig.ready() with the tasks app's source
registry; the task services call it inside their transaction, so whichever
door changed the task (My work, the task page, the tasks API, the admin),
the reconciliation or follow-up behind it follows in the same step, or the
change is refused as a whole.
"""

from django.db.models import Q
from django.urls import reverse

from apps.tasks.models import Task, TaskEventKind, TaskStatus
from apps.tasks.sources import SourceLink, TaskChange
from apps.transitions.models import FollowUp, MedicationReconciliation
from apps.transitions.services.contacts import follow_up_task_completion_check
from apps.transitions.services.reconciliation import reconciliation_task_verified


def transition_task_changed(change: TaskChange) -> None:
    """A verified reconciliation task verifies the reconciliation; a follow-up task closes
    only once its contact or visit is documented."""
    if change.kind == TaskEventKind.VERIFIED:
        reconciliation_task_verified(actor=change.actor, task=change.task)
    elif change.task.status == TaskStatus.DONE and change.from_status != TaskStatus.DONE:
        follow_up_task_completion_check(change.task)


def transition_task_link(task: Task) -> SourceLink | None:
    """The episode page section where the task's work is done."""
    reconciliation = (
        MedicationReconciliation.objects.filter(verification_task_id=task.pk)
        .values_list("handoff_id", "handoff__episode_id")
        .first()
    )
    if reconciliation is not None:
        handoff_id, episode_id = reconciliation
        return SourceLink(
            label="The reconciliation: each medication before and after, and the verify button",
            url=reverse("transitions:episode", args=[episode_id]) + f"#reconciliation-{handoff_id}",
        )
    follow_up = (
        FollowUp.objects.filter(Q(contact_task_id=task.pk) | Q(visit_task_id=task.pk))
        .values_list("handoff_id", "episode_id")
        .first()
    )
    if follow_up is not None:
        handoff_id, episode_id = follow_up
        return SourceLink(
            label="The follow-up: record when, who and the outcome there",
            url=reverse("transitions:episode", args=[episode_id]) + f"#discharge-{handoff_id}",
            completes_there=True,
        )
    return None
