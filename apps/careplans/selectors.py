"""Reading care plans: access follows the patient's team; every read is audited."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Least
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.careplans import permissions
from apps.careplans.models import (
    OPEN_PLAN_STATUSES,
    Barrier,
    CarePlan,
    CarePlanSettings,
    CarePlanStatus,
    CarePlanVersion,
    Goal,
    GoalDomain,
    GoalStatus,
    Intervention,
    Pathway,
)
from apps.careplans.snapshots import PlanDiff, plan_snapshot, snapshot_diff, snapshot_fingerprint
from apps.core.audit import audit_record
from apps.core.exceptions import NotFoundError
from apps.core.models import AuditAction
from apps.patients.models import Patient
from apps.patients.permissions import visible_patients
from apps.patients.selectors import patient_get_for_user
from apps.teams import permissions as team_permissions
from apps.teams.models import TeamMembership
from apps.teams.selectors import team_active_members

CARE_PLAN = "careplans.careplan"
DEFAULT_SETTINGS = CarePlanSettings()


def _audit_view(user: User, plan: CarePlan, what: str, action: str = AuditAction.VIEW) -> None:
    audit_record(
        actor=user,
        action=action,
        object_type=CARE_PLAN,
        object_id=plan.pk,
        patient_id=plan.patient_id,
        detail={"view": what},
    )


def care_plan_current_for_patient(*, patient: Patient) -> CarePlan | None:
    """The patient's open plan, if any. The caller has already checked access."""
    return (
        CarePlan.objects.filter(patient=patient, status__in=OPEN_PLAN_STATUSES)
        .select_related(
            "patient__care_team", "patient__organisation", "review_requested_by", "returned_by"
        )
        .first()
    )


def care_plan_get_for_user(*, user: User, plan_id: int | str, what: str = "plan") -> CarePlan:
    """A plan (open or retired) of a patient the user may see; anything else is "not found"."""
    try:
        pk = int(plan_id)
    except (TypeError, ValueError) as error:
        raise NotFoundError("No such care plan.") from error
    patient_id = CarePlan.objects.filter(pk=pk).values_list("patient_id", flat=True).first()
    if patient_id is None:
        raise NotFoundError("No such care plan.")
    patient = patient_get_for_user(user=user, patient_id=patient_id)
    plan = CarePlan.objects.get(pk=pk)
    plan.patient = patient
    _audit_view(user, plan, what)
    return plan


@dataclass
class GoalGroup:
    domain: str
    label: str
    goals: list[Goal]


@dataclass
class CarePlanDetail:
    """Everything the plan page shows, loaded in a fixed number of queries."""

    patient: Patient
    plan: CarePlan | None
    rights: permissions.CarePlanRights
    members: list[TeamMembership] = field(default_factory=list)
    goal_groups: list[GoalGroup] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    interventions: list[Intervention] = field(default_factory=list)
    barriers: list[Barrier] = field(default_factory=list)
    pathways: list[Pathway] = field(default_factory=list)
    last_signed: CarePlanVersion | None = None
    latest: CarePlanVersion | None = None
    member_ids: frozenset[int] = frozenset()

    @property
    def orphaned_goals(self) -> list[Goal]:
        return [goal for goal in self.goals if goal.owner_id not in self.member_ids]

    @property
    def open_interventions_without_owner_on_team(self) -> list[Intervention]:
        return [
            item
            for item in self.interventions
            if item.is_open and item.owner_id not in self.member_ids
        ]


def care_plan_content(plan: CarePlan) -> tuple[list[Goal], list[Intervention], list[Barrier]]:
    interventions = list(plan.interventions.select_related("task__owner").order_by("goal_id", "id"))
    by_goal: dict[int, list[Intervention]] = {}
    for intervention in interventions:
        by_goal.setdefault(intervention.goal_id, []).append(intervention)
    goals = list(plan.goals.select_related("owner").order_by("domain", "target_date", "id"))
    for goal in goals:
        goal.plan_interventions = by_goal.get(goal.pk, [])  # type: ignore[attr-defined]
        for intervention in goal.plan_interventions:  # type: ignore[attr-defined]
            intervention.goal = goal
    barriers = list(plan.barriers.select_related("intervention").order_by("component", "id"))
    return goals, interventions, barriers


