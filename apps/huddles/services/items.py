"""Agenda items: add, order, decide, skip, and turn decisions into owned tasks."""

import uuid
from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.huddles.models import AgendaItem, Huddle, HuddleStatus, ItemSource, ItemStatus
from apps.huddles.permissions import require_can_run_huddles
from apps.patients.models import Patient
from apps.tasks.models import Task, TaskPriority, TaskSource
from apps.tasks.services import task_create

MANUAL_URGENCY = 50


def _locked_item(item: AgendaItem) -> AgendaItem:
    return (
        AgendaItem.objects.select_for_update(of=("self",))
        .select_related("huddle", "huddle__team", "patient")
        .get(pk=item.pk)
    )


def _audit_item(actor: User, item: AgendaItem, action: str, **detail: object) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type=AgendaItem,
        object_id=item.pk,
        patient_id=item.patient_id,
        detail={"huddle_id": item.huddle_id, **detail},
    )


def _require_editable(huddle: Huddle) -> None:
    if not huddle.is_editable:
        raise ApplicationError("This huddle is over; its agenda can no longer change.")


def _require_in_progress(huddle: Huddle) -> None:
    if huddle.status != HuddleStatus.OPEN:
        raise ApplicationError("Open the huddle first; decisions are recorded during it.")


@transaction.atomic
def huddle_item_add(
    *,
    actor: User,
    huddle: Huddle,
    patient: Patient,
    title: str,
    note: str = "",
    urgency: int = MANUAL_URGENCY,
) -> AgendaItem:
    """The coordinator puts a patient on the agenda by hand, before or during the huddle."""
    huddle = Huddle.objects.select_for_update().get(pk=huddle.pk)
    require_can_run_huddles(actor, huddle.team_id)
    _require_editable(huddle)
    errors: dict[str, list[str]] = {}
    if patient.care_team_id != huddle.team_id:
        errors["patient"] = ["Choose a patient of this care team."]
    if not title.strip():
        errors["title"] = ["Say what the team should discuss."]
    if not 1 <= urgency <= 99:
        errors["urgency"] = ["Urgency runs from 1 to 99."]
    if errors:
        raise ApplicationError("The item is not valid.", field_errors=errors)
    last = huddle.items.aggregate(last=Max("position"))["last"] or 0
    evidence = [{"label": "Note", "detail": note.strip(), "object_type": "", "object_id": None}]
    item = AgendaItem.objects.create(
        huddle=huddle,
        patient=patient,
        source=ItemSource.MANUAL,
        key=f"{ItemSource.MANUAL}:{uuid.uuid4().hex[:16]}",
        title=title.strip()[:200],
        evidence=evidence if note.strip() else [],
        urgency=urgency,
        position=last + 1,
        added_by=actor,
    )
    _audit_item(actor, item, AuditAction.CREATE)
    return item


