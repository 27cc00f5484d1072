"""Enrolment by benefit: who the programme should enrol first, and recording the answer.

Predicted benefit of enrolment for patient i: Δ_i = p_i * RRR(segment_i), where
p_i is the 12-month admission probability (apps.patients.risk) and RRR is the
relative risk reduction the organisation expects from enrolment in the patient's
risk-tier segment (PrioritySettings). The worklist orders eligible patients not
yet enrolled, declined or disenrolled by Δ, not by p: the highest-risk patients
are not always those whose risk coordination changes most.

About the default reductions: they are ILLUSTRATIVE DEFAULTS, not published
effect sizes; evaluations of care coordination programmes report effects that
vary widely by population and design, so each organisation sets them from its
own programme's evaluation. The defaults only encode the shape often described
(a larger reduction for rising and high risk than for the very highest risk,
whose admissions are less often avoidable).

Capacity is allocated by need: walking the worklist from the largest benefit
down, each patient is offered to the coordinator of their team with the most
free places (panel size minus enrolled patients); when every panel on the team is
full, the rest wait (shown "no free place").
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, Count, DecimalField, Exists, F, OuterRef, Value, When
from django.utils import timezone

from apps.accounts.models import Actor, User
from apps.core.actors import JobActor
from apps.core.audit import audit_record
from apps.core.changes import record_change, record_create
from apps.core.exceptions import ApplicationError
from apps.core.items import ItemsResult, run_isolated
from apps.core.models import AuditAction
from apps.core.states import Move, StateTable
from apps.measures import permissions
from apps.measures.models import Enrolment, EnrolmentStatus, PrioritySettings
from apps.measures.priorities import (
    TIER_ORDER,
    eligible_tiers,
    priority_settings_for,
    reduction_for,
)
from apps.patients.models import Patient, PatientComplexity, RiskTier
from apps.teams.models import TeamMembership

S = EnrolmentStatus
ENROLMENT_STATES: StateTable[Move] = StateTable(
    noun="enrolment",
    states=EnrolmentStatus,
    moves=[
        Move(S.ELIGIBLE, S.ENROLLED, "Enrol"),
        Move(S.ELIGIBLE, S.DECLINED, "Declined", needs_reason=True),
        Move(S.ENROLLED, S.DISENROLLED, "Disenrol", needs_reason=True),
        Move(S.DECLINED, S.ENROLLED, "Enrol after all"),
        Move(S.DISENROLLED, S.ENROLLED, "Re-enrol"),
    ],
)
WORKLIST_LIMIT = 200
REASON_MAX = 500
DEATH_JOB = "measures.enrolments_end_for_deaths"
DEATH_REASON = "Died"
# Not on the worklist: an answer was recorded (enrolled, declined or disenrolled).
DECIDED = (S.ENROLLED, S.DECLINED, S.DISENROLLED)


# --- the worklist ----------------------------------------------------------------------


@dataclass
class WorklistRow:
    patient: Patient
    tier: str
    risk: Decimal
    reduction: Decimal
    benefit: Decimal
    suggested: User | None = None

    @property
    def tier_label(self) -> str:
        return str(RiskTier(self.tier).label)

    @property
    def risk_percent(self) -> str:
        return f"{self.risk * 100:.1f} %"

    @property
    def benefit_points(self) -> str:
        """Δ in percentage points of admission probability."""
        return f"{self.benefit * 100:.1f}"


@dataclass
class CoordinatorLoad:
    membership: TeamMembership
    panel_size: int
    enrolled: int
    suggested: int = 0

    @property
    def free(self) -> int:
        return max(0, self.panel_size - self.enrolled - self.suggested)


@dataclass
class Worklist:
    rows: list[WorklistRow]
    coordinators: list[CoordinatorLoad]
    settings: PrioritySettings


def _benefit_expression(settings: PrioritySettings) -> Case:
    return Case(
        *(
            When(complexity__risk_tier=tier, then=Value(reduction_for(settings, tier)))
            for tier in TIER_ORDER
        ),
        default=Value(Decimal(0)),
        output_field=DecimalField(max_digits=4, decimal_places=3),
    )


def _coordinator_loads(team_ids: list[int], default_size: int) -> dict[int, list[CoordinatorLoad]]:
    memberships = list(
        permissions.coordinator_memberships(team_ids)
        .select_related("user", "panel")
        .order_by("team_id", "user__last_name", "user__first_name", "user_id")
    )
    enrolled = {
        (row["team_id"], row["coordinator_id"]): row["count"]
        for row in Enrolment.objects.filter(team_id__in=team_ids, status=S.ENROLLED)
        .values("team_id", "coordinator_id")
        .annotate(count=Count("pk"))
        .order_by()
    }
    loads: dict[int, list[CoordinatorLoad]] = defaultdict(list)
    for membership in memberships:
        panel = getattr(membership, "panel", None)
        loads[membership.team_id].append(
            CoordinatorLoad(
                membership=membership,
                panel_size=panel.panel_size if panel is not None else default_size,
                enrolled=enrolled.get((membership.team_id, membership.user_id), 0),
            )
        )
    return loads


def enrolment_worklist_for_user(*, user: User, team_id: int | None = None) -> Worklist:
    """Eligible patients of the user's teams (or one of them) not yet decided, by predicted
    benefit, each with the coordinator their team's free capacity suggests. A fixed number
    of queries whatever the panel's size; the list is audited with the patients shown."""
    team_ids = permissions.measure_team_ids(user)
    if team_id is not None:
        team_ids = [pk for pk in team_ids if pk == team_id]
    settings = priority_settings_for(user.organisation_id)
    decided = Enrolment.objects.filter(
        patient_id=OuterRef("pk"), team_id=OuterRef("care_team_id"), status__in=DECIDED
    )
    patients = list(
        Patient.objects.filter(
            care_team_id__in=team_ids,
            is_active=True,
            deceased=False,
            complexity__risk_tier__in=eligible_tiers(settings),
        )
        .exclude(Exists(decided))
        .annotate(
            reduction=_benefit_expression(settings),
            benefit=F("complexity__risk_probability") * _benefit_expression(settings),
        )
        .select_related("care_team", "complexity")
        .order_by("-benefit", "-complexity__risk_probability", "pk")[:WORKLIST_LIMIT]
    )
    loads = _coordinator_loads(team_ids, settings.default_panel_size)
    rows = []
    for patient in patients:
        complexity: PatientComplexity = patient.complexity
        row = WorklistRow(
            patient=patient,
            tier=complexity.risk_tier,
            risk=Decimal(complexity.risk_probability),
            reduction=Decimal(patient.reduction),  # type: ignore[attr-defined]
            benefit=Decimal(patient.benefit),  # type: ignore[attr-defined]
        )
        team_loads = loads.get(patient.care_team_id, [])
        best = max(team_loads, key=lambda load: load.free, default=None)
        if best is not None and best.free > 0:
            best.suggested += 1
            row.suggested = best.membership.user
        rows.append(row)
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        object_type=Patient,
        patient_ids=[patient.pk for patient in patients],
        detail={"list": "enrolment_worklist"},
    )
    coordinators = [load for team_loads in loads.values() for load in team_loads]
    return Worklist(rows=rows, coordinators=coordinators, settings=settings)