def care_plan_detail_for_user(*, user: User, patient_id: int | str) -> CarePlanDetail:
    """The patient's current plan with its goals by domain, interventions and barriers."""
    return care_plan_detail(
        user=user, patient=patient_get_for_user(user=user, patient_id=patient_id)
    )


def care_plan_detail(*, user: User, patient: Patient) -> CarePlanDetail:
    """The plan page of a patient already loaded through patient_get_for_user."""
    plan = care_plan_current_for_patient(patient=patient)
    members = list(team_active_members(team_ids=[patient.care_team_id]))
    detail = CarePlanDetail(
        patient=patient,
        plan=plan,
        rights=permissions.care_plan_rights(user, patient),
        members=members,
        member_ids=frozenset(member.user_id for member in members),
    )
    if plan is None:
        return detail
    plan.patient = patient
    _audit_view(user, plan, "plan")
    detail.goals, detail.interventions, detail.barriers = care_plan_content(plan)
    detail.goal_groups = [
        GoalGroup(domain, label, [goal for goal in detail.goals if goal.domain == domain])
        for domain, label in GoalDomain.choices
    ]
    detail.pathways = list(plan.pathways.all())
    versions = list(
        plan.versions.filter(Q(signed_at__isnull=False) | Q(number=plan.version_count))
        .select_related("signed_by", "created_by")
        .order_by("-number")[:2]
    )
    detail.latest = next((v for v in versions if v.number == plan.version_count), None)
    detail.last_signed = next((v for v in versions if v.is_signed), None)
    return detail


@dataclass
class CarePlanReview:
    """What a PCP sees before signing: the difference since the last signed version."""

    plan: CarePlan
    last_signed: CarePlanVersion | None
    diff: PlanDiff
    fingerprint: str
    can_sign: bool
    latest_number: int
    can_return: bool = False


def _last_signed_version(plan: CarePlan) -> CarePlanVersion | None:
    return (
        plan.versions.filter(signed_at__isnull=False)
        .select_related("signed_by")
        .order_by("-number")
        .first()
    )


def care_plan_review_for_user(*, user: User, patient_id: int | str) -> CarePlanReview:
    """The plan as it stands now against the last signed version (all added if never signed)."""
    patient = patient_get_for_user(user=user, patient_id=patient_id)
    plan = care_plan_current_for_patient(patient=patient)
    if plan is None:
        raise NotFoundError("This patient has no care plan.")
    plan.patient = patient
    _audit_view(user, plan, "review")
    return care_plan_review(user=user, plan=plan)


def care_plan_review(*, user: User, plan: CarePlan) -> CarePlanReview:
    """The review of a plan already loaded through an access-checked selector."""
    current = plan_snapshot(plan)
    last_signed = _last_signed_version(plan)
    return CarePlanReview(
        plan=plan,
        last_signed=last_signed,
        diff=snapshot_diff(last_signed.snapshot if last_signed else None, current),
        fingerprint=snapshot_fingerprint(current),
        can_sign=plan.is_open and permissions.can_sign_care_plan(user, plan.patient),
        latest_number=plan.version_count,
        can_return=plan.is_open and permissions.can_return_care_plan(user, plan.patient),
    )


def care_plan_history_for_user(
    *, user: User, patient_id: int | str
) -> tuple[CarePlan, list[CarePlanVersion]]:
    """The patient's current plan and all its versions, newest first."""
    patient = patient_get_for_user(user=user, patient_id=patient_id)
    plan = care_plan_current_for_patient(patient=patient)
    if plan is None:
        raise NotFoundError("This patient has no care plan.")
    plan.patient = patient
    _audit_view(user, plan, "versions")
    return plan, list(care_plan_versions(plan=plan))


