"""Monthly measure snapshots: stored by the nightly job so trends are fast and a month's
history does not shift once it has settled.

Each night, for each organisation, the figures of the measures page are stored per
calendar month for the whole organisation, for each of its teams and for each lead
coordinator (the teams they lead that night, added up: selectors.COORDINATOR_DEFINITION).
A month is recomputed while it is under way and for SETTLE_DAYS after it ends (late
documentation of a contact or a visit still counts); after that its rows are
kept as they are and only a missing month (a new team, the first run) is filled
in, back to HISTORY_MONTHS. Each month's figures are the set-wise queries of
the page (selectors.measure_figures): a fixed number per team and month,
whatever the number of patients.

The page's default period (selectors.default_period: the days up to yesterday) is
stored the same way each night, replacing the night before's, so the page a
programme lead opens first is read, not computed; its "compute now" and any
other period are computed live.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Subquery
from django.utils import timezone

from apps.accounts.models import Organisation
from apps.core.items import ItemsResult, run_isolated
from apps.measures.models import MeasureSnapshot, PeriodSnapshot, StoredFigure
from apps.measures.months import month_after, month_before, month_of
from apps.measures.selectors import (
    MEASURE_CODES,
    Figure,
    Period,
    Scope,
    default_period,
    figure_from_counts,
    measure_figures_by_group,
)
from apps.teams.models import CareTeam, TeamMembership

SNAPSHOT_JOB = "measures.snapshots"
Row = TypeVar("Row", bound=StoredFigure)
HISTORY_MONTHS = 12
SETTLE_DAYS = 7


@dataclass(frozen=True)
class SnapshotResult:
    organisation_id: int
    months: int
    rows: int


def months_to_snapshot(
    *, organisation: Organisation, existing: set[date], now: datetime
) -> list[date]:
    """The months to (re)compute: those not settled yet, and settled ones never stored
    (or stored without a team added since: `existing` holds only complete months)."""
    current = month_of(organisation, now)
    today = now.astimezone(organisation.zone).date()
    months = [current]
    for _ in range(HISTORY_MONTHS - 1):
        months.append(month_before(months[-1]))
    return [
        month
        for month in months
        if month not in existing or today < month_after(month) + timedelta(days=SETTLE_DAYS)
    ]


def _period(organisation: Organisation, month: date, now: datetime) -> Period:
    """The calendar month, cut at yesterday while it is under way (today is not done)."""
    yesterday = now.astimezone(organisation.zone).date() - timedelta(days=1)
    end = min(month_after(month) - timedelta(days=1), yesterday)
    return Period(start=month, end=max(end, month))


def _groups(team_ids: tuple[int, ...]) -> dict[tuple[str, int | None], tuple[int, ...]]:
    """The organisation, each team, and each lead coordinator with the teams they lead
    now (selectors.COORDINATOR_DEFINITION): whose rows a month stores."""
    led: dict[int, list[int]] = {}
    for team_id, user_id in (
        TeamMembership.objects.leads()
        .filter(team_id__in=team_ids)
        .order_by("team_id")
        .values_list("team_id", "user_id")
    ):
        led.setdefault(user_id, []).append(team_id)
    return {
        ("organisation", None): team_ids,
        **{("team", team_id): (team_id,) for team_id in team_ids},
        **{("coordinator", user_id): tuple(teams) for user_id, teams in led.items()},
    }


def snapshot_organisation(*, organisation_id: int, now: datetime | None = None) -> SnapshotResult:
    """Stores the organisation's monthly snapshots (whole organisation, each team, each lead
    coordinator): per month, one grouped query per figure whatever the number of teams,
    coordinators or patients."""
    now = now or timezone.now()
    organisation = Organisation.objects.get(pk=organisation_id)
    team_ids = tuple(
        CareTeam.objects.filter(organisation=organisation)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # A month is complete when every team (and the organisation) has its rows.
    stored = (
        MeasureSnapshot.objects.filter(organisation=organisation)
        .values("month")
        .annotate(
            teams=Count("team", distinct=True),
            whole=Count("pk", filter=Q(team=None, coordinator=None)),
        )
        .values_list("month", "teams", "whole")
        .order_by()
    )
    existing = {month for month, teams, whole in stored if teams >= len(team_ids) and whole}
    wanted = months_to_snapshot(organisation=organisation, existing=existing, now=now)
    groups = _groups(team_ids)
    stored_fields = {"organisation": organisation, "computed_at": now}
    rows: list[MeasureSnapshot] = []
    for month in wanted:
        figures = measure_figures_by_group(
            team_ids=team_ids, groups=groups, period=_period(organisation, month, now), now=now
        )
        rows.extend(_stored(MeasureSnapshot, figures, month=month, **stored_fields))
    period = default_period(timezone.localdate(now))
    figures = measure_figures_by_group(team_ids=team_ids, groups=groups, period=period, now=now)
    periods = list(
        _stored(PeriodSnapshot, figures, start=period.start, end=period.end, **stored_fields)
    )
    with transaction.atomic():
        MeasureSnapshot.objects.filter(organisation=organisation, month__in=wanted).delete()
        MeasureSnapshot.objects.bulk_create(rows, batch_size=2000)
        PeriodSnapshot.objects.filter(organisation=organisation).delete()
        PeriodSnapshot.objects.bulk_create(periods, batch_size=2000)
    return SnapshotResult(
        organisation_id=organisation.pk,
        months=len(wanted) * len(groups),
        rows=len(rows) + len(periods),
    )


def _stored(
    model: type[Row], figures: dict[tuple[str, int | None], list[Figure]], **fields: object
) -> Iterator[Row]:
    """Unsaved rows of `model` for each group's figures (organisation, team, coordinator)."""
    for (kind, key), group_figures in figures.items():
        for figure in group_figures:
            yield model(
                team_id=key if kind == "team" else None,
                coordinator_id=key if kind == "coordinator" else None,
                code=figure.code,
                numerator=figure.numerator,
                denominator=figure.denominator,
                rate=figure.rate,
                **fields,
            )


