"""Reading the complex-needs evidence of one patient. Access goes through the patient.

Each function first gets the patient with `patient_get_for_user`, which checks
the user's team (or break-glass) and audits the read; anything the user may
not see is "not found", exactly like a missing row.
"""

from dataclasses import dataclass

from django.db.models import Case, IntegerField, QuerySet, Value, When

from apps.accounts.models import User
from apps.core.exceptions import NotFoundError
from apps.patients import permissions
from apps.patients.complexity import thresholds_for
from apps.patients.models import (
    AreaDeprivation,
    ComplexityThresholds,
    Condition,
    ConditionStatus,
    Encounter,
    Patient,
    PatientComplexity,
    SdohScreen,
)
from apps.patients.selectors import patient_get_for_user

__all__ = ["patient_get_for_user"]  # re-exported for the API and views

RECENT_ENCOUNTERS = 20
RECENT_SCREENS = 5


def _conditions(patient: Patient) -> QuerySet[Condition]:
    active_first = Case(
        When(status=ConditionStatus.ACTIVE, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return Condition.objects.filter(patient=patient).order_by(
        active_first, "-resolved_date", "code", "id"
    )


def _encounters(patient: Patient) -> QuerySet[Encounter]:
    return Encounter.objects.filter(patient=patient).order_by("-admit_date", "-id")


def _screens(patient: Patient) -> QuerySet[SdohScreen]:
    return (
        SdohScreen.objects.filter(patient=patient)
        .select_related("screened_by")
        .order_by("-screened_on", "-id")
    )


def condition_list_for_user(*, user: User, patient_id: int | str) -> list[Condition]:
    return list(_conditions(patient_get_for_user(user=user, patient_id=patient_id)))


def condition_get_for_user(
    *, user: User, patient_id: int | str, condition_id: int | str
) -> Condition:
    patient = patient_get_for_user(user=user, patient_id=patient_id)
    try:
        pk = int(condition_id)
    except (TypeError, ValueError) as error:
        raise NotFoundError("No such condition.") from error
    condition = Condition.objects.filter(patient=patient, pk=pk).first()
    if condition is None:
        raise NotFoundError("No such condition.")
    condition.patient = patient
    return condition


def encounter_list_for_user(*, user: User, patient_id: int | str) -> list[Encounter]:
    return list(_encounters(patient_get_for_user(user=user, patient_id=patient_id)))


def sdoh_screen_list_for_user(*, user: User, patient_id: int | str) -> list[SdohScreen]:
    return list(_screens(patient_get_for_user(user=user, patient_id=patient_id)))


def area_deprivation_get_for_user(
    *, user: User, patient_id: int | str
) -> tuple[Patient, AreaDeprivation | None]:
    patient = patient_get_for_user(user=user, patient_id=patient_id)
    return patient, AreaDeprivation.objects.filter(patient=patient).first()


def complexity_get_for_user(
    *, user: User, patient_id: int | str
) -> tuple[Patient, PatientComplexity | None, ComplexityThresholds]:
    patient = patient_get_for_user(user=user, patient_id=patient_id)
    return (
        patient,
        PatientComplexity.objects.filter(patient=patient).first(),
        thresholds_for(patient.organisation_id),
    )


@dataclass
class ClinicalSection:
    patient: Patient
    complexity: PatientComplexity | None
    thresholds: ComplexityThresholds
    conditions: list[Condition]
    encounters: list[Encounter]
    has_more_encounters: bool
    screens: list[SdohScreen]
    deprivation: AreaDeprivation | None
    can_record_clinical: bool
    can_screen: bool
    can_set_deprivation: bool

    @property
    def active_conditions(self) -> list[Condition]:
        return [c for c in self.conditions if c.status == ConditionStatus.ACTIVE]

    @property
    def resolved_conditions(self) -> list[Condition]:
        return [c for c in self.conditions if c.status == ConditionStatus.RESOLVED]


def patient_clinical_section(*, user: User, patient: Patient) -> ClinicalSection:
    """Everything the chart's complex-needs section shows, for an already-checked patient."""
    encounters = list(_encounters(patient)[: RECENT_ENCOUNTERS + 1])
    return ClinicalSection(
        patient=patient,
        complexity=PatientComplexity.objects.filter(patient=patient).first(),
        thresholds=thresholds_for(patient.organisation_id),
        conditions=list(_conditions(patient)),
        encounters=encounters[:RECENT_ENCOUNTERS],
        has_more_encounters=len(encounters) > RECENT_ENCOUNTERS,
        screens=list(_screens(patient)[:RECENT_SCREENS]),
        deprivation=AreaDeprivation.objects.filter(patient=patient).first(),
        can_record_clinical=permissions.can_record_clinical_data(user, patient),
        can_screen=permissions.can_record_sdoh_screen(user, patient),
        can_set_deprivation=permissions.can_change_patient(user, patient),
    )
