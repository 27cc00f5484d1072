"""Plans due for a PCP's review: unsigned too long, past the review cadence, or flagged."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.db.models.functions import Least
from django.utils import timezone

from apps.accounts.models import User
from apps.careplans.models import (
    OPEN_PLAN_STATUSES,
    CarePlan,
    CarePlanSettings,
    CarePlanStatus,
)
from apps.careplans.selectors.plans import DEFAULT_SETTINGS
from apps.core.audit import audit_record
from apps.core.models import AuditAction
from apps.teams import permissions as team_permissions


@dataclass(frozen=True)
class DuePlan:
    """The plan fields the worklist needs (plain values: a long list builds no models)."""

    pk: int
    status: str
    unsigned_since: datetime | None
    last_signed_at: datetime | None
    review_requested_at: datetime | None
    review_request_reason: str

    def get_status_display(self) -> str:
        return str(CarePlanStatus(self.status).label)


@dataclass(frozen=True)
class DuePatient:
    pk: int
    family_name: str
    given_name: str
    organisation_id: int
    care_team_id: int
    care_team_name: str


@dataclass
class DueReview:
    """One plan on the review worklist, with every reason it is there."""

    plan: DuePlan
    patient: DuePatient
    reasons: list[str]
    waiting_since: datetime | None


def _settings_by_organisation(organisation_ids: set[int]) -> dict[int, CarePlanSettings]:
    found = {
        row.organisation_id: row
        for row in CarePlanSettings.objects.filter(organisation_id__in=organisation_ids)
    }
    return {org_id: found.get(org_id, DEFAULT_SETTINGS) for org_id in organisation_ids}


DUE_VALUES = (
    "pk",
    "status",
    "unsigned_since",
    "last_signed_at",
    "review_requested_at",
    "review_request_reason",
    "patient_id",
    "patient__family_name",
    "patient__given_name",
    "patient__organisation_id",
    "patient__care_team_id",
    "patient__care_team__name",
)


def _due_condition(plan_settings: CarePlanSettings, now: datetime) -> Q:
    unsigned_cutoff = now - timedelta(days=plan_settings.unsigned_days)
    review_cutoff = now - timedelta(days=plan_settings.review_interval_days)
    return (
        Q(unsigned_since__lte=unsigned_cutoff)
        | Q(last_signed_at__lte=review_cutoff)
        | Q(review_requested_at__isnull=False)
    )


def care_plans_due_for_review(
    *, user: User, team_id: int | None = None, limit: int = 500
) -> list[DueReview]:
    """Open plans of the user's patients that need a PCP: unsigned changes older than the
    organisation's limit, no signature within the review interval, or a review requested
    after a transition of care. Oldest wait first. Two queries beside the request's cached
    rights; audited as one list read.
    """
    now = timezone.now()
    if not (user.is_authenticated and user.is_active):
        return []
    teams = Q(patient__care_team_id__in=team_permissions.team_ids_with_permission(user))
    if team_id is not None:
        teams &= Q(patient__care_team_id=team_id)
    visible = CarePlan.objects.filter(teams, status__in=OPEN_PLAN_STATUSES)
    if user.organisation_id is not None:
        # Members only ever join their own organisation's teams.
        settings_by_org = _settings_by_organisation({user.organisation_id})
        condition = _due_condition(settings_by_org[user.organisation_id], now)
    else:
        organisation_ids = set(
            visible.order_by().values_list("patient__organisation_id", flat=True).distinct()
        )
        settings_by_org = _settings_by_organisation(organisation_ids)
        condition = Q(pk__in=[])
        for organisation_id, plan_settings in settings_by_org.items():
            condition |= Q(patient__organisation_id=organisation_id) & _due_condition(
                plan_settings, now
            )
    values = (
        visible.filter(condition)
        # Oldest first, so a limit keeps the longest waits (NULLs are ignored by LEAST).
        .order_by(Least("review_requested_at", "unsigned_since", "last_signed_at"), "id")
        .values_list(*DUE_VALUES)[:limit]
    )
    rows = []
    for row in values:
        plan = DuePlan(*row[:6])
        patient = DuePatient(*row[6:])
        plan_settings = settings_by_org.get(patient.organisation_id, DEFAULT_SETTINGS)
        reasons: list[str] = []
        waits: list[datetime] = []
        if plan.review_requested_at is not None:
            reasons.append(f"Review requested: {plan.review_request_reason}")
            waits.append(plan.review_requested_at)
        if plan.unsigned_since is not None and plan.unsigned_since <= now - timedelta(
            days=plan_settings.unsigned_days
        ):
            days = (now - plan.unsigned_since).days
            reasons.append(
                f"Changes unsigned for {days} days"
                if plan.last_signed_at
                else f"Never signed, started {days} days ago"
            )
            waits.append(plan.unsigned_since)
        if plan.last_signed_at is not None and plan.last_signed_at <= now - timedelta(
            days=plan_settings.review_interval_days
        ):
            reasons.append(f"Not reviewed for {(now - plan.last_signed_at).days} days")
            waits.append(plan.last_signed_at + timedelta(days=plan_settings.review_interval_days))
        rows.append(
            DueReview(
                plan=plan,
                patient=patient,
                reasons=reasons,
                waiting_since=min(waits) if waits else None,
            )
        )
    rows.sort(key=lambda row: (row.waiting_since or now, row.plan.pk))
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        object_type=CarePlan,
        patient_ids=[row.patient.pk for row in rows],
        detail={"view": "due_for_review"},
    )
    return rows
