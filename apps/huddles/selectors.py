"""Reading huddles. Access follows the team; every read that shows patients is audited."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.core.audit import audit_record
from apps.core.exceptions import NotFoundError
from apps.core.models import AuditAction
from apps.huddles import permissions
from apps.huddles.agenda import Candidate
from apps.huddles.due import DUE_CHOICES, DueChoice, due_at_for_choice
from apps.huddles.models import (
    AgendaItem,
    Huddle,
    HuddleAttendance,
    HuddleSeries,
    HuddleStatus,
    ItemStatus,
)
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
from apps.teams.models import CareTeam, TeamMembership
from apps.teams.selectors import team_active_members, team_list_for_user

UPCOMING_LIMIT = 20
PAST_LIMIT = 25


# --- the huddle list and its measures ------------------------------------------------


@dataclass
class RoleAttendance:
    role: str
    present: int = 0
    expected: int = 0

    @property
    def label(self) -> str:
        return Role(self.role).label if self.role in Role.values else self.role

    @property
    def share(self) -> float | None:
        return self.present / self.expected if self.expected else None

    @property
    def percent(self) -> int | None:
        share = self.share
        return round(share * 100) if share is not None else None


@dataclass
class HuddleMeasures:
    """What one huddle (or a set of them) produced."""

    items: int = 0
    discussed: int = 0
    with_owned_task: int = 0
    seconds_spent: int = 0
    timed_items: int = 0
    attendance: dict[str, RoleAttendance] = field(default_factory=dict)

    @property
    def owned_task_share(self) -> float | None:
        """Share of the items dealt with that left the huddle with an owned task."""
        return self.with_owned_task / self.items if self.items else None

    @property
    def owned_task_percent(self) -> int | None:
        share = self.owned_task_share
        return round(share * 100) if share is not None else None

    @property
    def seconds_per_item(self) -> float | None:
        return self.seconds_spent / self.timed_items if self.timed_items else None

    @property
    def time_per_item_display(self) -> str:
        seconds = self.seconds_per_item
        if seconds is None:
            return "—"
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"

    @property
    def present_count(self) -> int:
        return sum(row.present for row in self.attendance.values())

    @property
    def expected_count(self) -> int:
        return sum(row.expected for row in self.attendance.values())

    @property
    def attendance_by_role(self) -> list[RoleAttendance]:
        return sorted(self.attendance.values(), key=lambda row: row.label)

    def add(self, other: "HuddleMeasures") -> None:
        self.items += other.items
        self.discussed += other.discussed
        self.with_owned_task += other.with_owned_task
        self.seconds_spent += other.seconds_spent
        self.timed_items += other.timed_items
        for role, row in other.attendance.items():
            total = self.attendance.setdefault(role, RoleAttendance(role=role))
            total.present += row.present
            total.expected += row.expected


@dataclass
class HuddleRow:
    huddle: Huddle
    measures: HuddleMeasures


@dataclass
class HuddleList:
    open: list[HuddleRow]
    upcoming: list[HuddleRow]
    past: list[HuddleRow]
    totals: HuddleMeasures
    closed_count: int
    teams: list[CareTeam]
    runnable_team_ids: frozenset[int]

    @property
    def items_per_huddle(self) -> float | None:
        return round(self.totals.items / self.closed_count, 1) if self.closed_count else None

    @property
    def offers_scheduling(self) -> bool:
        return bool(self.runnable_team_ids)


def _owned_task_exists() -> Exists:
    return Exists(
        Task.objects.filter(
            source_type=TaskSource.HUDDLE, source_id=OuterRef("pk"), owner__isnull=False
        )
    )


def huddle_measures(huddle_ids: list[int]) -> dict[int, HuddleMeasures]:
    """Measures for many huddles in two queries, whatever their number of items."""
    measures = {huddle_id: HuddleMeasures() for huddle_id in huddle_ids}
    if not huddle_ids:
        return measures
    counted = Q(status__in=[ItemStatus.DISCUSSED, ItemStatus.SKIPPED, ItemStatus.PENDING])
    rows = (
        AgendaItem.objects.filter(huddle_id__in=huddle_ids)
        .annotate(owned=_owned_task_exists())
        .values("huddle_id")
        .annotate(
            items=Count("id", filter=counted),
            discussed=Count("id", filter=Q(status=ItemStatus.DISCUSSED)),
            with_task=Count("id", filter=counted & Q(owned=True)),
            seconds=Sum("seconds_spent", filter=Q(status=ItemStatus.DISCUSSED)),
            timed=Count("id", filter=Q(status=ItemStatus.DISCUSSED, seconds_spent__isnull=False)),
        )
        .order_by()
    )
    for row in rows:
        target = measures[row["huddle_id"]]
        target.items = row["items"]
        target.discussed = row["discussed"]
        target.with_owned_task = row["with_task"]
        target.seconds_spent = row["seconds"] or 0
        target.timed_items = row["timed"]
    attendance = (
        HuddleAttendance.objects.filter(huddle_id__in=huddle_ids)
        .values("huddle_id", "role")
        .annotate(expected=Count("id"), present=Count("id", filter=Q(present=True)))
        .order_by()
    )
    for row in attendance:
        measures[row["huddle_id"]].attendance[row["role"]] = RoleAttendance(
            role=row["role"], present=row["present"], expected=row["expected"]
        )
    return measures


def huddle_list_for_user(*, user: User, team_id: int | None = None) -> HuddleList:
    """Huddles of the user's teams: in progress, coming up, and recent ones with measures."""
    huddles = permissions.visible_huddles(user).select_related("team", "series")
    if team_id is not None:
        huddles = huddles.filter(team_id=team_id)
    now = timezone.now()
    open_rows = list(huddles.filter(status=HuddleStatus.OPEN).order_by("scheduled_start"))
    upcoming = list(
        huddles.filter(
            status=HuddleStatus.SCHEDULED, scheduled_start__gte=now - timedelta(days=1)
        ).order_by("scheduled_start", "pk")[:UPCOMING_LIMIT]
    )
    past = list(
        huddles.filter(
            Q(status__in=[HuddleStatus.CLOSED, HuddleStatus.CANCELLED])
            | Q(status=HuddleStatus.SCHEDULED, scheduled_start__lt=now - timedelta(days=1))
        ).order_by("-scheduled_start", "-pk")[:PAST_LIMIT]
    )
    measured = huddle_measures([huddle.pk for huddle in [*open_rows, *past]])
    totals = HuddleMeasures()
    closed = [huddle for huddle in past if huddle.status == HuddleStatus.CLOSED]
    for huddle in closed:
        totals.add(measured[huddle.pk])
    runnable = frozenset(
        CareTeam.objects.filter(pk__in=permissions.teams_user_runs(user)).values_list(
            "pk", flat=True
        )
    )
    return HuddleList(
        open=[HuddleRow(huddle, measured[huddle.pk]) for huddle in open_rows],
        upcoming=[HuddleRow(huddle, HuddleMeasures()) for huddle in upcoming],
        past=[HuddleRow(huddle, measured.get(huddle.pk, HuddleMeasures())) for huddle in past],
        totals=totals,
        closed_count=len(closed),
        teams=list(team_list_for_user(user=user)),
        runnable_team_ids=runnable,
    )