def care_plan_versions(*, plan: CarePlan) -> QuerySet[CarePlanVersion]:
    """The versions of a plan loaded through an access-checked selector, newest first."""
    return (
        plan.versions.select_related("created_by", "signed_by")
        .defer("snapshot")
        .order_by("-number")
    )


def care_plan_version_get(*, plan: CarePlan, number: int | str) -> CarePlanVersion:
    try:
        wanted = int(number)
    except (TypeError, ValueError) as error:
        raise NotFoundError("No such version.") from error
    version = plan.versions.select_related("created_by", "signed_by").filter(number=wanted).first()
    if version is None:
        raise NotFoundError("No such version.")
    return version


def care_plan_version_diff(
    *, plan: CarePlan, from_number: int | None, to_number: int
) -> tuple[CarePlanVersion | None, CarePlanVersion, PlanDiff]:
    """The difference between two versions (from None: the version before `to_number`)."""
    after = care_plan_version_get(plan=plan, number=to_number)
    if from_number is None:
        before = plan.versions.filter(number__lt=after.number).order_by("-number").first()
    else:
        before = care_plan_version_get(plan=plan, number=from_number)
    return before, after, snapshot_diff(before.snapshot if before else None, after.snapshot)


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
        object_type=CARE_PLAN,
        patient_ids=[row.patient.pk for row in rows],
        detail={"view": "due_for_review"},
    )
    return rows


def pathways_for_patient(*, patient: Patient) -> QuerySet[Pathway]:
    return Pathway.objects.filter(organisation_id=patient.organisation_id, is_active=True)


def goal_get_for_plan(*, plan: CarePlan, goal_id: int | str) -> Goal:
    goal = plan.goals.select_related("owner").filter(pk=_as_int(goal_id)).first()
    if goal is None:
        raise NotFoundError("No such goal.")
    return goal


def intervention_get_for_plan(*, plan: CarePlan, intervention_id: int | str) -> Intervention:
    intervention = (
        plan.interventions.select_related("task__owner", "goal")
        .filter(pk=_as_int(intervention_id))
        .first()
    )
    if intervention is None:
        raise NotFoundError("No such intervention.")
    return intervention


def barrier_get_for_plan(*, plan: CarePlan, barrier_id: int | str) -> Barrier:
    barrier = plan.barriers.filter(pk=_as_int(barrier_id)).first()
    if barrier is None:
        raise NotFoundError("No such barrier.")
    return barrier


