"""A new medication reconciliation starts from the chart's active medication list."""

import pytest

from apps.patients.models import Medication, MedicationStatus
from apps.transitions.models import MedicationClass
from apps.transitions.services import reconciliation_start
from tests.transitions.factories import discharged_home


@pytest.mark.django_db
def test_a_new_reconciliation_starts_with_the_active_medications_as_the_before_list(patient, nurse):
    Medication.objects.create(patient=patient, display="metformin 500 MG", dose_text="500 mg bd")
    Medication.objects.create(patient=patient, display="amlodipine 5 MG")
    Medication.objects.create(
        patient=patient, display="old antibiotic", status=MedicationStatus.STOPPED
    )
    handoff = discharged_home(patient, schedule=False)

    reconciliation = reconciliation_start(actor=nurse, handoff=handoff)

    lines = {line.name: line for line in reconciliation.lines.all()}
    assert set(lines) == {"metformin 500 MG", "amlodipine 5 MG"}
    assert lines["metformin 500 MG"].pre_dose == "500 mg bd"
    assert all(line.on_pre_admission and not line.on_discharge for line in lines.values())
    # Until the discharge list speaks, each one is a discrepancy to resolve.
    assert {line.classification for line in lines.values()} == {MedicationClass.OMISSION}


@pytest.mark.django_db
def test_opening_the_reconciliation_again_does_not_add_the_list_twice(patient, nurse):
    Medication.objects.create(patient=patient, display="metformin 500 MG")
    handoff = discharged_home(patient, schedule=False)

    reconciliation_start(actor=nurse, handoff=handoff)
    again = reconciliation_start(actor=nurse, handoff=handoff)

    assert again.lines.count() == 1
