"""AHC HRSN screens arriving as an Observation panel or a QuestionnaireResponse."""

import pytest
from django.utils import timezone

from apps.fhir import systems
from apps.patients.models import PatientComplexity, SdohScreen
from tests.fhir import generate
from tests.fhir.conftest import write_ndjson


def _patient(patient, organisation):
    return {
        "resourceType": "Patient",
        "id": "p-1",
        "identifier": [{"system": systems.mrn_system(organisation.pk), "value": patient.mrn}],
    }


def _component(code, value):
    return {"code": {"coding": [{"system": systems.LOINC, "code": code}]}, **value}


@pytest.mark.django_db
def test_an_hrsn_observation_panel_becomes_a_scored_screen(
    tmp_path, organisation, patient, run_import
):
    answers = dict(generate.HRSN_ANSWERS)
    answers["71802-3"] = {"valueString": "not_steady"}
    panel = {
        "resourceType": "Observation",
        "id": "hrsn-obs-1",
        "status": "final",
        "code": {"coding": [{"system": systems.LOINC, "code": systems.LOINC_AHC_HRSN_PANEL}]},
        "subject": {"reference": "Patient/p-1"},
        "effectiveDateTime": timezone.localdate().isoformat(),
        "component": [_component(code, value) for code, value in answers.items()],
    }

    report = run_import(
        write_ndjson(tmp_path / "o.ndjson", [_patient(patient, organisation), panel])
    )

    assert report.counts["Observation"] == {"created": 1}
    screen = SdohScreen.objects.get(patient=patient)
    assert screen.housing_positive
    assert screen.source_system == "ehr"
    assert PatientComplexity.objects.get(patient=patient).hrsn_positive_count >= 1


@pytest.mark.django_db
def test_a_screen_with_an_answer_the_tool_does_not_have_is_reported_and_not_stored(
    tmp_path, organisation, patient, run_import
):
    resources = generate.patient_resources(1, patient.mrn, organisation.pk)
    response = next(r for r in resources if r["resourceType"] == "QuestionnaireResponse")
    response["item"][2]["answer"] = [{"valueString": "every day"}]

    report = run_import(write_ndjson(tmp_path / "q.ndjson", [resources[0], response]))

    assert report.counts["QuestionnaireResponse"] == {"invalid": 1}
    assert "food_worry" in report.problems[0]["reason"]
    # The report names the question, never the patient's answer.
    assert "every day" not in report.problems[0]["reason"]
    assert not SdohScreen.objects.exists()
