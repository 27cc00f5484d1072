"""Records flowing in: counts, idempotence, versions, bad resources, the match queue."""

import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.core.models import AuditEvent
from apps.fhir import systems
from apps.fhir.models import FhirImportRecord
from apps.interop.models import MatchStatus, PatientMatchRequest
from apps.interop.services import patient_match_resolve
from apps.patients.models import (
    Allergy,
    Appointment,
    ClinicalDocument,
    Condition,
    Encounter,
    Medication,
    MedicationStatus,
    Patient,
    PatientComplexity,
    SdohScreen,
)
from apps.patients.services.clinical import condition_add
from tests.fhir import generate
from tests.fhir.conftest import write_ndjson

CHART_MODELS = (
    Condition,
    Encounter,
    Allergy,
    Medication,
    Appointment,
    ClinicalDocument,
    SdohScreen,
)


def _rows() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in CHART_MODELS}


@pytest.mark.django_db
def test_generated_population_of_20_patients_imports_with_the_expected_counts(
    tmp_path, organisation, our_patients, run_import
):
    mrns = our_patients(20)
    written = generate.write_ndjson(tmp_path / "export", mrns, organisation.pk)

    report = run_import(tmp_path / "export")

    assert written == {kind: 20 * n for kind, n in generate.PER_PATIENT.items()}
    assert report.problems == []
    assert report.counts["Patient"] == {"matched": 20}
    assert report.counts["Condition"] == {"created": 60}
    assert report.counts["Observation"] == {"skipped": 20}
    assert _rows() == {
        "Condition": 60,
        "Encounter": 40,
        "Allergy": 20,
        "Medication": 60,
        "Appointment": 20,
        "ClinicalDocument": 20,
        "SdohScreen": 20,
    }
    assert Medication.objects.filter(status=MedicationStatus.STOPPED).count() == 20
    assert ClinicalDocument.objects.filter(is_discharge_summary=True).count() == 20
    row = Condition.objects.first()
    assert row.source_system == "ehr"
    assert row.source_received_at is not None


@pytest.mark.django_db
def test_importing_the_same_records_twice_changes_nothing(
    tmp_path, organisation, our_patients, run_import
):
    mrns = our_patients(3)
    generate.write_ndjson(tmp_path / "export", mrns, organisation.pk)
    run_import(tmp_path / "export")
    before = _rows()
    last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()

    again = run_import(tmp_path / "export")

    assert _rows() == before
    assert again.total("created") == 0
    assert again.total("updated") == 0
    assert again.total("unchanged") == sum(before.values())
    # Nothing written, nothing audited as written.
    assert not AuditEvent.objects.filter(
        action__in=["create", "update"], pk__gt=last_event
    ).exists()


@pytest.mark.django_db
def test_a_newer_version_updates_the_row_and_an_older_one_is_ignored(
    tmp_path, organisation, our_patients, run_import
):
    mrn = our_patients(1)[0]
    resources = generate.patient_resources(1, mrn, organisation.pk)
    patient_resource = resources[0]
    medication = next(r for r in resources if r["resourceType"] == "MedicationRequest")
    medication["meta"] = {"versionId": "2"}
    run_import(write_ndjson(tmp_path / "v2.ndjson", [patient_resource, medication]))

    medication["meta"] = {"versionId": "3"}
    medication["dosageInstruction"] = [{"text": "2 tablets daily"}]
    newer = run_import(write_ndjson(tmp_path / "v3.ndjson", [patient_resource, medication]))
    medication["meta"] = {"versionId": "1"}
    medication["dosageInstruction"] = [{"text": "half a tablet"}]
    older = run_import(write_ndjson(tmp_path / "v1.ndjson", [patient_resource, medication]))

    assert newer.counts["MedicationRequest"] == {"updated": 1}
    assert older.counts["MedicationRequest"] == {"unchanged": 1}
    assert Medication.objects.get().dose_text == "2 tablets daily"
    record = FhirImportRecord.objects.get(resource_type="MedicationRequest")
    assert record.version_id == "3"