def enrolled_list_for_user(*, user: User, team_id: int | None = None) -> list[Enrolment]:
    """Enrolled patients of the user's teams (for disenrolment), audited."""
    team_ids = permissions.measure_team_ids(user)
    if team_id is not None:
        team_ids = [pk for pk in team_ids if pk == team_id]
    rows = list(
        Enrolment.objects.filter(
            team_id__in=team_ids, patient__care_team_id=F("team_id"), status=S.ENROLLED
        )
        .select_related("patient", "coordinator", "team")
        .order_by("-enrolled_on", "pk")[:WORKLIST_LIMIT]
    )
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        object_type=Enrolment,
        patient_ids=[row.patient_id for row in rows],
        detail={"list": "enrolled"},
    )
    return rows


# --- recording the answer ----------------------------------------------------------------


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise ApplicationError("Say why.", field_errors={"reason": ["Give the reason."]})
    if len(text) > REASON_MAX:
        raise ApplicationError(
            "The reason is too long.",
            field_errors={"reason": [f"Keep the reason to {REASON_MAX} characters."]},
        )
    return text


def _row_for(actor: Actor, patient: Patient) -> Enrolment:
    """The patient's enrolment in their team's programme, locked; made (eligible) if new."""
    row = (
        Enrolment.objects.select_for_update()
        .filter(patient_id=patient.pk, team_id=patient.care_team_id)
        .first()
    )
    if row is not None:
        return row
    return record_create(
        actor=actor,
        instance=Enrolment(
            organisation_id=patient.organisation_id,
            patient=patient,
            team_id=patient.care_team_id,
            eligible_on=timezone.localdate(),
        ),
        patient_id=patient.pk,
        clean=False,
    )


