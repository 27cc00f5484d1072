"""What an import costs the database: a batch's lookups and bookkeeping are a few
statements whatever its size; each new chart row is one INSERT. Resources refused
before they write cost nothing more, and one refused after writing sends its batch
round again the careful way without validating anything twice."""

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from apps.core.models import AuditEvent
from apps.fhir.importing import service
from apps.fhir.models import FhirImportRecord
from apps.patients.models import Condition
from tests.fhir import generate
from tests.fhir.conftest import write_ndjson

# Chart types each written as exactly one row with no follow-on step.
PLAIN = {"Condition", "Encounter", "AllergyIntolerance", "MedicationRequest"}
# Statements of a run besides one INSERT per new chart row: the batch's transaction, its
# lookups (import records, patients by identifier or reference, active conditions), its
# import records and audit events (one INSERT each), and the complex-needs recompute.
OVERHEAD = 40


def _resources(organisation_id, mrns, *, kinds):
    out = []
    for number, mrn in enumerate(mrns, start=1):
        out += [
            r
            for r in generate.patient_resources(number, mrn, organisation_id)
            if r["resourceType"] in kinds
        ]
    return out


def _statements(run_import, path):
    with CaptureQueriesContext(connection) as queries:
        report = run_import(path)
    return report, len(queries)


@pytest.mark.django_db
def test_a_50_resource_ndjson_file_costs_one_insert_a_row_and_a_fixed_overhead(
    tmp_path, organisation, our_patients, run_import
):
    mrns = our_patients(6)
    resources = _resources(organisation.pk, mrns, kinds={"Patient", *PLAIN})[:50]
    path = write_ndjson(tmp_path / "fifty.ndjson", resources)

    report, statements = _statements(run_import, path)

    rows = sum(1 for r in resources if r["resourceType"] != "Patient")
    assert len(resources) == 50
    assert report.problems == []
    assert report.total("created") == rows
    assert statements <= rows + OVERHEAD


@pytest.mark.django_db
def test_the_statements_beyond_one_insert_a_row_do_not_grow_with_the_batch(
    tmp_path, organisation, our_patients, run_import
):
    mrns = our_patients(24)
    small = _resources(organisation.pk, mrns[:6], kinds={"Patient", *PLAIN})
    large = _resources(organisation.pk, mrns[6:], kinds={"Patient", *PLAIN})

    small_report, small_statements = _statements(
        run_import, write_ndjson(tmp_path / "small.ndjson", small)
    )
    large_report, large_statements = _statements(
        run_import, write_ndjson(tmp_path / "large.ndjson", large)
    )

    assert len(large) == 3 * len(small)
    assert small_report.total("created") > 0
    small_overhead = small_statements - small_report.total("created")
    large_overhead = large_statements - large_report.total("created")
    assert large_overhead <= small_overhead
    assert large_overhead <= OVERHEAD


@pytest.mark.django_db
def test_records_of_patients_from_an_earlier_import_find_them_in_one_lookup(
    tmp_path, organisation, our_patients, run_import
):
    mrns = our_patients(10)
    run_import(
        write_ndjson(
            tmp_path / "patients.ndjson", _resources(organisation.pk, mrns, kinds={"Patient"})
        )
    )
    conditions = _resources(organisation.pk, mrns, kinds={"Condition"})

    report, statements = _statements(run_import, write_ndjson(tmp_path / "c.ndjson", conditions))

    assert report.counts["Condition"] == {"created": len(conditions)}
    assert statements <= len(conditions) + OVERHEAD


@pytest.mark.django_db
def test_resources_refused_before_they_write_cost_no_extra_statements(
    tmp_path, organisation, our_patients, run_import
):
    mrns = our_patients(4)
    resources = _resources(organisation.pk, mrns, kinds={"Patient", *PLAIN})
    broken = [
        {"resourceType": "Condition", "id": f"no-subject-{n}", "code": {"text": "x"}}
        for n in range(10)
    ]
    path = write_ndjson(tmp_path / "mixed.ndjson", [*resources, *broken, "not json"])

    report, statements = _statements(run_import, path)

    assert report.invalid == 11
    assert statements <= report.total("created") + OVERHEAD


@pytest.mark.django_db
def test_a_batch_sent_round_again_validates_each_resource_once_and_writes_each_once(
    tmp_path, organisation, our_patients, run_import, monkeypatch
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
    validated: list[str] = []
    real = service.get_fhir_model_class

    def counting(name):
        validated.append(name)
        return real(name)

    monkeypatch.setattr(service, "get_fhir_model_class", counting)
    path = write_ndjson(
        tmp_path / "c.ndjson", [resources[0], conditions[1], backwards, conditions[2]]
    )

    report = run_import(path)

    assert sorted(validated) == ["Condition", "Condition", "Condition", "Patient"]
    assert report.counts["Condition"] == {"created": 2, "invalid": 1}
    assert report.problems[0]["position"] == "c.ndjson line 3"
    assert Condition.objects.count() == 2
    assert FhirImportRecord.objects.filter(resource_type="Condition").count() == 2
    assert AuditEvent.objects.filter(object_type="patients.condition").count() == 2


@pytest.mark.django_db
def test_a_record_padded_to_50_resources_imports_its_visits_and_skips_its_vital_signs(
    tmp_path, organisation, our_patients, run_import
):
    mrns = our_patients(2)
    written = generate.write_ndjson(tmp_path / "long", mrns, organisation.pk, per_patient=50)

    report = run_import(tmp_path / "long")

    assert sum(written.values()) == 100
    assert report.problems == []
    assert report.counts["Encounter"] == {"created": 40}
    assert report.counts["Observation"] == {"skipped": 38}


@pytest.mark.django_db
def test_a_batch_whose_import_records_are_refused_at_its_end_is_imported_the_careful_way(
    tmp_path, organisation, our_patients, run_import, monkeypatch
):
    mrns = our_patients(2)
    resources = _resources(organisation.pk, mrns, kinds={"Patient", *PLAIN})
    refused: list[int] = []
    real = FhirImportRecord.objects.bulk_create

    def refuse_once(rows, *args, **kwargs):
        if not refused:
            refused.append(len(rows))
            raise IntegrityError("another import of the same source got there first")
        return real(rows, *args, **kwargs)

    monkeypatch.setattr(FhirImportRecord.objects, "bulk_create", refuse_once)

    report = run_import(write_ndjson(tmp_path / "r.ndjson", resources))

    rows = len(resources) - 2
    assert refused
    assert report.problems == []
    assert report.total("created") == rows
    assert Condition.objects.count() == 6
    assert FhirImportRecord.objects.count() == len(resources)
    assert AuditEvent.objects.filter(action="create", object_type="patients.condition").count() == 6
