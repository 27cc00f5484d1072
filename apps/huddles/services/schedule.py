"""Scheduling huddles: one-off meetings and weekly series, moved or cancelled one by one."""

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Actor, Organisation, User
from apps.core.audit import audit_event, audit_record_many
from apps.core.changes import record_change, record_create
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.huddles.models import Huddle, HuddleSeries, HuddleSettings, HuddleStatus, Weekday
from apps.huddles.permissions import require_can_schedule_huddles
from apps.teams.models import CareTeam

# How far ahead a series keeps its occurrences as rows (the daily sweep extends it).
SERIES_HORIZON_DAYS = 28
MIN_DURATION, MAX_DURATION = 5, 240


def huddle_settings_for(organisation: Organisation | int) -> HuddleSettings:
    """The organisation's huddle settings, created with the defaults on first use."""
    organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    found, _ = HuddleSettings.objects.get_or_create(organisation_id=organisation_id)
    return found


def _check_duration(duration_minutes: int, errors: dict[str, list[str]]) -> None:
    if not MIN_DURATION <= duration_minutes <= MAX_DURATION:
        errors["duration_minutes"] = [
            f"A huddle lasts between {MIN_DURATION} and {MAX_DURATION} minutes."
        ]


def _duration(team: CareTeam, asked: int | None, errors: dict[str, list[str]]) -> int:
    """The meeting's length: as asked, else the organisation's default; checked."""
    duration = asked or huddle_settings_for(team.organisation_id).default_duration_minutes
    _check_duration(duration, errors)
    return duration


def _raise(errors: dict[str, list[str]], message: str) -> None:
    if errors:
        raise ApplicationError(message, field_errors=errors)


def _locked(huddle: Huddle) -> Huddle:
    return Huddle.objects.select_for_update(of=("self",)).select_related("team").get(pk=huddle.pk)


@transaction.atomic
def huddle_schedule(
    *,
    actor: User,
    team: CareTeam,
    scheduled_start: datetime,
    duration_minutes: int | None = None,
    title: str = "",
) -> Huddle:
    """Schedules a one-off huddle for a team. Only its coordinators (or an admin) may."""
    require_can_schedule_huddles(actor, team)
    errors: dict[str, list[str]] = {}
    duration = _duration(team, duration_minutes, errors)
    if timezone.is_naive(scheduled_start):
        errors["scheduled_start"] = ["The start needs a time zone."]
    _raise(errors, "The huddle is not valid.")
    huddle = Huddle(
        team=team,
        title=title.strip()[:120] or f"{team.name} huddle",
        scheduled_start=scheduled_start,
        duration_minutes=duration,
        scheduled_by=actor,
    )
    return record_create(actor=actor, instance=huddle, detail={"team_id": team.pk}, clean=False)


@transaction.atomic
def huddle_update(
    *,
    actor: User,
    huddle: Huddle,
    scheduled_start: datetime | None = None,
    duration_minutes: int | None = None,
    title: str | None = None,
) -> Huddle:
    """Moves or renames a huddle that has not started yet."""
    huddle = _locked(huddle)
    require_can_schedule_huddles(actor, huddle.team)
    if huddle.status != HuddleStatus.SCHEDULED:
        raise ApplicationError("Only a huddle that has not started can be changed.")
    errors: dict[str, list[str]] = {}
    values: dict[str, object] = {}
    if scheduled_start is not None:
        if timezone.is_naive(scheduled_start):
            errors["scheduled_start"] = ["The start needs a time zone."]
        values["scheduled_start"] = scheduled_start
    if duration_minutes is not None:
        _check_duration(duration_minutes, errors)
        values["duration_minutes"] = duration_minutes
    if title is not None:
        if not title.strip():
            errors["title"] = ["Give the huddle a title."]
        values["title"] = title.strip()[:120]
    _raise(errors, "The huddle is not valid.")
    record_change(actor=actor, instance=huddle, values=values, clean=False)
    return huddle


@transaction.atomic
def huddle_cancel(*, actor: User, huddle: Huddle, reason: str) -> Huddle:
    """Calls off a huddle that has not started; its occurrence is not made again."""
    huddle = _locked(huddle)
    require_can_schedule_huddles(actor, huddle.team)
    if huddle.status == HuddleStatus.CANCELLED:
        return huddle
    if huddle.status != HuddleStatus.SCHEDULED:
        raise ApplicationError("Only a huddle that has not started can be cancelled.")
    if not reason.strip():
        raise ApplicationError(
            "Say why the huddle is cancelled.", field_errors={"reason": ["A reason is required."]}
        )
    values = {"status": HuddleStatus.CANCELLED, "cancelled_reason": reason.strip()}
    record_change(actor=actor, instance=huddle, values=values, clean=False)
    return huddle