def snapshot_all(*, now: datetime | None = None) -> ItemsResult:
    """Every organisation, each in its own transaction: one failing does not stop the rest."""
    moment = now or timezone.now()
    ids = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    return run_isolated(
        ids,
        lambda organisation_id: snapshot_organisation(organisation_id=organisation_id, now=moment),
        job=SNAPSHOT_JOB,
    )


def stored_figures(
    *, scope: Scope, period: Period, today: date
) -> tuple[list[Figure], datetime] | None:
    """The page's figures from the stored snapshots, when the period is one calendar month
    that has ended or the default period stored last night, and every team in view has its
    rows (one query); else None and the page computes them live. A coordinator's figures
    are their own stored rows, when every team they lead is in view (else only some of
    their patients are, and it is live)."""
    if period.end >= today or not scope.team_ids:
        return None
    month = period.start
    rows: QuerySet[MeasureSnapshot] | QuerySet[PeriodSnapshot]
    if month.day == 1 and period.end == month_after(month) - timedelta(days=1):
        rows = MeasureSnapshot.objects.filter(month=month)
    else:
        rows = PeriodSnapshot.objects.filter(start=period.start, end=period.end)
    organisation = CareTeam.objects.filter(pk=scope.team_ids[0]).values("organisation_id")
    one_row = scope.organisation_wide or scope.coordinator_id is not None
    if scope.coordinator_id is not None:
        if not scope.whole_panel:
            return None
        rows = rows.filter(
            coordinator_id=scope.coordinator_id, organisation_id=Subquery(organisation[:1])
        )
    elif scope.organisation_wide:
        rows = rows.filter(
            team__isnull=True, coordinator__isnull=True, organisation_id=Subquery(organisation[:1])
        )
    else:
        rows = rows.filter(team_id__in=scope.team_ids)
    stored = list(rows.values_list("team_id", "code", "numerator", "denominator", "computed_at"))
    teams = {team_id for team_id, *_rest in stored}
    if len(teams) != (1 if one_row else len(scope.team_ids)):
        return None
    # Counts of different teams add up (a row belongs to one patient, a patient to one team).
    totals: dict[str, list[float]] = {}
    for _team, code, numerator, denominator, _at in stored:
        summed = totals.setdefault(code, [0.0, 0.0])
        summed[0] += numerator
        summed[1] += denominator
    if set(totals) != set(MEASURE_CODES):
        return None
    figures = [
        figure_from_counts(
            measure,
            int(totals[code][0]),
            int(totals[code][1]) if measure.per == 100 else totals[code][1],
        )
        for code, measure in MEASURE_CODES.items()
    ]
    return figures, min(at for *_rest, at in stored)
