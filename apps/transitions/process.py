"""Process measures of a discharge home (DOMAIN 8), from prefetched rows only.

- contact: the interactive contact was documented as made by its due time
  (2 business days); a task closed without when, who and outcome does not count;
- visit: the face-to-face visit was documented as made by its due time (7 or 14 days);
- reconciliation by the visit: the medication reconciliation was done no
  later than the visit;
- summary before the visit: the PCP had the discharge summary by the visit.
Each is met, late/missed, pending (its time has not come) or not applicable.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from apps.tasks.models import Task, TaskStatus
from apps.transitions.models import (
    ChecklistItemCode,
    FollowUp,
    FollowUpContact,
    FollowUpStatus,
    Handoff,
)

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


def documented_contact(task: Task | None) -> FollowUpContact | None:
    """The documentation of a follow-up task (selected with it), or None."""
    if task is None:
        return None
    try:
        return task.follow_up_contact  # type: ignore[attr-defined,no-any-return]
    except ObjectDoesNotExist:
        return None


def _task_measure(task: Task | None, due_at: datetime, now: datetime) -> str:
    """Counts only a documented contact or visit, at the time it happened."""
    if task is None:
        return MISSED if now > due_at else PENDING
    record = documented_contact(task)
    if record is not None:
        return MET if record.contact_at <= due_at else LATE
    if task.status == TaskStatus.CANCELLED:
        return NOT_APPLICABLE
    # Open, failed, or closed without saying when, who and the outcome: not a contact.
    return MISSED if now > due_at else PENDING


def _by_visit(
    done_at: datetime | None, visit: Task | None, visit_due: datetime, now: datetime
) -> str:
    record = documented_contact(visit)
    visit_done_at = record.contact_at if record is not None else None
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