def series_dates(series: HuddleSeries, *, start: date, end: date) -> list[date]:
    """The series' meeting dates from `start` to `end` inclusive."""
    first = series.starts_on + timedelta(days=(series.weekday - series.starts_on.weekday()) % 7)
    step = timedelta(weeks=series.interval_weeks)
    last = min(end, series.ends_on) if series.ends_on else end
    if first < start:
        skipped = (start - first).days // step.days
        first += step * skipped
        if first < start:
            first += step
    dates = []
    day = first
    while day <= last:
        dates.append(day)
        day += step
    return dates


def _local_start(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


@transaction.atomic
def huddle_series_extend(
    *,
    actor: Actor,
    series: HuddleSeries,
    today: date | None = None,
    horizon_days: int = SERIES_HORIZON_DAYS,
) -> list[Huddle]:
    """Makes the series' huddles for the coming weeks; running it twice adds nothing.

    Each huddle made is audited as made by `actor`: the person creating the series,
    or the daily job (a `JobActor`) keeping it scheduled ahead."""
    series = (
        HuddleSeries.objects.select_for_update(of=("self",))
        .select_related("team")
        .get(pk=series.pk)
    )
    if not series.is_active:
        return []
    start = today or timezone.localdate()
    wanted = series_dates(series, start=start, end=start + timedelta(days=horizon_days))
    existing = set(
        Huddle.objects.filter(series=series, occurrence_on__in=wanted).values_list(
            "occurrence_on", flat=True
        )
    )
    created = [
        Huddle(
            team_id=series.team_id,
            series=series,
            occurrence_on=day,
            title=series.title,
            scheduled_start=_local_start(day, series.start_time),
            duration_minutes=series.duration_minutes,
            scheduled_by=series.created_by,
        )
        for day in wanted
        if day not in existing
    ]
    Huddle.objects.bulk_create(created)
    audit_record_many(
        audit_event(
            actor=actor,
            action=AuditAction.CREATE,
            object_type=Huddle,
            object_id=huddle.pk,
            detail={"team_id": series.team_id, "series_id": series.pk},
        )
        for huddle in created
    )
    return created


@transaction.atomic
def huddle_series_create(
    *,
    actor: User,
    team: CareTeam,
    weekday: int,
    start_time: time,
    title: str = "",
    duration_minutes: int | None = None,
    interval_weeks: int = 1,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> HuddleSeries:
    """A recurring huddle, e.g. every Tuesday at 09:00; its next weeks are scheduled at once."""
    require_can_schedule_huddles(actor, team)
    first_day = starts_on or timezone.localdate()
    errors: dict[str, list[str]] = {}
    duration = _duration(team, duration_minutes, errors)
    if weekday not in Weekday.values:
        errors["weekday"] = ["Choose a day of the week."]
    if not 1 <= interval_weeks <= 4:
        errors["interval_weeks"] = ["Meet every 1 to 4 weeks."]
    if ends_on is not None and ends_on < first_day:
        errors["ends_on"] = ["The series cannot end before it starts."]
    _raise(errors, "The series is not valid.")
    series = HuddleSeries(
        team=team,
        title=title.strip()[:120] or f"{team.name} weekly huddle",
        weekday=weekday,
        start_time=start_time,
        duration_minutes=duration,
        interval_weeks=interval_weeks,
        starts_on=first_day,
        ends_on=ends_on,
        created_by=actor,
    )
    record_create(actor=actor, instance=series, detail={"team_id": team.pk}, clean=False)
    huddle_series_extend(actor=actor, series=series)
    return series


@transaction.atomic
def huddle_series_end(*, actor: User, series: HuddleSeries, last_day: date | None = None) -> int:
    """Stops a series; its huddles after `last_day` that have not started are cancelled."""
    series = (
        HuddleSeries.objects.select_for_update(of=("self",))
        .select_related("team")
        .get(pk=series.pk)
    )
    require_can_schedule_huddles(actor, series.team)
    end = last_day or timezone.localdate()
    cancelled = Huddle.objects.filter(
        series=series, status=HuddleStatus.SCHEDULED, occurrence_on__gt=end
    ).update(status=HuddleStatus.CANCELLED, cancelled_reason="The series ended.")
    record_change(
        actor=actor,
        instance=series,
        values={"ends_on": max(end, series.starts_on), "is_active": False},
        detail={"cancelled_huddles": cancelled},
        clean=False,
        always_audit=True,
    )
    return cancelled
