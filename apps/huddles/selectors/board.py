"""Reading one huddle's board (before, during and after the meeting) and a patient's huddles."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.models import AuditAction
from apps.huddles import permissions
from apps.huddles.agenda import Candidate
from apps.huddles.due import DUE_CHOICES, DueChoice, due_at_for_choice
from apps.huddles.models import (
    AgendaItem,
    Huddle,
    HuddleAttendance,
    HuddleStatus,
    ItemStatus,
)
from apps.huddles.selectors.huddles import HuddleMeasures, _visible_items, huddle_measures
from apps.huddles.services import (
    agenda_plan_for,
    huddle_settings_for,
    new_task_token,
    previous_huddle,
)
from apps.patients.models import Patient
from apps.patients.permissions import visible_patients
from apps.patients.selectors import patient_get_for_user
from apps.tasks.models import Task, TaskSource
from apps.teams.models import TeamMembership
from apps.teams.selectors import team_active_members

# --- one huddle: the board used before, during and after the meeting ----------------


@dataclass
class TaskLine:
    id: int
    title: str
    owner_name: str
    owner_id: int | None
    due_at: object
    status: str
    status_display: str


@dataclass
class BoardItem:
    item: AgendaItem
    tasks: list[TaskLine]
    # A fresh one-use token per drawn task form: a double submit makes one task.
    task_token: str = field(default_factory=new_task_token)


@dataclass
class Board:
    huddle: Huddle
    items: list[BoardItem]
    attendance: list[HuddleAttendance]
    members: list[TeamMembership]
    can_run: bool
    due_choices: list[tuple[DueChoice, date]]
    previous: Huddle | None
    measures: HuddleMeasures
    # Why the viewer may not open, run or close it (None when they may).
    why_not_run: str | None = None

    @property
    def pending(self) -> list[BoardItem]:
        return [row for row in self.items if row.item.status == ItemStatus.PENDING]

    @property
    def present(self) -> list[HuddleAttendance]:
        return [row for row in self.attendance if row.present]

    @property
    def absent(self) -> list[HuddleAttendance]:
        return [row for row in self.attendance if not row.present]

    @property
    def ends_at(self) -> object:
        start = self.huddle.opened_at or self.huddle.scheduled_start
        return start + timedelta(minutes=self.huddle.duration_minutes)

    def item_row(self, item_id: int) -> BoardItem | None:
        return next((row for row in self.items if row.item.pk == item_id), None)


def _tasks_by_item(item_ids: list[int]) -> dict[int, list[TaskLine]]:
    tasks: dict[int, list[TaskLine]] = defaultdict(list)
    if not item_ids:
        return tasks
    rows = (
        Task.objects.filter(source_type=TaskSource.HUDDLE, source_id__in=item_ids)
        .select_related("owner")
        .order_by("created_at", "id")
    )
    for task in rows:
        if task.source_id is None:
            continue
        tasks[task.source_id].append(
            TaskLine(
                id=task.pk,
                title=task.title,
                owner_name=task.owner.display_name if task.owner else "",
                owner_id=task.owner_id,
                due_at=task.due_at,
                status=task.status,
                status_display=task.get_status_display(),
            )
        )
    return tasks


def _due_choices(huddle: Huddle) -> list[tuple[DueChoice, date]]:
    settings = huddle_settings_for(huddle.team.organisation_id)
    return [
        (
            choice,
            timezone.localtime(
                due_at_for_choice(
                    organisation=huddle.team.organisation,
                    code=choice.code,
                    hour=settings.task_due_hour,
                )
            ).date(),
        )
        for choice in DUE_CHOICES
    ]


def huddle_board_for_user(
    *, user: User, huddle: Huddle, item_ids: list[int] | None = None
) -> Board:
    """The agenda with its evidence, decisions and tasks, the attendance and the team.

    `item_ids` narrows it to some items (an htmx partial). The read is audited
    with the patients it shows.
    """
    items = _visible_items(user, huddle).select_related("patient", "carried_from__huddle")
    if item_ids is not None:
        items = items.filter(pk__in=item_ids)
    item_list = list(items.order_by("position", "id"))
    tasks = _tasks_by_item([item.pk for item in item_list])
    why_not_run = permissions.why_not_run_huddles(user, huddle.team_id)
    can_run = why_not_run is None
    attendance = list(
        HuddleAttendance.objects.filter(huddle=huddle).select_related("user")
        if item_ids is None
        else []
    )
    members = list(team_active_members(team_ids=[huddle.team_id])) if can_run else []
    measures = (
        huddle_measures([huddle.pk])[huddle.pk]
        if item_ids is None and huddle.status != HuddleStatus.SCHEDULED
        else HuddleMeasures()
    )
    if item_list:
        audit_record(
            actor=user,
            action=AuditAction.LIST,
            object_type=AgendaItem,
            patient_ids=sorted({item.patient_id for item in item_list}),
            detail={"huddle_id": huddle.pk},
        )
    return Board(
        huddle=huddle,
        items=[BoardItem(item=item, tasks=tasks.get(item.pk, [])) for item in item_list],
        attendance=attendance,
        members=members,
        can_run=can_run,
        why_not_run=why_not_run,
        due_choices=_due_choices(huddle) if can_run and huddle.is_open else [],
        previous=huddle.previous,
        measures=measures,
    )


@dataclass
class PreviewItem:
    candidate: Candidate
    patient: Patient
    carried: bool


@dataclass
class AgendaPreview:
    items: list[PreviewItem]
    left_out: int
    previous: Huddle | None


def huddle_agenda_preview_for_user(*, user: User, huddle: Huddle) -> AgendaPreview:
    """What the agenda would hold if the huddle opened now (nothing is saved)."""
    if huddle.status != HuddleStatus.SCHEDULED:
        return AgendaPreview(items=[], left_out=0, previous=huddle.previous)
    previous = previous_huddle(huddle)
    added = frozenset(huddle.items.values_list("key", flat=True))
    plan = agenda_plan_for(
        huddle=huddle, now=timezone.now(), previous=previous, exclude_keys=added, viewer=user
    )
    patients = visible_patients(user).in_bulk([c.patient_id for c in plan.candidates])
    shown = [
        PreviewItem(
            candidate=candidate,
            patient=patients[candidate.patient_id],
            carried=candidate.key in plan.carried_from,
        )
        for candidate in plan.candidates
        if candidate.patient_id in patients
    ]
    if shown:
        audit_record(
            actor=user,
            action=AuditAction.LIST,
            object_type=AgendaItem,
            patient_ids=sorted({row.patient.pk for row in shown}),
            detail={"huddle_id": huddle.pk, "preview": True},
        )
    return AgendaPreview(items=shown, left_out=plan.left_out, previous=previous)


# --- a patient's huddle history (the chart section) ---------------------------------


@dataclass
class PatientHuddleEntry:
    item: AgendaItem
    tasks: list[TaskLine]


def patient_huddle_history_for_user(
    *, user: User, patient_id: int | str, limit: int = 20
) -> tuple[Patient, list[PatientHuddleEntry]]:
    """What the team's huddles decided about one patient, newest first (audited read)."""
    patient = patient_get_for_user(user=user, patient_id=patient_id)
    items = list(
        AgendaItem.objects.filter(
            patient=patient,
            huddle__status=HuddleStatus.CLOSED,
            status__in=[ItemStatus.DISCUSSED, ItemStatus.SKIPPED, ItemStatus.PENDING],
        )
        .select_related("huddle")
        .order_by("-huddle__opened_at", "position")[:limit]
    )
    tasks = _tasks_by_item([item.pk for item in items])
    return patient, [PatientHuddleEntry(item=item, tasks=tasks.get(item.pk, [])) for item in items]


