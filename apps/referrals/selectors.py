"""Reading referrals and the directory. Access-checked and audited here, for every door."""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Length, Trim
from django.utils import timezone

from apps.accounts.models import User
from apps.careplans.models import OPEN_PLAN_STATUSES, Goal, GoalStatus
from apps.core.audit import audit_record
from apps.core.exceptions import NotFoundError
from apps.core.models import AuditAction
from apps.core.pages import PageNeighbours
from apps.patients.models import Patient
from apps.referrals import permissions
from apps.referrals.models import (
    OPEN_STATES,
    REASON_STATES,
    Referral,
    ReferralEvent,
    ReferralState,
    ResourceOrganisation,
    ResourceService,
    ServiceType,
    escalation_due_condition,
    overdue_condition,
)
from apps.teams.models import TeamMembership

# --- the directory ---------------------------------------------------------------------


def resource_service_search(
    *,
    user: User,
    query: str = "",
    service_type: str = "",
    language: str = "",
    area: str = "",
    include_inactive: bool = False,
) -> QuerySet[ResourceService]:
    """The user's organisation's services matching every word of `query` somewhere
    (name, organisation, type, area, languages, eligibility), plus the filters."""
    if not permissions.can_see_directory(user):
        return ResourceService.objects.none()
    services = ResourceService.objects.select_related("resource_organisation")
    if user.organisation_id is not None:
        services = services.filter(resource_organisation__organisation_id=user.organisation_id)
    if not include_inactive:
        services = services.filter(is_active=True, resource_organisation__is_active=True)
    for word in query.split():
        types = [value for value, label in ServiceType.choices if word.lower() in label.lower()]
        services = services.filter(
            Q(name__icontains=word)
            | Q(resource_organisation__name__icontains=word)
            | Q(area__icontains=word)
            | Q(languages__icontains=word)
            | Q(eligibility_notes__icontains=word)
            | Q(service_type__in=types)
        )
    if service_type:
        services = services.filter(service_type=service_type)
    if language.strip():
        services = services.filter(languages__icontains=language.strip())
    if area.strip():
        services = services.filter(area__icontains=area.strip())
    return services.order_by("name", "resource_organisation__name", "id")


def resource_service_get_for_user(*, user: User, service_id: int | str) -> ResourceService:
    try:
        pk = int(service_id)
    except (TypeError, ValueError) as error:
        raise NotFoundError("No such service.") from error
    service = (
        resource_service_search(user=user, include_inactive=True).filter(pk=pk).first()
        if user.is_authenticated
        else None
    )
    if service is None:
        raise NotFoundError("No such service.")
    return service


def resource_organisation_list_for_user(
    *, user: User, include_inactive: bool = True
) -> QuerySet[ResourceOrganisation]:
    if not permissions.can_see_directory(user):
        return ResourceOrganisation.objects.none()
    partners = ResourceOrganisation.objects.all()
    if user.organisation_id is not None:
        partners = partners.filter(organisation_id=user.organisation_id)
    if not include_inactive:
        partners = partners.filter(is_active=True)
    return partners.order_by("name", "id")


def resource_organisation_get_for_user(
    *, user: User, resource_organisation_id: int | str
) -> ResourceOrganisation:
    try:
        pk = int(resource_organisation_id)
    except (TypeError, ValueError) as error:
        raise NotFoundError("No such organisation.") from error
    partner = resource_organisation_list_for_user(user=user).filter(pk=pk).first()
    if partner is None:
        raise NotFoundError("No such organisation.")
    return partner


# --- one referral, one patient's referrals ----------------------------------------------


def _with_details(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    return referrals.select_related(
        "patient",
        "goal",
        "service__resource_organisation",
        "owner",
        "referred_by",
        "consent_recorded_by",
        "result_documented_by",
    )


def _timeline() -> Prefetch:
    return Prefetch("events", queryset=ReferralEvent.objects.select_related("actor"))


def referral_get_for_user(*, user: User, referral_id: int | str) -> Referral:
    """The referral with its timeline, if the user may see its patient; otherwise "not found"
    exactly like a missing one, and the attempt is audited as denied."""
    try:
        pk = int(referral_id)
    except (TypeError, ValueError) as error:
        raise NotFoundError("No such referral.") from error
    referral = (
        _with_details(Referral.objects.filter(pk=pk)).prefetch_related(_timeline()).first()
        if user.is_authenticated
        else None
    )
    if referral is not None and permissions.can_view_referrals_of(user, referral.patient):
        audit_record(
            actor=user,
            action=AuditAction.VIEW,
            object_type=Referral,
            object_id=pk,
            patient_id=referral.patient_id,
        )
        return referral
    audit_record(
        actor=user,
        action=AuditAction.DENIED,
        object_type=Referral,
        object_id=pk,
        patient_id=referral.patient_id if referral else None,
    )
    raise NotFoundError("No such referral.")


def referral_list_for_patient(*, user: User, patient: Patient) -> list[Referral]:
    """Every referral of a patient the caller has already loaded through
    `patient_get_for_user`, newest first, each with its timeline (two queries)."""
    if not permissions.can_view_referrals_of(user, patient):
        raise NotFoundError("No such patient.")
    referrals = list(
        _with_details(Referral.objects.filter(patient=patient))
        .prefetch_related(_timeline())
        .order_by("-created_at", "-id")
    )
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        object_type=Referral,
        patient_id=patient.pk,
        detail={"referral_ids": [referral.pk for referral in referrals]},
    )
    return referrals


