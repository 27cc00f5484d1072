"""The same-day triage queue as a user sees it: their own teams' patients, audited."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.exceptions import NotFoundError
from apps.core.models import AuditAction
from apps.measures import permissions
from apps.measures.models import TriageItem, TriageStatus
from apps.patients import hrsn
from apps.patients.models import Patient
from apps.tasks.models import task_is_overdue

QUEUE_LIMIT = 500


@dataclass(frozen=True)
class TriageRow:
    item: TriageItem
    needs: list[str]
    overdue: bool
    carried_over: bool


def triage_list_for_user(*, user: User, now: datetime | None = None) -> list[TriageRow]:
    """Open urgent needs of the patients on the user's teams, oldest first; items from an
    earlier day were not handled the same day and say so. Another team's patient never
    shows, even when a screen was recorded while the patient was on the user's team."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    items = list(
        TriageItem.objects.filter(
            patient__care_team_id__in=permissions.measure_team_ids(user),
            status=TriageStatus.OPEN,
        )
        .select_related("patient__care_team", "screen", "task__owner")
        .order_by("created_at", "pk")[:QUEUE_LIMIT]
    )
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        object_type=Patient,
        patient_ids=sorted({item.patient_id for item in items}),
        detail={"list": "triage_queue"},
    )
    return [
        TriageRow(
            item=item,
            needs=[hrsn.URGENT_LABELS[need] for need in item.needs if need in hrsn.URGENT_LABELS],
            overdue=item.task is not None
            and task_is_overdue(status=item.task.status, due_at=item.task.due_at, now=now),
            carried_over=timezone.localdate(item.created_at) < today,
        )
        for item in items
    ]


def triage_item_get_for_user(*, user: User, item_id: int) -> TriageItem:
    """An item of a patient on the user's teams; any other is "not found"."""
    item = (
        TriageItem.objects.filter(
            pk=item_id, patient__care_team_id__in=permissions.measure_team_ids(user)
        )
        .select_related("patient")
        .first()
    )
    if item is None:
        raise NotFoundError("No such triage item.")
    return item