@pytest.mark.django_db
def test_bad_resources_are_reported_with_their_position_and_change_nothing(
    tmp_path, organisation, our_patients, run_import
):
    mrn = our_patients(1)[0]
    resources = generate.patient_resources(1, mrn, organisation.pk)
    patient_resource = resources[0]
    condition = next(r for r in resources if r["resourceType"] == "Condition")
    pid = patient_resource["id"]
    wrong_type = {**condition, "id": "bad-1", "subject": {"reference": f"Practitioner/{pid}"}}
    no_subject = {k: v for k, v in condition.items() if k != "subject"} | {"id": "bad-2"}
    unknown_system = {
        **condition,
        "id": "bad-3",
        "code": {"coding": [{"system": "http://example.org/made-up", "code": "X1"}]},
    }
    broken_reference = {**condition, "id": "bad-4", "subject": {"reference": "Patient/nobody"}}
    huge = {
        **condition,
        "id": "bad-5",
        "text": {"status": "generated", "div": f"<div>{'x' * 5_000_000}</div>"},
    }
    path = write_ndjson(
        tmp_path / "bad.ndjson",
        [
            patient_resource,
            wrong_type,
            no_subject,
            unknown_system,
            broken_reference,
            huge,
            "{not json",
            {"resourceType": "NoSuchThing", "id": "bad-7"},
        ],
    )

    report = run_import(path)

    assert _rows() == dict.fromkeys(_rows(), 0)
    problems = {p["position"]: p["reason"] for p in report.problems}
    assert "names a Practitioner" in problems["bad.ndjson line 2"]
    assert "subject" in problems["bad.ndjson line 3"]
    assert "Unknown code system" in problems["bad.ndjson line 4"]
    assert "Broken reference" in problems["bad.ndjson line 5"]
    assert "over" in problems["bad.ndjson line 6"]
    assert "JSON" in problems["bad.ndjson line 7"]
    assert "not a FHIR resource type" in problems["bad.ndjson line 8"]
    assert report.total("invalid") == 7
    assert FhirImportRecord.objects.exclude(resource_type="Patient").count() == 0


@pytest.mark.django_db
def test_an_unmatched_patient_goes_to_the_match_queue_and_its_records_wait(
    tmp_path, organisation, run_import
):
    resources = generate.patient_resources(7, "NOT-OURS-7", organisation.pk)
    path = write_ndjson(tmp_path / "stranger.ndjson", resources)

    report = run_import(path)
    again = run_import(path)

    assert Patient.objects.count() == 0
    assert _rows() == dict.fromkeys(_rows(), 0)
    assert report.counts["Patient"] == {"waiting": 1}
    assert report.counts["Condition"] == {"waiting": 3}
    request = PatientMatchRequest.objects.get()
    assert request.status == MatchStatus.OPEN
    assert request.message is None
    assert request.identifiers == [f"{systems.mrn_system(organisation.pk)}|NOT-OURS-7"]
    assert again.counts["Patient"] == {"waiting": 1}
    assert PatientMatchRequest.objects.count() == 1


@pytest.mark.django_db
def test_icd10_conditions_feed_charlson_and_other_systems_are_kept_not_scored(
    tmp_path, organisation, our_patients, run_import
):
    mrn = our_patients(1)[0]
    generate.write_ndjson(tmp_path / "export", [mrn], organisation.pk)

    run_import(tmp_path / "export")

    patient = Patient.objects.get(mrn=mrn)
    snomed = Condition.objects.get(patient=patient, code_system=systems.SNOMED)
    assert snomed.is_scored is False
    complexity = PatientComplexity.objects.get(patient=patient)
    # E11.9 (diabetes) and I50.9 (heart failure) are scored; the SNOMED finding is not.
    assert complexity.cci == 2
    assert complexity.ed_visits_12m in (0, 1)


@pytest.mark.django_db
def test_an_emergency_encounter_counts_as_an_ed_visit(
    tmp_path, organisation, our_patients, run_import
):
    mrn = our_patients(1)[0]
    resources = generate.patient_resources(1, mrn, organisation.pk, base=timezone.localdate())
    wanted = [r for r in resources if r["resourceType"] in {"Patient", "Encounter"}]

    run_import(write_ndjson(tmp_path / "enc.ndjson", wanted))

    patient = Patient.objects.get(mrn=mrn)
    assert PatientComplexity.objects.get(patient=patient).ed_visits_12m == 1
    assert Encounter.objects.filter(patient=patient, kind="ed").count() == 1


@pytest.mark.django_db
def test_dry_run_reports_and_writes_nothing(tmp_path, organisation, our_patients, org_admin):
    mrns = our_patients(2)
    generate.write_ndjson(tmp_path / "export", mrns, organisation.pk)
    out = tmp_path / "out.txt"

    with out.open("w") as stream:
        call_command(
            "import_fhir",
            str(tmp_path / "export"),
            "--user",
            org_admin.username,
            "--source",
            "ehr",
            "--dry-run",
            stdout=stream,
        )

    text = out.read_text()
    assert "DRY RUN" in text
    assert "Condition: created 6" in text
    assert _rows() == dict.fromkeys(_rows(), 0)
    assert FhirImportRecord.objects.count() == 0