def _figures(patient: Patient) -> dict[str, Decimal | None]:
    complexity = PatientComplexity.objects.filter(patient_id=patient.pk).first()
    if complexity is None:
        return {"risk_probability": None, "benefit": None}
    settings = priority_settings_for(patient.organisation_id)
    risk = Decimal(complexity.risk_probability)
    reduction = reduction_for(settings, complexity.risk_tier)
    return {"risk_probability": risk, "benefit": (risk * reduction).quantize(Decimal("0.0001"))}


def _coordinator_validate(patient: Patient, coordinator: User | None) -> User:
    if (
        coordinator is None
        or not permissions.coordinator_memberships([patient.care_team_id])
        .filter(user_id=coordinator.pk)
        .exists()
    ):
        raise ApplicationError(
            "Choose the coordinator.",
            field_errors={
                "coordinator": ["Choose a current coordinator on the patient's care team."]
            },
        )
    return coordinator


@transaction.atomic
def enrolment_enrol(
    *, actor: Actor, patient: Patient, coordinator: User | None, on: date | None = None
) -> Enrolment:
    """Enrols the patient in their team's programme with a coordinator (from eligible, or
    after a decline or disenrolment); records the risk and benefit at that moment."""
    permissions.require_can_manage_enrolment(actor, patient)
    if patient.deceased:
        raise ApplicationError(
            "The patient has died: a death is recorded on the chart.",
            field_errors={"status": ["A patient who has died cannot be enrolled."]},
        )
    chosen = _coordinator_validate(patient, coordinator)
    day = on or timezone.localdate()
    if day > timezone.localdate():
        raise ApplicationError(
            "The date is in the future.", field_errors={"on": ["This date is in the future."]}
        )
    row = _row_for(actor, patient)
    ENROLMENT_STATES.move(row.status, S.ENROLLED)
    record_change(
        actor=actor,
        instance=row,
        values={
            "status": S.ENROLLED,
            "coordinator": chosen,
            "enrolled_on": day,
            "reason": "",
            **_figures(patient),
        },
        patient_id=patient.pk,
        clean=False,
    )
    return row


@transaction.atomic
def enrolment_decline(*, actor: Actor, patient: Patient, reason: str) -> Enrolment:
    """Records that an eligible patient declined, with the reason (off the worklist)."""
    permissions.require_can_manage_enrolment(actor, patient)
    text = _reason(reason)
    row = _row_for(actor, patient)
    ENROLMENT_STATES.move(row.status, S.DECLINED)
    record_change(
        actor=actor,
        instance=row,
        values={
            "status": S.DECLINED,
            "declined_on": timezone.localdate(),
            "reason": text,
            **_figures(patient),
        },
        patient_id=patient.pk,
        clean=False,
    )
    return row


@transaction.atomic
def enrolment_disenrol(*, actor: Actor, patient: Patient, reason: str) -> Enrolment:
    """Ends an enrolment with the reason; the coordinator's place is free again."""
    permissions.require_can_manage_enrolment(actor, patient)
    text = _reason(reason)
    row = (
        Enrolment.objects.select_for_update()
        .filter(patient_id=patient.pk, team_id=patient.care_team_id)
        .first()
    )
    if row is None:
        raise ApplicationError(
            "This patient is not enrolled.", field_errors={"status": ["Not enrolled."]}
        )
    ENROLMENT_STATES.move(row.status, S.DISENROLLED)
    record_change(
        actor=actor,
        instance=row,
        values={"status": S.DISENROLLED, "disenrolled_on": timezone.localdate(), "reason": text},
        patient_id=patient.pk,
        clean=False,
    )
    return row


def _end_for_death(enrolment_id: int) -> None:
    row = (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("patient")
        .get(pk=enrolment_id)
    )
    if row.status != S.ENROLLED or not row.patient.deceased:
        return  # changed since it was listed
    died = row.patient.deceased_at
    ENROLMENT_STATES.move(row.status, S.DISENROLLED)
    record_change(
        actor=JobActor(job=DEATH_JOB, organisation_id=row.organisation_id),
        instance=row,
        values={
            "status": S.DISENROLLED,
            "disenrolled_on": timezone.localdate(died) if died else timezone.localdate(),
            "reason": DEATH_REASON,
        },
        patient_id=row.patient_id,
        clean=False,
    )


def enrolments_end_for_deaths() -> ItemsResult:
    """Nightly: the enrolment of each patient whose death is recorded (an ADT message or
    the chart) ends, dated the day of death, so the coordinator's place is free and the
    patient leaves the enrolled list; each in its own transaction."""
    ids = list(
        Enrolment.objects.filter(status=S.ENROLLED, patient__deceased=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return run_isolated(ids, _end_for_death, job=DEATH_JOB)