def _as_int(value: int | str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise NotFoundError("Not found.") from error


# Words a patient uses: no codes, no internal terms.
PLAIN_AREAS: dict[str, str] = {
    GoalDomain.MEDICAL: "My health",
    GoalDomain.BEHAVIORAL: "My habits and feelings",
    GoalDomain.SOCIAL: "My home, money and support",
    GoalDomain.FUNCTIONAL: "Everyday activities",
}
PLAIN_ROLES: dict[str, str] = {
    Role.PCP: "your doctor",
    Role.SPECIALIST: "your specialist doctor",
    Role.RN_CARE_COORDINATOR: "your nurse",
    Role.PHARMACIST: "your pharmacist",
    Role.SOCIAL_WORKER: "your social worker",
    Role.CHW: "your community health worker",
    Role.NAVIGATOR: "your patient navigator",
    Role.CASE_MANAGER: "your case manager",
    Role.BEHAVIORAL_HEALTH: "your counselor",
    Role.ADMIN: "the office team",
}
SUMMARY_GOAL_STATUSES = (GoalStatus.PROPOSED, GoalStatus.ACTIVE, GoalStatus.ON_HOLD)


@dataclass(frozen=True)
class SummaryGoal:
    area: str
    goal: str
    how_we_know: str
    by_when: date
    my_steps: list[str]


@dataclass(frozen=True)
class SummaryAction:
    what: str
    who: str
    role: str
    by_when: date | None


@dataclass(frozen=True)
class SummaryContact:
    name: str
    role: str
    is_lead: bool


@dataclass
class PatientSummary:
    """The plain-language take-home summary: what matters to me, what I will do,
    what my team will do, who to call."""

    patient: Patient
    plan: CarePlan
    what_matters: str
    priorities: list[str]
    goals: list[SummaryGoal]
    my_steps: list[str]
    team_actions: list[SummaryAction]
    lead: SummaryContact | None
    contacts: list[SummaryContact]
    phone: str
    after_hours_advice: str
    advance_directive_date: date | None
    has_advance_directive: bool
    large_print: bool
    generated_on: date


def _steps(text: str) -> list[str]:
    return [line.strip(" -•\t") for line in text.splitlines() if line.strip(" -•\t")]


def care_plan_summary_for_user(
    *, user: User, patient_id: int | str, export: bool = False
) -> PatientSummary:
    """The patient's summary; a PDF download is audited as an export."""
    patient = patient_get_for_user(user=user, patient_id=patient_id)
    plan = care_plan_current_for_patient(patient=patient)
    if plan is None:
        raise NotFoundError("This patient has no care plan.")
    plan.patient = patient
    _audit_view(user, plan, "summary", AuditAction.EXPORT if export else AuditAction.VIEW)
    goals, interventions, _ = care_plan_content(plan)
    members = list(team_active_members(team_ids=[patient.care_team_id]))
    roles = {member.user_id: member.role for member in members}
    plan_settings = (
        CarePlanSettings.objects.filter(organisation_id=patient.organisation_id).first()
        or DEFAULT_SETTINGS
    )
    shown_goals = [goal for goal in goals if goal.status in SUMMARY_GOAL_STATUSES]
    contacts = [
        SummaryContact(member.user.display_name, PLAIN_ROLES.get(member.role, ""), member.is_lead)
        for member in members
    ]
    return PatientSummary(
        patient=patient,
        plan=plan,
        what_matters=plan.what_matters,
        priorities=plan.priority_list,
        goals=[
            SummaryGoal(
                area=PLAIN_AREAS.get(goal.domain, ""),
                goal=goal.description,
                how_we_know=goal.target,
                by_when=goal.target_date,
                my_steps=_steps(goal.patient_steps),
            )
            for goal in shown_goals
        ],
        my_steps=[step for goal in shown_goals for step in _steps(goal.patient_steps)],
        team_actions=[
            SummaryAction(
                what=item.description,
                who=item.owner.display_name if item.owner else "",
                role=PLAIN_ROLES.get(roles.get(item.owner_id or 0, ""), "your care team"),
                by_when=timezone.localtime(item.due_at).date() if item.due_at else None,
            )
            for item in interventions
            if item.is_open and item.goal.status in SUMMARY_GOAL_STATUSES
        ],
        lead=next((contact for contact in contacts if contact.is_lead), None),
        contacts=contacts,
        phone=plan_settings.patient_phone,
        after_hours_advice=plan_settings.after_hours_advice,
        advance_directive_date=plan.advance_directive_date,
        has_advance_directive=bool(plan.advance_directive_reference),
        large_print=plan.health_literacy_limited,
        generated_on=timezone.localdate(),
    )


def care_plan_card_for_user(
    *, user: User, patient_id: int | str
) -> tuple[Patient, CarePlan | None]:
    """For the chart section: the patient and their open plan, two queries."""
    patient = patient_get_for_user(user=user, patient_id=patient_id)
    return patient, care_plan_current_for_patient(patient=patient)


def care_plan_list_for_user(*, user: User, limit: int = 100) -> list[CarePlan]:
    """The open plans of the user's patients (for the API), audited as one list read."""
    plans = list(
        CarePlan.objects.filter(status__in=OPEN_PLAN_STATUSES, patient__in=visible_patients(user))
        .select_related("patient__care_team")
        .prefetch_related(Prefetch("pathways"))
        .order_by("patient__family_name", "patient__given_name", "id")[:limit]
    )
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        object_type=CARE_PLAN,
        patient_ids=[plan.patient_id for plan in plans],
    )
    return plans