def huddle_get_for_user(*, user: User, huddle_id: int | str) -> Huddle:
    """The huddle, if it belongs to one of the user's teams; anything else is "not found"."""
    try:
        pk = int(huddle_id)
    except (TypeError, ValueError) as error:
        raise NotFoundError("No such huddle.") from error
    huddle = (
        permissions.visible_huddles(user)
        .select_related("team", "team__organisation", "series", "previous")
        .filter(pk=pk)
        .first()
    )
    if huddle is None:
        raise NotFoundError("No such huddle.")
    return huddle


def huddle_item_get_for_user(*, user: User, huddle: Huddle, item_id: int | str) -> AgendaItem:
    try:
        pk = int(item_id)
    except (TypeError, ValueError) as error:
        raise NotFoundError("No such agenda item.") from error
    item = (
        _visible_items(user, huddle)
        .select_related("huddle", "huddle__team", "patient")
        .filter(pk=pk)
        .first()
    )
    if item is None:
        raise NotFoundError("No such agenda item.")
    return item


def series_list_for_user(*, user: User) -> list[HuddleSeries]:
    return list(
        HuddleSeries.objects.filter(team_id__in=permissions.visible_huddles(user).values("team_id"))
        .select_related("team")
        .order_by("team__name", "weekday", "start_time")
    )


def series_get_for_user(*, user: User, series_id: int | str) -> HuddleSeries:
    try:
        pk = int(series_id)
    except (TypeError, ValueError) as error:
        raise NotFoundError("No such series.") from error
    series = (
        HuddleSeries.objects.filter(pk=pk)
        .select_related("team")
        .filter(team_id__in=team_list_for_user(user=user).values("pk"))
        .first()
    )
    if series is None:
        raise NotFoundError("No such series.")
    return series


# --- one huddle: the board used before, during and after the meeting ----------------


def _visible_items(user: User, huddle: Huddle) -> QuerySet[AgendaItem]:
    """A huddle's items whose patients the user still sees (a patient may change teams)."""
    return huddle.items.filter(patient_id__in=visible_patients(user).values("pk"))


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
    can_run = permissions.can_run_huddles(user, huddle.team_id)
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
