"""Reading the huddle list, its measures, one huddle or series (access follows the team)."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.core.exceptions import NotFoundError
from apps.huddles import permissions
from apps.huddles.models import (
    AgendaItem,
    Huddle,
    HuddleAttendance,
    HuddleSeries,
    HuddleStatus,
    ItemStatus,
)
from apps.patients.permissions import visible_patients
from apps.tasks.models import Task, TaskSource
from apps.teams.models import CareTeam
from apps.teams.selectors import team_list_for_user

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


def _visible_items(user: User, huddle: Huddle) -> QuerySet[AgendaItem]:
    """A huddle's items whose patients the user still sees (a patient may change teams)."""
    return huddle.items.filter(patient_id__in=visible_patients(user).values("pk"))


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


def huddle_items_not_reached(*, huddle: Huddle) -> list[AgendaItem]:
    """Items still pending: closing the huddle carries them into the team's next one."""
    return list(
        huddle.items.filter(status=ItemStatus.PENDING)
        .select_related("patient")
        .order_by("position", "id")
    )
