"""Recording the evidence of complex needs: conditions, encounters, screens, deprivation.

Every service validates everything before writing, writes and audits in one
transaction, and then recomputes the patient's complexity in that same
transaction (an explicit call, not a signal), so the chart and the list never
show a flag that disagrees with the evidence.
"""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Actor, User
from apps.core.actors import person_behind
from apps.core.audit import audit_record, changed_fields
from apps.core.changes import record_change, record_create
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.patients import hrsn, icd10, permissions
from apps.patients.complexity import complexity_recompute
from apps.patients.followers import sdoh_screen_recorded
from apps.patients.models import (
    AdiSuppression,
    AreaDeprivation,
    Condition,
    ConditionStatus,
    Encounter,
    EncounterKind,
    Patient,
    SdohScreen,
)

PROVIDER_MAX = 120
# What describes an encounter besides its patient (encounter_build's arguments): the admin
# form and the panel import's columns ask for exactly these.
ENCOUNTER_FIELDS = (
    "kind",
    "admit_date",
    "discharge_date",
    "attending_provider",
    "facility",
    "cost",
)


def _refresh(actor: Actor, patient: Patient) -> None:
    complexity_recompute(
        organisation_id=patient.organisation_id, patient_ids=[patient.pk], actor=actor
    )


def _not_future(errors: dict[str, list[str]], name: str, value: date | None) -> None:
    if value is not None and value > timezone.localdate():
        errors.setdefault(name, []).append("This date is in the future.")


def _raise(message: str, errors: dict[str, list[str]]) -> None:
    if errors:
        raise ApplicationError(message, field_errors=errors)


# --- conditions ---------------------------------------------------------------------------


def condition_build(
    *, patient: Patient, code: str, onset_date: date | None = None, recorded_by: User | None = None
) -> Condition:
    """A validated, unsaved condition (shared with the CSV import)."""
    errors: dict[str, list[str]] = {}
    normalized = ""
    try:
        normalized = icd10.validate(code)
    except icd10.InvalidCode as error:
        errors["code"] = [str(error)]
    _not_future(errors, "onset_date", onset_date)
    _raise("Please correct the condition.", errors)
    return Condition(
        patient=patient,
        code=normalized,
        title=icd10.title(normalized)[:255],
        onset_date=onset_date,
        status=ConditionStatus.ACTIVE,
        recorded_by=recorded_by,
    )


@transaction.atomic
def condition_add(
    *, actor: Actor, patient: Patient, code: str, onset_date: date | None = None
) -> Condition:
    """Adds an active coded condition; the same code cannot be active twice."""
    permissions.require_can_record_clinical_data(actor, patient)
    condition = condition_build(
        patient=patient, code=code, onset_date=onset_date, recorded_by=person_behind(actor)
    )
    if Condition.objects.filter(
        patient=patient,
        code_system=condition.code_system,
        code=condition.code,
        status=ConditionStatus.ACTIVE,
    ).exists():
        raise ApplicationError(
            "This condition is already on the active list.",
            field_errors={"code": [f"{condition.code} is already active for this patient."]},
        )
    record_create(actor=actor, instance=condition, patient_id=patient.pk, clean=False)
    _refresh(actor, patient)
    return condition


@transaction.atomic
def condition_resolve(
    *, actor: Actor, condition: Condition, resolved_date: date | None = None
) -> Condition:
    """Marks a condition resolved; it stops counting towards the Charlson index."""
    patient = condition.patient
    permissions.require_can_record_clinical_data(actor, patient)
    locked = Condition.objects.select_for_update().get(pk=condition.pk)
    if locked.status == ConditionStatus.RESOLVED:
        raise ApplicationError("This condition is already resolved.")
    when = resolved_date or timezone.localdate()
    errors: dict[str, list[str]] = {}
    _not_future(errors, "resolved_date", when)
    if locked.onset_date and when < locked.onset_date:
        errors.setdefault("resolved_date", []).append("Resolution is before the onset.")
    _raise("Please correct the resolution date.", errors)
    record_change(
        actor=actor,
        instance=locked,
        values={"status": ConditionStatus.RESOLVED, "resolved_date": when},
        patient_id=patient.pk,
        clean=False,
    )
    _refresh(actor, patient)
    return locked


# --- encounters ---------------------------------------------------------------------------


