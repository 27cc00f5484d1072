"""Trends by month from the stored snapshots, drawn as server-rendered SVG (no script).

One query reads a scope's last months of every figure; the charts are
coordinates computed here and drawn by the template, each point labelled with
its month and value so a reader needs no hover.
"""

from dataclasses import dataclass, field
from datetime import date

from apps.accounts.models import User
from apps.core.exceptions import NotFoundError
from apps.measures import permissions
from apps.measures.models import MeasureSnapshot
from apps.measures.selectors import MEASURE_CODES
from apps.teams.models import CareTeam, TeamMembership

WIDTH, HEIGHT = 560, 200
LEFT, RIGHT, TOP, BOTTOM = 44, 28, 20, 36


@dataclass(frozen=True)
class Point:
    month: date
    numerator: float
    denominator: float
    rate: float | None
    x: float = 0.0
    y: float = 0.0
    bar_height: float = 0.0
    bar_x: float = 0.0


@dataclass
class Chart:
    code: str
    title: str
    group: str
    unit: str
    kind: str  # "line" for shares, "bar" for rates per 1,000
    points: list[Point] = field(default_factory=list)
    top: float = 0.0
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points if p.rate is not None)

    @property
    def baseline(self) -> float:
        return HEIGHT - BOTTOM

    @property
    def bar_width(self) -> float:
        return max(4.0, (WIDTH - LEFT - RIGHT) / max(len(self.points), 1) * 0.6)

    @property
    def gridlines(self) -> list[tuple[float, str]]:
        """Four horizontal lines with their values (0, a quarter, half, ...)."""
        span = HEIGHT - TOP - BOTTOM
        return [
            (HEIGHT - BOTTOM - span * step / 4, f"{self.top * step / 4:g}") for step in range(5)
        ]


def _scale(chart: Chart) -> Chart:
    rates = [p.rate for p in chart.points if p.rate is not None]
    chart.top = 100.0 if chart.unit == "%" else _nice_top(max(rates, default=0.0))
    count = len(chart.points)
    step = (
        (WIDTH - LEFT - RIGHT) / max(count - 1, 1)
        if chart.kind == "line"
        else ((WIDTH - LEFT - RIGHT) / max(count, 1))
    )
    span = HEIGHT - TOP - BOTTOM
    placed = []
    for index, point in enumerate(chart.points):
        x = LEFT + index * step + (step / 2 if chart.kind == "bar" else 0)
        value = point.rate or 0.0
        height = span * value / chart.top if chart.top else 0.0
        placed.append(
            Point(
                month=point.month,
                numerator=point.numerator,
                denominator=point.denominator,
                rate=point.rate,
                x=x,
                y=HEIGHT - BOTTOM - height,
                bar_height=height,
                bar_x=x - chart.bar_width / 2,
            )
        )
    chart.points = placed
    return chart


def _nice_top(value: float) -> float:
    """A round axis top at or above `value` (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    while magnitude > value:
        magnitude /= 10
    for factor in (1, 2, 5, 10):
        if magnitude * factor >= value:
            return magnitude * factor
    return magnitude * 10


@dataclass(frozen=True)
class TrendScope:
    organisation_id: int
    team: CareTeam | None
    label: str
    # A lead coordinator's own stored months (their patients: selectors.COORDINATOR_DEFINITION).
    coordinator: User | None = None


def _coordinator_scope(user: User, coordinator_id: int) -> TrendScope:
    """A coordinator's stored months, for someone who may ask for them and may see every
    team they lead (their stored rows count all those teams' patients)."""
    allowed = permissions.measure_team_ids_for(user)
    coordinator = (
        permissions.measure_coordinators_for(user, allowed).filter(pk=coordinator_id).first()
    )
    if coordinator is None:
        raise NotFoundError("No such coordinator on these teams.")
    led = set(
        TeamMembership.objects.leads()
        .filter(user_id=coordinator.pk)
        .values_list("team_id", flat=True)
    )
    if not led.issubset(allowed):
        raise NotFoundError("This coordinator also leads teams you do not see.")
    return TrendScope(
        organisation_id=coordinator.organisation_id or 0,
        team=None,
        label=f"Patients led by {coordinator.display_name}",
        coordinator=coordinator,
    )


def trend_scope_for_user(
    *, user: User, team_id: int | None, coordinator_id: int | None = None
) -> TrendScope:
    """The organisation's trends for its admin; a team's for anyone who may see its figures;
    a lead coordinator's for themselves and the members of the teams they lead. Without a
    team, a member sees their first team; another team answers not found."""
    if user.organisation_id is None:
        raise NotFoundError("No organisation.")
    if coordinator_id is not None:
        return _coordinator_scope(user, coordinator_id)
    allowed = permissions.measure_team_ids_for(user)
    if team_id is None and permissions.can_view_organisation_measures(user):
        return TrendScope(
            organisation_id=user.organisation_id, team=None, label="Your organisation"
        )
    if team_id is None:
        if not allowed:
            raise NotFoundError("No team.")
        team_id = sorted(allowed)[0]
    if team_id not in allowed:
        raise NotFoundError("No such team.")
    team = CareTeam.objects.get(pk=team_id)
    return TrendScope(organisation_id=team.organisation_id, team=team, label=team.name)


def trend_charts(*, scope: TrendScope, months: int = 12) -> list[Chart]:
    """Every figure's last `months` stored months, oldest first, one query."""
    rows = list(
        MeasureSnapshot.objects.filter(
            organisation_id=scope.organisation_id,
            team=scope.team,
            coordinator=scope.coordinator,
        )
        .order_by("-month", "code")
        .values_list("month", "code", "numerator", "denominator", "rate")
    )
    recent = sorted({row[0] for row in rows}, reverse=True)[:months]
    shown = set(recent)
    charts: dict[str, Chart] = {}
    for code, measure in MEASURE_CODES.items():
        charts[code] = Chart(
            code=code,
            title=measure.title,
            group=measure.group,
            unit=measure.unit,
            kind="line" if measure.unit == "%" else "bar",
        )
    for month, code, numerator, denominator, rate in sorted(rows):
        if month in shown and code in charts:
            charts[code].points.append(Point(month, numerator, denominator, rate))
    return [_scale(chart) for chart in charts.values()]
