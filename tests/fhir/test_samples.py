"""The sample files (shapes of Synthea, Gravity SDOHCC and bulk export) import as expected."""

from pathlib import Path

import pytest

from apps.patients.models import (
    Allergy,
    Appointment,
    ClinicalDocument,
    Condition,
    Encounter,
    Medication,
    PatientIdentifier,
    SdohScreen,
)

SAMPLES = Path(__file__).parent / "samples"


@pytest.mark.django_db
def test_the_sample_folder_imports_every_kept_resource_and_skips_the_rest(
    patient, organisation, run_import
):
    PatientIdentifier.objects.create(
        patient=patient,
        organisation=organisation,
        assigning_authority="http://hospital.example.org/fhir/mrn",
        value="H-40021",
    )

    report = run_import(SAMPLES, source="Riverside")

    assert report.problems == []
    assert report.counts["Patient"] == {"matched": 1}
    assert report.counts["Claim"] == {"skipped": 1}
    assert Encounter.objects.get(patient=patient).kind == "inpatient"
    assert Condition.objects.filter(patient=patient).count() == 2
    assert Medication.objects.get(patient=patient).dose_text == "one tablet each morning"
    assert Allergy.objects.get(patient=patient).substance_display == "Latex"
    assert ClinicalDocument.objects.get(patient=patient).is_discharge_summary
    assert Appointment.objects.get(patient=patient).location == "Eastside Clinic"
    screen = SdohScreen.objects.get(patient=patient)
    assert screen.living_situation == "worried"
    assert screen.housing_problems == ["mold", "leaks"]
    assert screen.positive_domains == ["housing", "food", "transportation"]
    assert screen.safety_score == 5
