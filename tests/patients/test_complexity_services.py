"""Recording evidence: validated, permission-checked, audited, and the flag follows at once."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditEvent
from apps.patients.models import (
    AreaDeprivation,
    Condition,
    ConditionStatus,
    Encounter,
    PatientComplexity,
    SdohScreen,
)
from apps.patients.services import clinical
from tests.patients.factories import NEGATIVE_SCREEN, add_conditions, days_ago, make_complex, screen


def _counts():
    return (
        Condition.objects.count(),
        Encounter.objects.count(),
        SdohScreen.objects.count(),
        AreaDeprivation.objects.count(),
        PatientComplexity.objects.count(),
        AuditEvent.objects.exclude(action=AuditAction.VIEW).count(),
    )


def test_adding_a_condition_normalizes_the_code_audits_and_rescores(nurse, patient):
    condition = clinical.condition_add(actor=nurse, patient=patient, code="i509")
    assert (condition.code, condition.status) == ("I50.9", ConditionStatus.ACTIVE)
    assert condition.title == "Heart failure, unspecified"
    event = AuditEvent.objects.filter(object_type="patients.condition").get()
    assert (event.action, event.patient_id, event.actor) == (AuditAction.CREATE, patient.pk, nurse)
    complexity = PatientComplexity.objects.get(patient=patient)
    assert complexity.cci == 2
    assert complexity.charlson_categories == ["heart_failure"]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("E11.99", "not an ICD-10-CM code"),
        ("XYZ", "not shaped like"),
        ("", "Enter"),
        ("K72", "enter the specific code"),
    ],
)
def test_unknown_or_malformed_code_is_a_field_error_and_writes_nothing(
    nurse, patient, code, message
):
    before = _counts()
    with pytest.raises(ApplicationError) as refused:
        clinical.condition_add(actor=nurse, patient=patient, code=code)
    assert message in refused.value.field_errors["code"][0]
    assert _counts() == before


def test_the_same_code_cannot_be_active_twice(nurse, patient):
    clinical.condition_add(actor=nurse, patient=patient, code="J44.9")
    with pytest.raises(ApplicationError) as refused:
        clinical.condition_add(actor=nurse, patient=patient, code="j449")
    assert "already active" in refused.value.field_errors["code"][0]
    assert Condition.objects.filter(patient=patient).count() == 1


def test_onset_in_the_future_is_refused(nurse, patient):
    with pytest.raises(ApplicationError) as refused:
        clinical.condition_add(actor=nurse, patient=patient, code="J44.9", onset_date=days_ago(-3))
    assert "onset_date" in refused.value.field_errors
    assert not Condition.objects.exists()


@pytest.mark.parametrize("member", ["pharmacist", "social_worker", "chw", "outsider"])
def test_roles_without_record_clinical_data_cannot_add_conditions_or_encounters(
    request, patient, member
):
    user = request.getfixturevalue(member)
    before = _counts()
    with pytest.raises(PermissionDenied):
        clinical.condition_add(actor=user, patient=patient, code="I50.9")
    with pytest.raises(PermissionDenied):
        clinical.encounter_add(actor=user, patient=patient, kind="ed", admit_date=days_ago(1))
    assert _counts() == before


@pytest.mark.parametrize("member", ["nurse", "pcp", "specialist"])
def test_clinical_roles_record_conditions(request, patient, member):
    user = request.getfixturevalue(member)
    clinical.condition_add(actor=user, patient=patient, code="I50.9")
    assert Condition.objects.filter(patient=patient, recorded_by=user).exists()


def test_resolving_a_condition_stops_it_scoring(nurse, patient):
    add_conditions(nurse, patient, "I50.9", "C78.01")
    assert PatientComplexity.objects.get(patient=patient).cci == 8
    condition = Condition.objects.get(code="C78.01")
    clinical.condition_resolve(actor=nurse, condition=condition, resolved_date=days_ago(0))
    condition.refresh_from_db()
    assert condition.status == ConditionStatus.RESOLVED
    assert PatientComplexity.objects.get(patient=patient).cci == 2
    with pytest.raises(ApplicationError, match="already resolved"):
        clinical.condition_resolve(actor=nurse, condition=condition)


def test_resolution_before_onset_is_refused(nurse, patient):
    condition = clinical.condition_add(
        actor=nurse, patient=patient, code="I50.9", onset_date=days_ago(10)
    )
    with pytest.raises(ApplicationError) as refused:
        clinical.condition_resolve(actor=nurse, condition=condition, resolved_date=days_ago(20))
    assert "before the onset" in refused.value.field_errors["resolved_date"][0]
    condition.refresh_from_db()
    assert condition.status == ConditionStatus.ACTIVE


def test_discharge_before_admission_is_refused_and_nothing_written(nurse, patient):
    before = _counts()
    with pytest.raises(ApplicationError) as refused:
        clinical.encounter_add(
            actor=nurse,
            patient=patient,
            kind="inpatient",
            admit_date=days_ago(3),
            discharge_date=days_ago(5),
        )
    assert "before the admission" in refused.value.field_errors["discharge_date"][0]
    assert _counts() == before


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "spa"}, "kind"),
        ({"cost": "-5"}, "cost"),
        ({"cost": "lots"}, "cost"),
        ({"admit_date": None}, "admit_date"),
        ({"discharge_date": days_ago(-2)}, "discharge_date"),
    ],
)
def test_bad_encounter_fields_are_refused(nurse, patient, values, field):
    arguments = {"kind": "inpatient", "admit_date": days_ago(3)} | values
    with pytest.raises(ApplicationError) as refused:
        clinical.encounter_add(actor=nurse, patient=patient, **arguments)
    assert field in refused.value.field_errors
    assert not Encounter.objects.exists()


def test_encounters_feed_utilization(nurse, patient):
    clinical.encounter_add(
        actor=nurse,
        patient=patient,
        kind="inpatient",
        admit_date=days_ago(10),
        discharge_date=days_ago(6),
        cost="12000.50",
        attending_provider="Dr. Adeyemi",
    )
    clinical.encounter_add(actor=nurse, patient=patient, kind="ed", admit_date=days_ago(2))
    clinical.encounter_add(actor=nurse, patient=patient, kind="ed", admit_date=days_ago(400))
    complexity = PatientComplexity.objects.get(patient=patient)
    assert (complexity.ed_visits_12m, complexity.admissions_12m) == (1, 1)
    assert complexity.bed_days_12m == 4
    assert str(complexity.cost_12m) == "12000.50"
    assert complexity.utilization_met is True


@pytest.mark.parametrize("member", ["chw", "social_worker", "nurse"])
def test_coordination_roles_run_a_screen_and_it_is_scored(request, patient, member):
    user = request.getfixturevalue(member)
    result = screen(
        user,
        patient,
        food_worry="sometimes",
        safety_hurt=4,
        safety_insult=4,
        safety_threaten=2,
        safety_scream=1,
    )
    assert result.positive_domains == ["food", "safety"]
    assert result.safety_score == 11
    assert result.screened_by == user
    complexity = PatientComplexity.objects.get(patient=patient)
    assert complexity.hrsn_positive_domains == ["food", "safety"]


@pytest.mark.parametrize("member", ["pcp", "pharmacist", "outsider"])
def test_roles_without_record_sdoh_screen_cannot_screen(request, patient, member):
    user = request.getfixturevalue(member)
    with pytest.raises(PermissionDenied):
        screen(user, patient)
    assert not SdohScreen.objects.exists()


def test_an_answer_that_is_not_an_option_is_refused(chw, patient):
    before = _counts()
    with pytest.raises(ApplicationError) as refused:
        clinical.sdoh_screen_record(
            actor=chw,
            patient=patient,
            screened_on=days_ago(0),
            answers=NEGATIVE_SCREEN | {"transportation": "maybe", "safety_scream": 0},
        )
    assert set(refused.value.field_errors) == {"transportation", "safety_scream"}
    assert _counts() == before


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"national_percentile": 0, "state_decile": 5}, "national_percentile"),
        ({"national_percentile": 101, "state_decile": 5}, "national_percentile"),
        ({"national_percentile": "eighty", "state_decile": 5}, "national_percentile"),
        ({"national_percentile": 80, "state_decile": 11}, "state_decile"),
        ({"national_percentile": 80}, "state_decile"),
        ({"suppression_code": "XX"}, "suppression_code"),
        ({"suppression_code": "PH", "national_percentile": 80}, "suppression_code"),
        ({"national_percentile": 80, "state_decile": 8, "block_group": "12"}, "block_group"),
    ],
)
def test_bad_adi_is_refused_and_nothing_changes(nurse, patient, values, field):
    before = _counts()
    with pytest.raises(ApplicationError) as refused:
        clinical.patient_area_deprivation_set(actor=nurse, patient=patient, **values)
    assert field in refused.value.field_errors
    assert _counts() == before


def test_adi_value_then_suppression_code(nurse, patient):
    clinical.patient_area_deprivation_set(
        actor=nurse, patient=patient, national_percentile="88", state_decile=9
    )
    assert PatientComplexity.objects.get(patient=patient).adi_percentile == 88
    adi = clinical.patient_area_deprivation_set(actor=nurse, patient=patient, suppression_code="gq")
    assert (adi.national_percentile, adi.state_decile, adi.suppression_code) == (None, None, "GQ")
    complexity = PatientComplexity.objects.get(patient=patient)
    assert (complexity.adi_percentile, complexity.adi_suppression) == (None, "GQ")
    assert AuditEvent.objects.filter(object_type="patients.areadeprivation").count() == 2


@pytest.mark.parametrize("member", ["pcp", "social_worker", "chw", "outsider"])
def test_adi_needs_change_patient_record(request, patient, member):
    user = request.getfixturevalue(member)
    with pytest.raises(PermissionDenied):
        clinical.patient_area_deprivation_set(
            actor=user, patient=patient, national_percentile=90, state_decile=9
        )
    assert not AreaDeprivation.objects.exists()


def test_flag_appears_when_all_three_domains_cross_and_says_why(nurse, patient):
    make_complex(nurse, patient)
    complexity = PatientComplexity.objects.get(patient=patient)
    assert complexity.is_complex is True
    assert complexity.summary.startswith("Complex needs")
    assert "Charlson index 5 reaches 3" in complexity.summary
    assert "congestive heart failure (2)" in complexity.summary
    assert "2 ED visits and 0 admissions in 12 months reach 2" in complexity.summary
    assert "ADI national percentile 91 reaches 80" in complexity.summary


def test_resolving_evidence_removes_the_flag_and_names_the_short_domain(nurse, patient):
    make_complex(nurse, patient)
    for code in ("I50.9", "N18.4"):
        clinical.condition_resolve(actor=nurse, condition=Condition.objects.get(code=code))
    complexity = PatientComplexity.objects.get(patient=patient)
    assert complexity.is_complex is False
    assert complexity.summary.startswith("Not flagged: clinical falls short")
    assert "Charlson index 2 is below 3" in complexity.summary
    assert "utilization" not in complexity.summary


def test_an_old_screen_no_longer_counts(chw, patient):
    screen(chw, patient, days=400, food_worry="often")
    complexity = PatientComplexity.objects.get(patient=patient)
    assert complexity.hrsn_positive_domains == []
    assert "no HRSN screen in 12 months" in complexity.reasons["social"]["text"]
    screen(chw, patient, days=3, transportation="yes")
    screen(chw, patient, days=30, food_worry="often")
    complexity = PatientComplexity.objects.get(patient=patient)
    assert complexity.hrsn_positive_domains == ["transportation"]
    assert complexity.hrsn_screened_on == timezone.localdate() - timedelta(days=3)
