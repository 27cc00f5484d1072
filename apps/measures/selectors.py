"""Whether coordination works: structure, process and outcome figures, computed set-wise.

Each figure is one aggregate query over the patients in view (an organisation,
a team or a coordinator's panel) for a period, whatever the number of patients:
a figure never loops over patients in Python. Each says what it counts (its
definition), and its click-through lists the patients behind it, restricted to
the user's own teams and audited as a list read.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    Aggregate,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.careplans.models import OPEN_PLAN_STATUSES, CarePlan, CarePlanVersion
from apps.core.audit import audit_record
from apps.core.exceptions import NotFoundError
from apps.core.models import AuditAction
from apps.measures import permissions
from apps.measures.continuity import Continuity, continuity_of, minimum_visits
from apps.measures.continuity_figures import (
    PooledContinuity,
    pooled_continuity,
    pooled_continuity_by_team,
    visit_histories,
)
from apps.patients.models import Encounter, EncounterKind, Patient
from apps.referrals.models import (
    OPEN_STATES,
    Referral,
    ReferralEvent,
    ReferralEventKind,
    ReferralState,
    overdue_condition,
)
from apps.teams.models import CareTeam, TeamMembership
from apps.transitions.models import (
    ContactKind,
    ContactOutcome,
    FollowUp,
    FollowUpContact,
    ReconciliationStatus,
)

# Average days in a calendar month (365.25 / 12): turns a period into patient-months.
DAYS_PER_MONTH = 30.4375
RECONCILIATION_DAYS = 30
READMISSION_DAYS = 30
PLAN_REVIEW_DAYS = 90
CLICK_THROUGH_LIMIT = 500
DEFAULT_DAYS = 90


@dataclass(frozen=True)
class Period:
    """Calendar days from `start` to `end`, both included, in the site's time zone."""

    start: date
    end: date

    @property
    def starts_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def ends_before(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def months(self) -> float:
        return ((self.end - self.start).days + 1) / DAYS_PER_MONTH


def default_period(today: date | None = None) -> Period:
    """The page's period unless one is chosen: the DEFAULT_DAYS up to yesterday (today's
    work is not done yet). The nightly job stores its figures (snapshots.py)."""
    end = (today or timezone.localdate()) - timedelta(days=1)
    return Period(start=end - timedelta(days=DEFAULT_DAYS - 1), end=end)


# DOMAIN 2 and 8: a patient has one care team and one lead coordinator, so a coordinator's
# figures are those of the patients they lead: each patient counts for exactly one
# coordinator, and the coordinators' figures add up to the organisation's.
COORDINATOR_DEFINITION = (
    "A coordinator's figures cover the patients whose lead coordinator they are: the "
    "active patients of the care teams they lead today (the teams' live lead). Owning a "
    "task for a patient does not make a patient theirs: each patient counts for exactly "
    "one coordinator."
)


@dataclass(frozen=True)
class Scope:
    """Whose figures: the patients of `team_ids`; with a coordinator named, `team_ids` are
    the teams in view that they lead (COORDINATOR_DEFINITION)."""

    label: str
    team_ids: tuple[int, ...]
    coordinator_id: int | None = None
    organisation_wide: bool = False
    # Every team the coordinator leads is in view (none hidden from the user): their
    # stored monthly figures are then the page's.
    whole_panel: bool = False


@dataclass(frozen=True)
class Figure:
    code: str
    group: str
    title: str
    definition: str
    numerator: int
    denominator: float
    rate: float | None
    unit: str


@dataclass(frozen=True)
class Measure:
    """A figure's rule: the rows it counts (each belonging to a patient) and which of them
    meet it. `rows` and `hit` see the patient through `patient_path`."""

    code: str
    group: str
    title: str
    definition: str
    patient_path: str
    rows: Callable[[Scope, Period, datetime], QuerySet]  # type: ignore[type-arg]
    hit: Callable[[Period, datetime], Q]
    per: int = 100
    unit: str = "%"
    # A rate of events per patient-month counts its events apart (each event belongs to a
    # patient at `events_path`), so the patients and the events are never joined row by row.
    events: Callable[[Scope, Period], QuerySet] | None = None  # type: ignore[type-arg]
    events_path: str = "patient_id"


def _patients_q(scope: Scope, path: str) -> Q:
    """The patients in view, seen from a model whose patient is at `path`."""
    prefix = "" if path == "id" else path.removesuffix("_id") + "__"
    return Q(**{f"{prefix}care_team_id__in": scope.team_ids, f"{prefix}is_active": True})


def _live(role_q: Q) -> Exists:
    return Exists(TeamMembership.objects.live().filter(role_q, team_id=OuterRef("pk")))


# --- structure ---------------------------------------------------------------------------


def _full_team_rows(scope: Scope, period: Period, now: datetime) -> QuerySet[Patient]:
    return Patient.objects.filter(_patients_q(scope, "id"))


def _full_team_hit(period: Period, now: datetime) -> Q:
    # Whether a team is full is asked once per team (an uncorrelated subquery), not once per
    # patient: the same rule, a fraction of the work on a large panel.
    full_teams = CareTeam.objects.filter(
        Exists(TeamMembership.objects.leads().filter(team_id=OuterRef("pk"))),
        _live(Q(role=Role.RN_CARE_COORDINATOR)),
        _live(Q(role=Role.PCP)),
        _live(Q(role__in=[Role.SOCIAL_WORKER, Role.CHW])),
    ).values("pk")
    return Q(care_team_id__in=full_teams)


# --- process -----------------------------------------------------------------------------


def _discharges_home(scope: Scope, period: Period) -> QuerySet[FollowUp]:
    """Discharges home (each starts a follow-up) in the period, the discharge not cancelled."""
    return FollowUp.objects.filter(
        _patients_q(scope, "episode__patient_id"),
        discharged_at__gte=period.starts_at,
        discharged_at__lt=period.ends_before,
        handoff__cancelled_at__isnull=True,
    )


def _contact_rows(scope: Scope, period: Period, now: datetime) -> QuerySet[FollowUp]:
    # A discharge counts once its 2 business days are over; readmitted before then, it
    # had no chance of a contact at home.
    return (
        _discharges_home(scope, period)
        .filter(contact_due_at__lte=now)
        .exclude(episode__readmitted_at__lt=F("contact_due_at"))
    )


def _contact_hit(period: Period, now: datetime) -> Q:
    return Q(
        Exists(
            FollowUpContact.objects.filter(
                follow_up_id=OuterRef("pk"),
                kind=ContactKind.CONTACT,
                outcome=ContactOutcome.REACHED,
                contact_at__lte=OuterRef("contact_due_at"),
            )
        )
    )


def _reconciliation_rows(scope: Scope, period: Period, now: datetime) -> QuerySet[FollowUp]:
    # Counted once the 30 days are over, or earlier when already verified in time.
    return _discharges_home(scope, period).filter(
        Q(discharged_at__lte=now - timedelta(days=RECONCILIATION_DAYS))
        | _reconciliation_hit(period, now)
    )


def _reconciliation_hit(period: Period, now: datetime) -> Q:
    return Q(
        handoff__reconciliation__status=ReconciliationStatus.VERIFIED,
        handoff__reconciliation__verified_at__lte=F("discharged_at")
        + timedelta(days=RECONCILIATION_DAYS),
    )


def _referral_rows(scope: Scope, period: Period, now: datetime) -> QuerySet[Referral]:
    ever_late = Exists(
        ReferralEvent.objects.filter(
            referral_id=OuterRef("pk"),
            kind__in=[ReferralEventKind.REMINDED, ReferralEventKind.ESCALATED],
        )
    )
    # Loops whose outcome is known: ended, or past a time limit (now or before).
    return (
        Referral.objects.filter(
            _patients_q(scope, "patient_id"),
            sent_at__gte=period.starts_at,
            sent_at__lt=period.ends_before,
        )
        .exclude(state=ReferralState.CANCELLED)
        .filter(~Q(state__in=OPEN_STATES) | overdue_condition(now) | Q(ever_late))
        .alias(ever_late=ever_late)
    )


def _referral_hit(period: Period, now: datetime) -> Q:
    return Q(state=ReferralState.CLOSED, ever_late=False)


def _plan_rows(scope: Scope, period: Period, now: datetime) -> QuerySet[CarePlan]:
    return CarePlan.objects.filter(
        _patients_q(scope, "patient_id"),
        status__in=OPEN_PLAN_STATUSES,
        created_at__lt=period.ends_before,
    )


def _plan_hit(period: Period, now: datetime) -> Q:
    return Q(
        Exists(
            CarePlanVersion.objects.filter(
                plan_id=OuterRef("pk"),
                signed_at__gte=period.ends_before - timedelta(days=PLAN_REVIEW_DAYS),
                signed_at__lt=period.ends_before,
            )
        )
    )


# --- outcome -----------------------------------------------------------------------------


def _readmission_rows(scope: Scope, period: Period, now: datetime) -> QuerySet[FollowUp]:
    return _discharges_home(scope, period).filter(
        Q(discharged_at__lte=now - timedelta(days=READMISSION_DAYS)) | _readmission_hit(period, now)
    )


def _readmission_hit(period: Period, now: datetime) -> Q:
    return Q(
        episode__readmitted_at__isnull=False,
        episode__readmitted_at__lte=F("discharged_at") + timedelta(days=READMISSION_DAYS),
    )


def _emergency_rows(scope: Scope, period: Period, now: datetime) -> QuerySet[Patient]:
    return Patient.objects.filter(_patients_q(scope, "id"))


def _emergency_hit(period: Period, now: datetime) -> Q:
    return Q(
        encounters__kind=EncounterKind.ED,
        encounters__admit_date__gte=period.start,
        encounters__admit_date__lte=period.end,
    )


def _emergency_events(scope: Scope, period: Period) -> QuerySet[Encounter]:
    # The (kind, admit_date) index covering patient_id answers this from the index alone.
    return Encounter.objects.filter(
        _patients_q(scope, "patient_id"),
        kind=EncounterKind.ED,
        admit_date__gte=period.start,
        admit_date__lte=period.end,
    )


MEASURES: tuple[Measure, ...] = (
    Measure(
        code="full-team",
        group="Structure",
        title="Patients with a named lead coordinator and a full team",
        definition=(
            "Denominator: active patients in view. Numerator: those whose care team has, "
            "today, a live lead coordinator and a full team: at least one live RN care "
            "coordinator, one live PCP and one live social worker or community health "
            "worker (a live member has an open membership and an active personal account)."
        ),
        patient_path="id",
        rows=_full_team_rows,
        hit=_full_team_hit,
    ),
    Measure(
        code="contact-2-business-days",
        group="Process",
        title="Interactive contact within 2 business days of discharge",
        definition=(
            "Denominator: discharges home in the period (not cancelled) whose 2 business "
            "days (holidays and closures skipped) are over, leaving out those readmitted "
            "before then. Numerator: those with a documented interactive contact that "
            "reached the patient or caregiver by the end of the second business day. "
            "Undocumented contacts do not count."
        ),
        patient_path="episode__patient_id",
        rows=_contact_rows,
        hit=_contact_hit,
    ),
    Measure(
        code="reconciliation-30-days",
        group="Process",
        title="Medication reconciliation verified within 30 days of discharge",
        definition=(
            "Denominator: discharges home in the period (not cancelled) whose 30 days are "
            "over or whose reconciliation is already verified. Numerator: those whose "
            "medication reconciliation a pharmacist verified within 30 days of discharge."
        ),
        patient_path="episode__patient_id",
        rows=_reconciliation_rows,
        hit=_reconciliation_hit,
    ),
    Measure(
        code="referrals-closed-in-limit",
        group="Process",
        title="Referrals closed within their time limits",
        definition=(
            "Denominator: referrals sent in the period, not cancelled, whose loop has "
            "ended (closed, declined, unable to contact) or has passed a state's time "
            "limit. Numerator: those closed with a documented result without ever passing "
            "a state's time limit (no reminder or escalation was due)."
        ),
        patient_path="patient_id",
        rows=_referral_rows,
        hit=_referral_hit,
    ),
    Measure(
        code="plans-reviewed-90-days",
        group="Process",
        title="Care plans reviewed (signed) within 90 days",
        definition=(
            "Denominator: care plans in use (not retired) created by the end of the "
            "period. Numerator: those with a version signed by a PCP in the 90 days up "
            "to the end of the period."
        ),
        patient_path="patient_id",
        rows=_plan_rows,
        hit=_plan_hit,
    ),
    Measure(
        code="readmissions-30-days",
        group="Outcome",
        title="30-day all-cause readmissions after a discharge home",
        definition=(
            "Denominator: discharges home in the period (not cancelled) whose 30 days are "
            "over or that were readmitted. Numerator: those followed by an admission for "
            "any cause within 30 days. Lower is better."
        ),
        patient_path="episode__patient_id",
        rows=_readmission_rows,
        hit=_readmission_hit,
    ),
    Measure(
        code="ed-visits-per-1000-patient-months",
        group="Outcome",
        title="Emergency department visits per 1,000 patient-months",
        definition=(
            "Numerator: emergency department encounters of active patients in view with a "
            "date in the period. Denominator: patient-months, each active patient in view "
            "counting the whole period (days / 30.4375). Rate per 1,000 patient-months. "
            "Lower is better."
        ),
        patient_path="id",
        rows=_emergency_rows,
        hit=_emergency_hit,
        events=_emergency_events,
        per=1000,
        unit="per 1,000 patient-months",
    ),
)


@dataclass(frozen=True)
class ContinuityMeasure:
    """A pooled continuity index (continuity_figures.py): its counts come from one statement
    shared by the three, and its click-through shows each patient's own index."""

    code: str
    group: str
    title: str
    definition: str
    counts: Callable[[PooledContinuity], tuple[int, int]]
    per: int = 100
    unit: str = "%"


_CONTINUITY_BASE = (
    "Outpatient visits in the period with a named attending provider, of active patients "
    "in view with at least the minimum number of such visits (fewer, and a patient's "
    "index is not shown)."
)
CONTINUITY_MEASURES: tuple[ContinuityMeasure, ...] = (
    ContinuityMeasure(
        code="continuity-upc",
        group="Continuity",
        title="Usual Provider of Care (UPC), pooled",
        definition=(
            f"{_CONTINUITY_BASE} Numerator: visits made to each patient's most-seen "
            "provider. Denominator: all those visits. One patient's UPC is n_max / N."
        ),
        counts=lambda pooled: (pooled.usual_provider_visits, pooled.visits),
    ),
    ContinuityMeasure(
        code="continuity-coc",
        group="Continuity",
        title="Bice-Boxerman Continuity of Care (COC), pooled",
        definition=(
            f"{_CONTINUITY_BASE} Numerator: pairs of a patient's visits made to the same "
            "provider. Denominator: all pairs of a patient's visits. One patient's COC is "
            "(sum n_j^2 - N) / (N (N - 1)), this share for their visits alone."
        ),
        counts=lambda pooled: (pooled.same_provider_pairs, pooled.visit_pairs),
    ),
    ContinuityMeasure(
        code="continuity-secon",
        group="Continuity",
        title="Sequential continuity (SECON), pooled",
        definition=(
            f"{_CONTINUITY_BASE} Numerator: visits with the same provider as the "
            "patient's visit before. Denominator: all consecutive pairs of a patient's visits."
        ),
        counts=lambda pooled: (pooled.consecutive_repeats, pooled.consecutive_pairs),
    ),
)
MEASURE_CODES: dict[str, Measure | ContinuityMeasure] = {
    **{measure.code: measure for measure in MEASURES},
    **{measure.code: measure for measure in CONTINUITY_MEASURES},
}


# --- scope and access --------------------------------------------------------------------


def measure_scope_for_user(
    *, user: User, team_id: int | None = None, coordinator_id: int | None = None
) -> Scope:
    """Whose figures `user` asked for, within what they may see.

    No team: the organisation for its admin, else all the user's teams. A team or a
    coordinator the user may not see answers "not found", like a missing one.
    """
    allowed = permissions.measure_team_ids_for(user)
    organisation_wide = permissions.can_view_organisation_measures(user)
    if team_id is not None:
        if team_id not in allowed:
            raise NotFoundError("No such team.")
        team_ids: tuple[int, ...] = (team_id,)
        label = CareTeam.objects.get(pk=team_id).name
        organisation_wide = False
    else:
        team_ids = tuple(allowed)
        label = "Your organisation" if organisation_wide else "Your teams"
    if coordinator_id is None:
        return Scope(label=label, team_ids=team_ids, organisation_wide=organisation_wide)
    coordinator = (
        permissions.measure_coordinators_for(user, team_ids).filter(pk=coordinator_id).first()
    )
    if coordinator is None:
        raise NotFoundError("No such coordinator on these teams.")
    led = set(
        TeamMembership.objects.leads()
        .filter(user_id=coordinator_id)
        .values_list("team_id", flat=True)
    )
    return Scope(
        label=f"{label}: patients led by {coordinator.display_name}",
        team_ids=tuple(team_id for team_id in team_ids if team_id in led),
        coordinator_id=coordinator.pk,
        whole_panel=led.issubset(team_ids),
    )


# --- figures -----------------------------------------------------------------------------


def figure_from_counts(
    measure: "Measure | ContinuityMeasure", numerator: int, denominator: float
) -> Figure:
    """A figure from its counts: the one place its rate is worked out and rounded."""
    rate = numerator / denominator * measure.per if denominator else None
    return Figure(
        code=measure.code,
        group=measure.group,
        title=measure.title,
        definition=measure.definition,
        numerator=numerator,
        denominator=denominator if measure.per == 100 else round(denominator, 1),
        rate=None if rate is None else round(rate, 1),
        unit=measure.unit,
    )


def _count_expressions(measure: Measure, period: Period, now: datetime) -> dict[str, Aggregate]:
    return {
        "denominator": Count("pk"),
        "numerator": Count("pk", filter=measure.hit(period, now)),
    }


def _events_counted(events: QuerySet) -> Aggregate:  # type: ignore[type-arg]
    """The number of `events`, as an aggregate over a measure's rows: an uncorrelated
    subquery the database runs once, so the figure stays one statement."""
    counted = events.order_by().annotate(counted=Func(F("pk"), function="COUNT"))
    return Max(Subquery(counted.values("counted"), output_field=IntegerField()))


def _denominator(measure: Measure, period: Period, counted: float) -> float:
    return counted if measure.per == 100 else counted * period.months


def _figure(measure: Measure, scope: Scope, period: Period, now: datetime) -> Figure:
    expressions = _count_expressions(measure, period, now)
    if measure.events is not None:
        expressions["numerator"] = _events_counted(measure.events(scope, period))
    counts = measure.rows(scope, period, now).aggregate(**expressions)
    return figure_from_counts(
        measure, counts["numerator"] or 0, _denominator(measure, period, counts["denominator"])
    )


def _team_path(patient_path: str) -> str:
    if patient_path == "id":
        return "care_team_id"
    return patient_path.removesuffix("_id") + "__care_team_id"


def _counts_by_team(
    measure: Measure, scope: Scope, period: Period, now: datetime
) -> dict[int, tuple[int, int]]:
    """Team id -> (numerator, counted denominator rows): one grouped query, two for a rate
    of events (its events grouped apart)."""
    expressions: dict[str, Aggregate] = (
        {"denominator": Count("pk")}  # its numerator: the events, grouped below
        if measure.events is not None
        else _count_expressions(measure, period, now)
    )
    grouped = {
        row["team"]: (row.get("numerator", 0), row["denominator"])
        for row in measure.rows(scope, period, now)
        .values(team=F(_team_path(measure.patient_path)))
        .annotate(**expressions)
        .order_by()
    }
    if measure.events is None:
        return grouped
    events = dict(
        measure.events(scope, period)
        .order_by()
        .values(team=F(_team_path(measure.events_path)))
        .annotate(counted=Count("pk"))
        .values_list("team", "counted")
    )
    return {team: (events.get(team, 0), counted) for team, (_n, counted) in grouped.items()}


def measure_figures_by_group(
    *, team_ids: tuple[int, ...], groups: dict[Any, tuple[int, ...]], period: Period, now: datetime
) -> dict[Any, list[Figure]]:
    """Every figure for each group of teams (the organisation, each team, each coordinator's
    led teams), one grouped query per figure whatever the number of teams or groups (the
    nightly snapshots). A group's counts are its teams' counts added up: every row belongs
    to one patient, and a patient to one team."""
    if not team_ids:
        return {key: [_empty_figure(m) for m in MEASURE_CODES.values()] for key in groups}
    scope = Scope(label="", team_ids=team_ids)
    figures: dict[Any, list[Figure]] = {key: [] for key in groups}
    for measure in MEASURES:
        grouped = _counts_by_team(measure, scope, period, now)
        for key, members in groups.items():
            numerator = sum(grouped.get(team_id, (0, 0))[0] for team_id in members)
            counted = sum(grouped.get(team_id, (0, 0))[1] for team_id in members)
            figures[key].append(
                figure_from_counts(measure, numerator, _denominator(measure, period, counted))
            )
    pooled = pooled_continuity_by_team(
        patients=Patient.objects.filter(_patients_q(scope, "id")),
        start=period.start,
        end=period.end,
        min_visits=minimum_visits(),
    )
    empty = PooledContinuity(0, 0, 0, 0, 0, 0, 0)
    for index in CONTINUITY_MEASURES:
        for key, members in groups.items():
            counts = [index.counts(pooled.get(team_id, empty)) for team_id in members]
            figures[key].append(
                figure_from_counts(index, sum(n for n, _d in counts), sum(d for _n, d in counts))
            )
    return figures


def _empty_figure(measure: Measure | ContinuityMeasure) -> Figure:
    """A figure of nobody (a user on no team): zero over zero, no rate, no query."""
    return Figure(
        code=measure.code,
        group=measure.group,
        title=measure.title,
        definition=measure.definition,
        numerator=0,
        denominator=0,
        rate=None,
        unit=measure.unit,
    )


def measure_figures(*, scope: Scope, period: Period, now: datetime | None = None) -> list[Figure]:
    """Every figure for the scope and period: one query each, whatever the population."""
    now = now or timezone.now()
    if not scope.team_ids:
        return [_empty_figure(measure) for measure in MEASURE_CODES.values()]
    figures = [_figure(measure, scope, period, now) for measure in MEASURES]
    pooled = pooled_continuity(
        patients=Patient.objects.filter(_patients_q(scope, "id")),
        start=period.start,
        end=period.end,
        min_visits=minimum_visits(),
    )
    for measure in CONTINUITY_MEASURES:
        numerator, denominator = measure.counts(pooled)
        figures.append(figure_from_counts(measure, numerator, denominator))
    return figures


@dataclass(frozen=True)
class MeasurePatient:
    patient: Patient
    in_numerator: bool
    # The patient's own indices, on a continuity figure's click-through.
    continuity: Continuity | None = None


def measure_patients_for_user(
    *,
    user: User,
    code: str,
    scope: Scope,
    period: Period,
    now: datetime | None = None,
    export: bool = False,
) -> list[MeasurePatient]:
    """The patients behind a figure (denominator, marking those in the numerator).

    Only patients on the user's own teams are listed, whatever the scope (an
    organisation admin sees organisation-wide numbers, not other teams' patients);
    the list is audited with the patients it returned.
    """
    measure = MEASURE_CODES.get(code)
    if measure is None:
        raise NotFoundError("No such measure.")
    now = now or timezone.now()
    own_teams = set(permissions.measure_team_ids(user))
    visible = Scope(
        label=scope.label,
        team_ids=tuple(team_id for team_id in scope.team_ids if team_id in own_teams),
        coordinator_id=scope.coordinator_id,
    )
    hits: dict[int, bool] = {}
    histories: dict[int, list[str]] = {}
    if visible.team_ids:
        if isinstance(measure, ContinuityMeasure):
            histories = _continuity_histories(visible, period)
            hits = dict.fromkeys(histories, True)
        else:
            hits = _figure_hits(measure, visible, period, now)
    patients = list(
        Patient.objects.filter(pk__in=list(hits)[:CLICK_THROUGH_LIMIT])
        .select_related("care_team")
        .order_by("family_name", "given_name", "pk")
    )
    audit_record(
        actor=user,
        action=AuditAction.EXPORT if export else AuditAction.LIST,
        object_type=Patient,
        patient_ids=[patient.pk for patient in patients],
        detail={"measure": measure.code, "start": str(period.start), "end": str(period.end)},
    )
    return [
        MeasurePatient(
            patient=patient,
            in_numerator=hits[patient.pk],
            continuity=continuity_of(histories[patient.pk]) if histories else None,
        )
        for patient in patients
    ]


def _figure_hits(measure: Measure, scope: Scope, period: Period, now: datetime) -> dict[int, bool]:
    """Patient id -> whether any of their rows meets the figure, for its denominator rows."""
    hits: dict[int, bool] = {}
    rows = (
        measure.rows(scope, period, now)
        .annotate(counted=ExpressionWrapper(measure.hit(period, now), output_field=BooleanField()))
        .values_list(measure.patient_path, "counted")
        .order_by()
        .distinct()
    )
    for patient_id, counted in rows:
        hits[patient_id] = hits.get(patient_id, False) or bool(counted)
    return hits


def _continuity_histories(scope: Scope, period: Period) -> dict[int, list[str]]:
    """The visit histories of the patients in view with enough visits to show an index."""
    histories = visit_histories(
        patients=Patient.objects.filter(_patients_q(scope, "id")),
        start=period.start,
        end=period.end,
    )
    floor = minimum_visits()
    return {
        patient_id: providers
        for patient_id, providers in histories.items()
        if len(providers) >= floor
    }