def encounter_build(
    *,
    patient: Patient,
    kind: str,
    admit_date: date | None,
    discharge_date: date | None = None,
    attending_provider: str = "",
    facility: str = "",
    cost: Decimal | str | None = None,
    recorded_by: User | None = None,
) -> Encounter:
    """A validated, unsaved encounter (shared with the CSV import)."""
    errors: dict[str, list[str]] = {}
    if kind not in EncounterKind.values:
        errors["kind"] = [f"Choose one of: {', '.join(EncounterKind.values)}."]
    if admit_date is None:
        errors["admit_date"] = ["Give the admission or visit date."]
    _not_future(errors, "admit_date", admit_date)
    _not_future(errors, "discharge_date", discharge_date)
    if admit_date and discharge_date and discharge_date < admit_date:
        errors.setdefault("discharge_date", []).append("Discharge is before the admission.")
    amount: Decimal | None = None
    if cost not in (None, ""):
        try:
            amount = Decimal(str(cost)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            errors["cost"] = ["Give the cost as a number, e.g. 1250.00."]
        else:
            if amount < 0 or amount >= Decimal("1e10"):
                errors["cost"] = ["Cost must be between 0 and 9,999,999,999.99."]
    if len(attending_provider.strip()) > PROVIDER_MAX:
        errors["attending_provider"] = [f"At most {PROVIDER_MAX} characters."]
    if len(facility.strip()) > PROVIDER_MAX:
        errors["facility"] = [f"At most {PROVIDER_MAX} characters."]
    _raise("Please correct the encounter.", errors)
    assert admit_date is not None  # noqa: S101 - checked above
    return Encounter(
        patient=patient,
        kind=kind,
        admit_date=admit_date,
        discharge_date=discharge_date,
        attending_provider=attending_provider.strip(),
        facility=facility.strip(),
        cost=amount,
        recorded_by=recorded_by,
    )


@transaction.atomic
def encounter_add(
    *,
    actor: Actor,
    patient: Patient,
    kind: str,
    admit_date: date | None,
    discharge_date: date | None = None,
    attending_provider: str = "",
    facility: str = "",
    cost: Decimal | str | None = None,
) -> Encounter:
    """Records a visit or stay; ED visits, admissions and cost feed the utilization domain."""
    permissions.require_can_record_clinical_data(actor, patient)
    encounter = encounter_build(
        patient=patient,
        kind=kind,
        admit_date=admit_date,
        discharge_date=discharge_date,
        attending_provider=attending_provider,
        facility=facility,
        cost=cost,
        recorded_by=person_behind(actor),
    )
    record_create(actor=actor, instance=encounter, patient_id=patient.pk, clean=False)
    _refresh(actor, patient)
    return encounter


# --- social needs -------------------------------------------------------------------------


@transaction.atomic
def sdoh_screen_record(
    *, actor: Actor, patient: Patient, screened_on: date | None, answers: Mapping[str, Any]
) -> SdohScreen:
    """Stores an AHC HRSN screen with its domains scored as the tool scores them; the
    registered followers (the same-day triage of urgent needs) run in the same step."""
    permissions.require_can_record_sdoh_screen(actor, patient)
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    try:
        cleaned = hrsn.clean_answers(answers)
    except hrsn.InvalidAnswers as error:
        errors.update(error.field_errors)
    if screened_on is None:
        errors["screened_on"] = ["Give the date of the screen."]
    _not_future(errors, "screened_on", screened_on)
    _raise("Please correct the screen.", errors)
    assert screened_on is not None  # noqa: S101 - checked above
    result = hrsn.score(cleaned)
    screen = SdohScreen(
        patient=patient,
        screened_on=screened_on,
        screened_by=person_behind(actor),
        **cleaned,
        housing_positive=result.housing,
        food_positive=result.food,
        transportation_positive=result.transportation,
        utilities_positive=result.utilities,
        safety_positive=result.safety,
        safety_score=result.safety_score,
    )
    record_create(actor=actor, instance=screen, patient_id=patient.pk, clean=False)
    _refresh(actor, patient)
    sdoh_screen_recorded(actor, screen)
    return screen


def _whole_number(value: Any, low: int, high: int, name: str, errors: dict) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
        if str(number) != str(value).strip() and not isinstance(value, int):
            raise ValueError
    except (TypeError, ValueError):
        errors[name] = [f"Give a whole number from {low} to {high}."]
        return None
    if not low <= number <= high:
        errors[name] = [f"Must be from {low} to {high}."]
        return None
    return number


@transaction.atomic
def patient_area_deprivation_set(
    *,
    actor: Actor,
    patient: Patient,
    national_percentile: int | str | None = None,
    state_decile: int | str | None = None,
    suppression_code: str = "",
    block_group: str = "",
) -> AreaDeprivation:
    """Stores the ADI national percentile and state decile, or the reason there is none."""
    permissions.require_can_change_patient(actor, patient)
    errors: dict[str, list[str]] = {}
    percentile = _whole_number(national_percentile, 1, 100, "national_percentile", errors)
    decile = _whole_number(state_decile, 1, 10, "state_decile", errors)
    code = (suppression_code or "").strip().upper()
    block_group = (block_group or "").strip()
    if code and code not in AdiSuppression.values:
        errors["suppression_code"] = [f"Choose one of: {', '.join(AdiSuppression.values)}."]
    if block_group and not (block_group.isdigit() and len(block_group) == 12):
        errors["block_group"] = ["A census block group is 12 digits."]
    if not errors:
        has_value = national_percentile not in (None, "") or state_decile not in (None, "")
        if code and has_value:
            errors["suppression_code"] = ["A suppressed ADI has no percentile or decile."]
        elif not code and (percentile is None or decile is None):
            missing = "national_percentile" if percentile is None else "state_decile"
            errors[missing] = ["Give both the national percentile and the state decile."]
    _raise("Please correct the Area Deprivation Index.", errors)
    values = {
        "national_percentile": percentile,
        "state_decile": decile,
        "suppression_code": code,
        "block_group": block_group,
    }
    current = AreaDeprivation.objects.select_for_update().filter(patient=patient).first()
    if current is None:
        current = AreaDeprivation.objects.create(
            patient=patient, recorded_by=person_behind(actor), **values
        )
        action, changed = AuditAction.CREATE, sorted(values)
    else:
        changed = changed_fields(current, values)
        if not changed:
            return current
        for name in changed:
            setattr(current, name, values[name])
        current.recorded_by = person_behind(actor)
        current.save(update_fields=[*changed, "recorded_by", "updated_at"])
        action = AuditAction.UPDATE
    audit_record(
        actor=actor,
        action=action,
        object_type=AreaDeprivation,
        object_id=current.pk,
        patient_id=patient.pk,
        detail={"fields": changed},
    )
    _refresh(actor, patient)
    return current
