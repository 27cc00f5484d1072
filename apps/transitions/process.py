"""Process measures of a discharge home (DOMAIN 8), from prefetched rows only.

- contact: the interactive contact was done by its due time (2 business days);
- visit: the face-to-face visit was done by its due time (7 or 14 days);
- reconciliation by the visit: the medication reconciliation was done no
  later than the visit;
- summary before the visit: the PCP had the discharge summary by the visit.
Each is met, late/missed, pending (its time has not come) or not applicable.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from apps.tasks.models import OPEN_STATUSES, Task, TaskStatus
from apps.transitions.models import ChecklistItemCode, FollowUp, FollowUpStatus, Handoff

MET = "met"
LATE = "late"
MISSED = "missed"
PENDING = "pending"
NOT_APPLICABLE = "n/a"


@dataclass(frozen=True)
class ProcessMeasures:
    contact: str
    visit: str
    reconciliation_by_visit: str
    summary_before_visit: str

    def as_dict(self) -> dict[str, str]:
        return {
            "contact": self.contact,
            "visit": self.visit,
            "reconciliation_by_visit": self.reconciliation_by_visit,
            "summary_before_visit": self.summary_before_visit,
        }


def _task_measure(task: Task | None, due_at: datetime, now: datetime) -> str:
    if task is None:
        return MISSED if now > due_at else PENDING
    if task.status == TaskStatus.DONE and task.completed_at is not None:
        return MET if task.completed_at <= due_at else LATE
    if task.status in OPEN_STATUSES:
        return MISSED if now > due_at else PENDING
    return NOT_APPLICABLE if task.status == TaskStatus.CANCELLED else MISSED


def _by_visit(
    done_at: datetime | None, visit: Task | None, visit_due: datetime, now: datetime
) -> str:
    visit_done_at = (
        visit.completed_at if visit is not None and visit.status == TaskStatus.DONE else None
    )
    if visit_done_at is not None:
        return MET if done_at is not None and done_at <= visit_done_at else MISSED
    if done_at is not None:
        return MET
    return MISSED if now > visit_due else PENDING


def process_measures(
    follow_up: FollowUp | None, handoff: Handoff, now: datetime | None = None
) -> ProcessMeasures:
    """Uses the handoff's prefetched checklist and the follow-up's tasks."""
    now = now or timezone.now()
    if follow_up is None or follow_up.status == FollowUpStatus.CANCELLED:
        return ProcessMeasures(NOT_APPLICABLE, NOT_APPLICABLE, NOT_APPLICABLE, NOT_APPLICABLE)
    items = {item.code: item for item in handoff.checklist.all()}
    reconciled = items.get(ChecklistItemCode.RECONCILIATION_DONE)
    summary = items.get(ChecklistItemCode.SUMMARY_RECEIVED)
    return ProcessMeasures(
        contact=_task_measure(follow_up.contact_task, follow_up.contact_due_at, now),
        visit=_task_measure(follow_up.visit_task, follow_up.visit_due_at, now),
        reconciliation_by_visit=_by_visit(
            reconciled.done_at if reconciled else None,
            follow_up.visit_task,
            follow_up.visit_due_at,
            now,
        ),
        summary_before_visit=_by_visit(
            summary.done_at if summary else None,
            follow_up.visit_task,
            follow_up.visit_due_at,
            now,
        ),
    )