@transaction.atomic
def huddle_agenda_reorder(*, actor: User, huddle: Huddle, item_ids: list[int]) -> list[AgendaItem]:
    """Puts the agenda in the given order; `item_ids` must name every item exactly once."""
    huddle = Huddle.objects.select_for_update().get(pk=huddle.pk)
    require_can_run_huddles(actor, huddle.team_id)
    _require_editable(huddle)
    items = {item.pk: item for item in huddle.items.all()}
    if len(item_ids) != len(set(item_ids)) or set(item_ids) != set(items):
        raise ApplicationError(
            "List every item of this agenda exactly once.",
            field_errors={"item_ids": ["Must be a reordering of this agenda's items."]},
        )
    now = timezone.now()
    ordered = []
    for position, item_id in enumerate(item_ids, start=1):
        item = items[item_id]
        item.position = position
        item.updated_at = now
        ordered.append(item)
    AgendaItem.objects.bulk_update(ordered, ["position", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=Huddle,
        object_id=huddle.pk,
        detail={"fields": ["agenda_order"]},
    )
    return ordered


def huddle_item_move(*, actor: User, item: AgendaItem, offset: int) -> list[AgendaItem]:
    """Moves an item up (offset -1) or down (+1) the agenda."""
    order = list(item.huddle.items.order_by("position", "id").values_list("pk", flat=True))
    index = order.index(item.pk)
    target = max(0, min(len(order) - 1, index + offset))
    order.insert(target, order.pop(index))
    return huddle_agenda_reorder(actor=actor, huddle=item.huddle, item_ids=order)


def _seconds_since_last_close(item: AgendaItem, now: datetime) -> int:
    """Time on this item: since the previous item was closed, or since the huddle opened."""
    huddle = item.huddle
    last = (
        huddle.items.exclude(pk=item.pk)
        .filter(closed_at__isnull=False, status__in=[ItemStatus.DISCUSSED, ItemStatus.SKIPPED])
        .aggregate(last=Max("closed_at"))["last"]
    )
    start = max(filter(None, [huddle.opened_at, last]), default=now)
    return max(0, int((now - start).total_seconds()))


@transaction.atomic
def huddle_item_decision_record(*, actor: User, item: AgendaItem, decision: str) -> AgendaItem:
    """Writes (or corrects) what the team decided, while the huddle is in progress."""
    item = _locked_item(item)
    require_can_run_huddles(actor, item.huddle.team_id)
    _require_in_progress(item.huddle)
    if item.status in (ItemStatus.SKIPPED, ItemStatus.RESOLVED):
        raise ApplicationError("Reopen the item before recording a decision.")
    decision = decision.strip()
    if item.status == ItemStatus.DISCUSSED and not decision and not item.reason:
        raise ApplicationError(
            "A discussed item keeps a decision or a reason.",
            field_errors={"decision": ["Write the decision."]},
        )
    if decision == item.decision:
        return item
    item.decision = decision
    item.save(update_fields=["decision", "updated_at"])
    _audit_item(actor, item, AuditAction.UPDATE, fields=["decision"])
    return item


@transaction.atomic
def huddle_item_discuss(
    *, actor: User, item: AgendaItem, decision: str | None = None, reason: str = ""
) -> AgendaItem:
    """Closes an item as discussed. It needs a decision, or a reason why there is none."""
    item = _locked_item(item)
    require_can_run_huddles(actor, item.huddle.team_id)
    _require_in_progress(item.huddle)
    if item.status != ItemStatus.PENDING:
        raise ApplicationError("This item is already closed; reopen it to change it.")
    if decision is not None:
        item.decision = decision.strip()
    item.reason = reason.strip()
    if not item.decision and not item.reason:
        raise ApplicationError(
            "Record the decision, or say why there is none, before closing the item.",
            field_errors={
                "decision": ["Write the decision."],
                "reason": ["Or give the reason there is no decision."],
            },
        )
    now = timezone.now()
    item.seconds_spent = _seconds_since_last_close(item, now)
    item.status = ItemStatus.DISCUSSED
    item.closed_at = now
    item.closed_by = actor
    item.save(
        update_fields=[
            "decision",
            "reason",
            "status",
            "closed_at",
            "closed_by",
            "seconds_spent",
            "updated_at",
        ]
    )
    _audit_item(actor, item, AuditAction.UPDATE, fields=["status", "decision", "reason"])
    return item


@transaction.atomic
def huddle_item_skip(*, actor: User, item: AgendaItem, reason: str) -> AgendaItem:
    """Takes an item off this huddle's agenda, with the reason (before or during the huddle)."""
    item = _locked_item(item)
    require_can_run_huddles(actor, item.huddle.team_id)
    _require_editable(item.huddle)
    if item.status != ItemStatus.PENDING:
        raise ApplicationError("Only an item not yet discussed can be skipped.")
    if not reason.strip():
        raise ApplicationError(
            "Say why the item is skipped.", field_errors={"reason": ["A reason is required."]}
        )
    now = timezone.now()
    item.status = ItemStatus.SKIPPED
    item.reason = reason.strip()
    item.closed_at = now
    item.closed_by = actor
    item.save(update_fields=["status", "reason", "closed_at", "closed_by", "updated_at"])
    _audit_item(actor, item, AuditAction.UPDATE, fields=["status", "reason"])
    return item


@transaction.atomic
def huddle_item_reopen(*, actor: User, item: AgendaItem) -> AgendaItem:
    """Puts a closed item back on the agenda of the huddle in progress."""
    item = _locked_item(item)
    require_can_run_huddles(actor, item.huddle.team_id)
    _require_in_progress(item.huddle)
    if item.status == ItemStatus.PENDING:
        return item
    item.status = ItemStatus.PENDING
    item.closed_at = None
    item.closed_by = None
    item.seconds_spent = None
    item.save(update_fields=["status", "closed_at", "closed_by", "seconds_spent", "updated_at"])
    _audit_item(actor, item, AuditAction.UPDATE, fields=["status"])
    return item


def new_task_token() -> str:
    """A one-use token a task form carries, so a double submit makes one task."""
    return uuid.uuid4().hex


@transaction.atomic
def huddle_item_task_create(
    *,
    actor: User,
    item: AgendaItem,
    title: str,
    owner: User | None,
    due_at: datetime | None,
    priority: str = TaskPriority.ROUTINE,
    token: str | None = None,
) -> Task:
    """Turns a decision into a task with exactly one owner on the patient's team and a due time.

    The task records the item as its source; `token` makes a repeated submit
    return the task already made instead of a second one.
    """
    item = _locked_item(item)
    require_can_run_huddles(actor, item.huddle.team_id)
    _require_in_progress(item.huddle)
    errors: dict[str, list[str]] = {}
    if item.status in (ItemStatus.SKIPPED, ItemStatus.RESOLVED):
        raise ApplicationError("This item was taken off the agenda; reopen it first.")
    if item.patient.care_team_id != item.huddle.team_id:
        raise ApplicationError("This patient has moved to another care team.")
    if owner is None:
        errors["owner"] = ["Choose the one person who owns this task."]
    if due_at is None:
        errors["due_at"] = ["Choose when it is due."]
    elif timezone.is_naive(due_at):
        errors["due_at"] = ["The due time needs a time zone."]
    elif due_at < timezone.now():
        errors["due_at"] = ["The due time is in the past."]
    if not title.strip():
        errors["title"] = ["Say what needs doing."]
    if errors or owner is None or due_at is None:
        raise ApplicationError("The task is not valid.", field_errors=errors)
    huddle = item.huddle
    description = f"Decided at the huddle of {timezone.localtime(huddle.scheduled_start):%Y-%m-%d}"
    if item.decision:
        description += f": {item.decision}"
    key = f"huddle-item:{item.pk}:{(token or new_task_token())[:64]}"
    return task_create(
        actor=actor,
        patient=item.patient,
        title=title.strip()[:200],
        owner=owner,
        due_at=due_at,
        priority=priority,
        description=description,
        source_type=TaskSource.HUDDLE,
        source_id=item.pk,
        idempotency_key=key,
    )