# --- the board -------------------------------------------------------------------------

AGE_BUCKETS = ((7, "up to 7 days"), (30, "8 to 30 days"), (None, "over 30 days"))


@dataclass
class StateSummary:
    state: str
    label: str
    total: int = 0
    overdue: int = 0
    by_age: list[int] = field(default_factory=list)


@dataclass
class BoardPage(PageNeighbours):
    referrals: Sequence[Referral]
    summary: list[StateSummary]
    total: int
    number: int
    num_pages: int
    page_size: int
    now: datetime


def _overdue_level(now: datetime) -> Case:
    return Case(
        When(escalation_due_condition(now), then=Value(2)),
        When(overdue_condition(now), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )


def referral_board_for_user(
    *,
    user: User,
    state: str = "",
    mine: bool = False,
    overdue_only: bool = False,
    page: int = 1,
    page_size: int = 50,
) -> BoardPage:
    """Open loops on the user's teams, overdue first (escalation due, then reminder due),
    then longest in their state; with a per-state summary by age. Three queries
    (summary, count, page) whatever the number of referrals; audited."""
    now = timezone.now()
    page_size = max(1, min(page_size, 200))
    open_referrals = permissions.visible_referrals(user).open()
    buckets = {}
    lower = None
    for index, (days, _label) in enumerate(AGE_BUCKETS):
        condition = Q()
        if days is not None:
            condition &= Q(state_entered_at__gt=now - timedelta(days=days))
        if lower is not None:
            condition &= Q(state_entered_at__lte=now - timedelta(days=lower))
        buckets[f"age{index}"] = Count("id", filter=condition)
        lower = days
    counts = {
        row["state"]: row
        for row in open_referrals.values("state").annotate(
            total=Count("id"), overdue=Count("id", filter=overdue_condition(now)), **buckets
        )
    }
    summary = [
        StateSummary(
            state=value,
            label=ReferralState(value).label,
            total=counts.get(value, {}).get("total", 0),
            overdue=counts.get(value, {}).get("overdue", 0),
            by_age=[counts.get(value, {}).get(f"age{i}", 0) for i in range(len(AGE_BUCKETS))],
        )
        for value in OPEN_STATES
    ]
    listed = open_referrals
    if state in OPEN_STATES:
        listed = listed.filter(state=state)
    if mine:
        listed = listed.filter(owner=user)
    if overdue_only:
        listed = listed.overdue(now)
    total = listed.count()
    num_pages = max(1, -(-total // page_size))
    number = max(1, min(page, num_pages))
    referrals = list(
        _with_details(listed)
        .annotate(overdue_level=_overdue_level(now))
        .order_by("-overdue_level", "state_entered_at", "id")[
            (number - 1) * page_size : number * page_size
        ]
    )
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        object_type=Referral,
        patient_ids=sorted({referral.patient_id for referral in referrals}),
        detail={"page": number, "state": state, "mine": mine, "overdue_only": overdue_only},
    )
    return BoardPage(
        referrals=referrals,
        summary=summary,
        total=total,
        number=number,
        num_pages=num_pages,
        page_size=page_size,
        now=now,
    )


# --- loop-closure measures -------------------------------------------------------------


class Median(Aggregate):
    """PostgreSQL's continuous median of an expression (an interval here)."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False


@dataclass
class LoopMeasure:
    key: str
    label: str
    sent: int
    closed: int
    ended_otherwise: int
    still_open: int
    closed_without_result: int
    median_days_to_close: float | None

    @property
    def closure_rate(self) -> float | None:
        return self.closed / self.sent if self.sent else None

    @property
    def share_closed_without_result(self) -> float | None:
        return self.closed_without_result / self.closed if self.closed else None


@dataclass
class LoopMeasures:
    overall: LoopMeasure
    by_service_type: list[LoopMeasure]
    by_organisation: list[LoopMeasure]


def _days(value: Any) -> float | None:
    if value is None:
        return None
    return round(value.total_seconds() / 86400, 1)


def _measure_rows(referrals: QuerySet[Referral], group: str | None) -> list[dict[str, Any]]:
    closed = Q(state=ReferralState.CLOSED)
    time_to_close = ExpressionWrapper(F("ended_at") - F("sent_at"), output_field=DurationField())
    aggregates: dict[str, Any] = {
        "sent": Count("id"),
        "closed": Count("id", filter=closed),
        "ended_otherwise": Count("id", filter=Q(state__in=REASON_STATES)),
        "still_open": Count("id", filter=Q(state__in=OPEN_STATES)),
        "closed_without_result": Count(
            "id",
            filter=closed
            & (
                Q(summary_length=0)
                | Q(reporter_length=0)
                | Q(result_documented_by__isnull=True)
                | Q(result_documented_at__isnull=True)
            ),
        ),
    }
    if connection.vendor == "postgresql":
        aggregates["median_to_close"] = Median(
            time_to_close, filter=closed, output_field=DurationField()
        )
    annotated = referrals.annotate(
        summary_length=Length(Trim("result_summary")),
        reporter_length=Length(Trim("result_reported_by")),
    )
    if group is None:
        rows = [annotated.aggregate(**aggregates)]
    else:
        rows = list(annotated.values(group).annotate(**aggregates).order_by(group))
    if connection.vendor != "postgresql":
        # The embedded SQLite setup has no ordered-set aggregates: take the median here.
        durations: dict[Any, list[timedelta]] = {}
        finished = referrals.filter(closed).annotate(took=time_to_close)
        for key, took in finished.values_list(group or "state", "took"):
            durations.setdefault(key if group else None, []).append(took)
        for row in rows:
            values = durations.get(row[group] if group else None, [])
            row["median_to_close"] = (
                timedelta(seconds=statistics.median(v.total_seconds() for v in values))
                if values
                else None
            )
    return rows


def referral_measures_for_user(*, user: User) -> LoopMeasures:
    """Loop closure over the referrals sent for the user's teams' patients: the share
    closed with a result, the median days from sending to closing, and the share closed
    without a documented result (the database forbids any), overall, per service type
    and per partner organisation. Aggregates only: no patient is listed."""
    sent = permissions.visible_referrals(user).filter(sent_at__isnull=False)

    def measure(row: dict[str, Any], key: str, label: str) -> LoopMeasure:
        return LoopMeasure(
            key=key,
            label=label,
            sent=row["sent"] or 0,
            closed=row["closed"] or 0,
            ended_otherwise=row["ended_otherwise"] or 0,
            still_open=row["still_open"] or 0,
            closed_without_result=row["closed_without_result"] or 0,
            median_days_to_close=_days(row["median_to_close"]),
        )

    overall = measure(_measure_rows(sent, None)[0], "all", "All referrals")
    by_type = [
        measure(row, row["service__service_type"], ServiceType(row["service__service_type"]).label)
        for row in _measure_rows(sent, "service__service_type")
    ]
    names = dict(
        ResourceOrganisation.objects.filter(
            pk__in=sent.values("service__resource_organisation_id")
        ).values_list("pk", "name")
    )
    by_organisation = sorted(
        (
            measure(
                row,
                str(row["service__resource_organisation_id"]),
                names.get(row["service__resource_organisation_id"], "?"),
            )
            for row in _measure_rows(sent, "service__resource_organisation_id")
        ),
        key=lambda item: item.label,
    )
    return LoopMeasures(overall=overall, by_service_type=by_type, by_organisation=by_organisation)


def goals_for_patient(*, patient: Patient) -> QuerySet[Goal]:
    """Goals of the patient's current care plan that a referral may serve."""
    return (
        Goal.objects.filter(plan__patient=patient, plan__status__in=OPEN_PLAN_STATUSES)
        .exclude(status__in=[GoalStatus.CANCELLED, GoalStatus.ACHIEVED])
        .order_by("domain", "target_date", "id")
    )


def team_users_for_patient(*, patient: Patient) -> QuerySet[User]:
    """The live members of the patient's care team: who may own or make a referral."""
    return User.objects.filter(
        pk__in=TeamMembership.objects.live().filter(team_id=patient.care_team_id).values("user_id")
    ).order_by("last_name", "first_name", "id")