@pytest.mark.django_db
def test_command_imports_a_bundle_folder_and_prints_each_problem(
    tmp_path, organisation, our_patients, org_admin
):
    mrns = our_patients(2)
    generate.write_bundles(tmp_path / "bundles", mrns, organisation.pk)
    (tmp_path / "bundles" / "zz-broken.json").write_text(json.dumps({"resourceType": "Bundle"}))
    out = tmp_path / "out.txt"

    with out.open("w") as stream:
        call_command(
            "import_fhir", str(tmp_path / "bundles"), "--user", org_admin.username, stdout=stream
        )

    text = out.read_text()
    assert "Condition: created 6" in text
    assert "zz-broken.json" in text
    assert Condition.objects.count() == 6


@pytest.mark.django_db
def test_a_resource_a_database_rule_refuses_is_reported_and_the_others_still_import(
    tmp_path, organisation, our_patients, run_import
):
    mrn = our_patients(1)[0]
    resources = generate.patient_resources(1, mrn, organisation.pk)
    conditions = [r for r in resources if r["resourceType"] == "Condition"]
    backwards = {
        **conditions[0],
        "clinicalStatus": {"coding": [{"code": "resolved"}]},
        "onsetDateTime": "2024-05-01",
        "abatementDateTime": "2024-01-01",
    }
    path = write_ndjson(tmp_path / "c.ndjson", [resources[0], backwards, conditions[1]])

    report = run_import(path)

    assert report.counts["Condition"] == {"invalid": 1, "created": 1}
    assert "condition_resolved_after_onset" in report.problems[0]["reason"]
    assert report.problems[0]["position"] == "c.ndjson line 2"
    assert Condition.objects.count() == 1


@pytest.mark.django_db
def test_once_a_coordinator_matches_the_person_a_rerun_imports_the_waiting_records(
    tmp_path, organisation, patient, nurse, run_import
):
    resources = generate.patient_resources(7, "HOSPITAL-7", organisation.pk)
    path = write_ndjson(tmp_path / "stranger.ndjson", resources)
    run_import(path)
    request = PatientMatchRequest.objects.get()

    patient_match_resolve(actor=nurse, request=request, patient=patient)
    again = run_import(path)

    request.refresh_from_db()
    assert request.status == MatchStatus.MATCHED
    assert again.counts["Patient"] == {"matched": 1}
    assert again.counts["Condition"] == {"created": 3}
    assert Condition.objects.filter(patient=patient).count() == 3


@pytest.mark.django_db
def test_a_long_identifier_system_is_linked_whole_and_matches_the_next_run(
    tmp_path, organisation, patient, nurse, run_import
):
    # A state HIE's OID URN and a partner's URL: well over the 64 characters once allowed.
    system = "urn:oid:2.16.840.1.113883.3.7418.1.2.3.4.5.6.7.8.9.10" + ".1234567890" * 8
    assert 100 < len(system) <= 255
    resources = generate.patient_resources(8, "HOSPITAL-8", organisation.pk)
    resources[0]["identifier"][0]["system"] = system
    path = write_ndjson(tmp_path / "long.ndjson", resources)
    run_import(path)

    patient_match_resolve(actor=nurse, request=PatientMatchRequest.objects.get(), patient=patient)
    again = run_import(path)

    assert patient.identifiers.get(value="HOSPITAL-8").assigning_authority == system
    assert again.counts["Patient"] == {"matched": 1}
    assert Condition.objects.filter(patient=patient).count() == 3


@pytest.mark.django_db
def test_an_imported_condition_already_typed_in_by_hand_is_not_duplicated(
    tmp_path, organisation, patient, nurse, run_import
):
    typed = condition_add(actor=nurse, patient=patient, code="E11.9")
    resources = generate.patient_resources(1, patient.mrn, organisation.pk)
    wanted = [r for r in resources if r["resourceType"] in {"Patient", "Condition"}]

    report = run_import(write_ndjson(tmp_path / "c.ndjson", wanted))

    assert report.counts["Condition"] == {"updated": 1, "created": 2}
    assert Condition.objects.filter(patient=patient, code="E11.9").count() == 1
    typed.refresh_from_db()
    assert typed.source_system == "ehr"
