"""Out and back in: a bulk export imported into another organisation gives the same chart."""

import json
from typing import Any

import pytest

from apps.accounts.models import Role
from apps.core.actors import JobActor
from apps.fhir.export import export_folder, fhir_export_run
from apps.fhir.importing.service import IMPORT_JOB, import_path
from apps.interop.models import MatchStatus, PatientMatchRequest
from apps.interop.services import patient_match_resolve
from apps.patients.models import Allergy, Condition, Encounter, Medication, Patient, SdohScreen
from apps.patients.services.clinical import condition_add
from tests import factories
from tests.fhir import generate
from tests.fhir.conftest import validated, write_ndjson

pytestmark = pytest.mark.django_db
ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}
CLINICAL = (
    "Patient,Condition,Encounter,MedicationStatement,AllergyIntolerance,QuestionnaireResponse"
)


def picture(patient: Patient) -> dict[str, Any]:
    """What a clinician reads on the chart, without ids, sources or arrival times."""
    return {
        "conditions": sorted(
            Condition.objects.filter(patient=patient).values_list(
                "code_system", "code", "status", "onset_date", "resolved_date"
            )
        ),
        "encounters": sorted(
            Encounter.objects.filter(patient=patient).values_list(
                "kind", "admit_date", "discharge_date"
            )
        ),
        "medications": sorted(
            Medication.objects.filter(patient=patient).values_list(
                "rxnorm_code", "display", "dose_text", "status", "start_date", "end_date"
            )
        ),
        "allergies": sorted(
            Allergy.objects.filter(patient=patient).values_list(
                "substance_system",
                "substance_code",
                "substance_display",
                "criticality",
                "reaction_text",
                "status",
            )
        ),
        "screens": sorted(
            SdohScreen.objects.filter(patient=patient).values_list(
                "screened_on",
                "living_situation",
                "food_worry",
                "food_ran_out",
                "transportation",
                "utilities",
                "safety_score",
            )
        ),
    }


def test_an_export_imported_into_an_empty_organisation_reproduces_the_clinical_picture(
    tmp_path, settings, client_for, nurse, organisation, patient, run_import,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    settings.FHIR_EXPORT_DIR = tmp_path / "exports"
    # A chart with records from an EHR and some typed in here.
    records = generate.patient_resources(3, patient.mrn, organisation.pk)
    run_import(write_ndjson(tmp_path / "ehr.ndjson", records))
    condition_add(actor=nurse, patient=patient, code="N18.4")
    before = picture(patient)
    assert all(before.values()), before  # one of every kind, or the test proves little

    http = client_for(nurse)
    with django_capture_on_commit_callbacks(execute=False):
        kicked = http.get("/fhir/R4/Patient/$export", {"_type": CLINICAL}, headers=ASYNC)
    export_id = int(kicked["Content-Location"].rstrip("/").rsplit("/", 1)[1])
    fhir_export_run(export_id=export_id)
    folder = export_folder(export_id)
    for path in folder.glob("*.ndjson"):
        for line in path.read_text().splitlines():
            validated(json.loads(line))

    elsewhere = factories.make_organisation("Elsewhere Health")
    team = factories.make_team(elsewhere, "Elsewhere team")
    admin = factories.make_user(
        elsewhere,
        username="elsewhere-admin",
        is_staff=True,
        is_superuser=True,
        profession=Role.ADMIN,
    )
    coordinator = factories.make_member(team, username="elsewhere-rn")
    importer = JobActor(job=IMPORT_JOB, for_user=admin, organisation_id=elsewhere.pk)

    first = import_path(
        actor=importer, organisation_id=elsewhere.pk, source="partner", path=str(folder)
    )
    # Nobody is created on a team by an import: the person waits in the match queue.
    assert not Patient.objects.filter(organisation=elsewhere).exists()
    assert first.counts["Patient"] == {"waiting": 1}
    assert first.counts["Condition"] == {"waiting": 4}
    request = PatientMatchRequest.objects.get(organisation=elsewhere)
    assert request.status == MatchStatus.OPEN

    arrived = factories.make_patient(
        team,
        actor=admin,
        mrn="E-1",
        family_name=patient.family_name,
        given_name=patient.given_name,
        date_of_birth=patient.date_of_birth,
    )
    patient_match_resolve(actor=coordinator, request=request, patient=arrived)
    import_path(actor=importer, organisation_id=elsewhere.pk, source="partner", path=str(folder))

    assert picture(arrived) == before
    again = import_path(
        actor=importer, organisation_id=elsewhere.pk, source="partner", path=str(folder)
    )
    assert picture(arrived) == before  # a second import changes nothing
    assert not {
        outcome
        for counts in again.counts.values()
        for outcome in counts
        if outcome in {"created", "updated"}
    }