# --- small reads for the run screen -----------------------------------------------


def huddle_attendance(*, huddle: Huddle) -> list[HuddleAttendance]:
    return list(HuddleAttendance.objects.filter(huddle=huddle).select_related("user"))


def team_members(*, team_id: int) -> list[TeamMembership]:
    """Who may own a task made in the huddle: the team's current members."""
    return list(team_active_members(team_ids=[team_id]))


def team_patient_by_mrn(*, user: User, team_id: int, mrn: str) -> Patient | None:
    """A patient of the huddle's team, found by exact MRN among those the user sees."""
    return (
        visible_patients(user).filter(care_team_id=team_id, mrn=mrn.strip(), is_active=True).first()
    )


@dataclass
class Clock:
    started_at: datetime | None
    ends_at: datetime
    minutes_left: int
    over_by: int
    done: int
    remaining: int
    minutes_per_remaining_item: float | None


def huddle_clock(*, huddle: Huddle, now: datetime) -> Clock:
    """The time box: how long is left and how much time each remaining item can have."""
    start = huddle.opened_at or huddle.scheduled_start
    ends_at = start + timedelta(minutes=huddle.duration_minutes)
    counts = huddle.items.aggregate(
        done=Count("id", filter=Q(status__in=[ItemStatus.DISCUSSED, ItemStatus.SKIPPED])),
        remaining=Count("id", filter=Q(status=ItemStatus.PENDING)),
    )
    left = (ends_at - now).total_seconds() / 60
    remaining = counts["remaining"] or 0
    return Clock(
        started_at=huddle.opened_at,
        ends_at=ends_at,
        minutes_left=max(0, int(left)),
        over_by=max(0, int(-left)),
        done=counts["done"] or 0,
        remaining=remaining,
        minutes_per_remaining_item=round(left / remaining, 1) if remaining and left > 0 else None,
    )
