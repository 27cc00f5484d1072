"""Finding a plan and reading it whole: access follows the patient's team; each read is audited."""

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet

from apps.accounts.models import User
from apps.careplans import permissions
from apps.careplans.models import (
    OPEN_PLAN_STATUSES,
    Barrier,
    CarePlan,
    CarePlanSettings,
    CarePlanVersion,
    Goal,
    GoalDomain,
    Intervention,
    Pathway,
)
from apps.core.audit import audit_record
from apps.core.exceptions import NotFoundError
from apps.core.models import AuditAction
from apps.patients.models import Patient
from apps.patients.permissions import visible_patients
from apps.patients.selectors import patient_get_for_user
from apps.tasks.models import Task, TaskSource
from apps.teams.models import TeamMembership
from apps.teams.selectors import team_active_members

DEFAULT_SETTINGS = CarePlanSettings()


def audit_plan_view(user: User, plan: CarePlan, what: str, action: str = AuditAction.VIEW) -> None:
    audit_record(
        actor=user,
        action=action,
        object_type=CarePlan,
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


def care_plan_open_for_user(*, user: User, patient_id: int | str, what: str | None) -> CarePlan:
    """The open plan of a patient the user may see; no plan is "not found" too.

    `what` names the read to audit; None when the plan is loaded to be changed
    (the service audits the change).
    """
    patient = patient_get_for_user(user=user, patient_id=patient_id)
    plan = care_plan_current_for_patient(patient=patient)
    if plan is None:
        raise NotFoundError("This patient has no care plan.")
    plan.patient = patient
    if what is not None:
        audit_plan_view(user, plan, what)
    return plan


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
    audit_plan_view(user, plan, what)
    return plan


@dataclass
class GoalGroup:
    domain: str
    label: str
    goals: list[Goal]
    # Why the viewer may not edit this domain's goals (None when they may).
    why_not: str | None = None


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


def _with_goal_tasks(goals: list[Goal]) -> None:
    """Each goal's open tasks made to serve it (TaskSource.CARE_PLAN_GOAL), in one query."""
    serving: dict[int, list[Task]] = {}
    tasks = (
        Task.objects.open()
        .filter(source_type=TaskSource.CARE_PLAN_GOAL, source_id__in=[goal.pk for goal in goals])
        .select_related("owner")
        .order_by("due_at", "pk")
    )
    for task in tasks if goals else []:
        serving.setdefault(task.source_id or 0, []).append(task)
    for goal in goals:
        goal.serving_tasks = serving.get(goal.pk, [])  # type: ignore[attr-defined]


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
    audit_plan_view(user, plan, "plan")
    detail.goals, detail.interventions, detail.barriers = care_plan_content(plan)
    _with_goal_tasks(detail.goals)
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
        object_type=CarePlan,
        patient_ids=[plan.patient_id for plan in plans],
    )
    return plans
