"""Monthly measure snapshots: stored by the nightly job so trends are fast and a month's
history does not shift once it has settled.

Each night, for each organisation, the figures of the measures page are stored per
calendar month for the whole organisation and for each of its teams. A month is
recomputed while it is under way and for SETTLE_DAYS after it ends (late
documentation of a contact or a visit still counts); after that its rows are
kept as they are and only a missing month (a new team, the first run) is filled
in, back to HISTORY_MONTHS. Each month's figures are the set-wise queries of
the page (selectors.measure_figures): a fixed number per team and month,
whatever the number of patients.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Organisation
from apps.core.items import ItemsResult, run_isolated
from apps.measures.models import MeasureSnapshot
from apps.measures.months import month_after, month_before, month_of
from apps.measures.selectors import Period, Scope, measure_figures
from apps.teams.models import CareTeam

SNAPSHOT_JOB = "measures.snapshots"
HISTORY_MONTHS = 12
SETTLE_DAYS = 7


@dataclass(frozen=True)
class SnapshotResult:
    organisation_id: int
    months: int
    rows: int


def months_to_snapshot(
    *,
    organisation: Organisation,
    existing: set[tuple[int | None, date]],
    team_ids: list[int | None],
    now: datetime,
) -> list[tuple[int | None, date]]:
    """(team or None, month) pairs to (re)compute: the unsettled months, and missing ones."""
    current = month_of(organisation, now)
    today = now.astimezone(organisation.zone).date()
    months = [current]
    for _ in range(HISTORY_MONTHS - 1):
        months.append(month_before(months[-1]))
    wanted = []
    for month in months:
        settled = today >= month_after(month) + timedelta(days=SETTLE_DAYS)
        for team_id in team_ids:
            if not settled or (team_id, month) not in existing:
                wanted.append((team_id, month))
    return wanted


def _period(organisation: Organisation, month: date, now: datetime) -> Period:
    """The calendar month, cut at yesterday while it is under way (today is not done)."""
    yesterday = now.astimezone(organisation.zone).date() - timedelta(days=1)
    end = min(month_after(month) - timedelta(days=1), yesterday)
    return Period(start=month, end=max(end, month))


def snapshot_organisation(*, organisation_id: int, now: datetime | None = None) -> SnapshotResult:
    """Stores the organisation's monthly snapshots (whole organisation and each team)."""
    now = now or timezone.now()
    organisation = Organisation.objects.get(pk=organisation_id)
    teams = list(
        CareTeam.objects.filter(organisation=organisation).order_by("pk").values_list("pk", "name")
    )
    team_ids: list[int | None] = [None, *(pk for pk, _name in teams)]
    existing: set[tuple[int | None, date]] = set(
        MeasureSnapshot.objects.filter(organisation=organisation)
        .values_list("team_id", "month")
        .distinct()
    )
    wanted = months_to_snapshot(
        organisation=organisation, existing=existing, team_ids=team_ids, now=now
    )
    all_teams = tuple(pk for pk, _name in teams)
    names = dict(teams)
    rows: list[MeasureSnapshot] = []
    for team_id, month in wanted:
        scope = (
            Scope(label=organisation.name, team_ids=all_teams, organisation_wide=True)
            if team_id is None
            else Scope(label=names[team_id], team_ids=(team_id,))
        )
        for figure in measure_figures(
            scope=scope, period=_period(organisation, month, now), now=now
        ):
            rows.append(
                MeasureSnapshot(
                    organisation=organisation,
                    team_id=team_id,
                    month=month,
                    code=figure.code,
                    numerator=figure.numerator,
                    denominator=figure.denominator,
                    rate=figure.rate,
                    computed_at=now,
                )
            )
    with transaction.atomic():
        for team_id, month in wanted:
            MeasureSnapshot.objects.filter(
                organisation=organisation, team_id=team_id, month=month
            ).delete()
        MeasureSnapshot.objects.bulk_create(rows)
    return SnapshotResult(organisation_id=organisation.pk, months=len(wanted), rows=len(rows))


def snapshot_all(*, now: datetime | None = None) -> ItemsResult:
    """Every organisation, each in its own transaction: one failing does not stop the rest."""
    moment = now or timezone.now()
    ids = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    return run_isolated(
        ids,
        lambda organisation_id: snapshot_organisation(organisation_id=organisation_id, now=moment),
        job=SNAPSHOT_JOB,
    )
