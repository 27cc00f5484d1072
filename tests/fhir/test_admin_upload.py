"""The admin upload page: a worker imports the file, the page polls progress, then reports."""

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.fhir.importing.uploads import fhir_import_run
from apps.fhir.models import FhirImportJob, FhirImportStatus
from apps.fhir.workers import fhir_import_task
from apps.patients.models import Condition
from tests import factories
from tests.fhir import generate


@pytest.fixture
def ndjson(organisation, our_patients) -> bytes:
    mrns = our_patients(2)
    lines = [r for resources in generate.population(mrns, organisation.pk) for r in resources]
    lines.append(
        {
            "resourceType": "Condition",
            "id": "orphan",
            "subject": {"reference": "Patient/x"},
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I10"}]},
        }
    )
    return "".join(json.dumps(r) + "\n" for r in lines).encode()


@pytest.mark.django_db
def test_admin_upload_queues_a_job_whose_page_polls_progress_and_ends_with_a_report(
    client_for, org_admin, ndjson, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.FHIR_IMPORT_DIR = tmp_path / "uploads"
    client = client_for(org_admin)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("admin:fhir_fhirimportjob_add"),
            {"file": SimpleUploadedFile("export.ndjson", ndjson), "source": "General EHR"},
        )

    assert response.status_code == 302
    job = FhirImportJob.objects.get()
    assert len(callbacks) == 1
    page = client.get(response["Location"]).content.decode()
    progress_url = reverse("admin:fhir_fhirimportjob_progress", args=[job.pk])
    assert f'hx-get="{progress_url}"' in page
    assert 'hx-trigger="every 1s"' in page

    fhir_import_task(job.pk)

    job.refresh_from_db()
    assert job.status == FhirImportStatus.SUCCEEDED
    assert job.counts["Condition"] == {"created": 6, "invalid": 1}
    assert Condition.objects.count() == 6
    assert job.stored_path == ""
    assert not list(Path(settings.FHIR_IMPORT_DIR).iterdir())
    done = client.get(progress_url).content.decode()
    assert "hx-trigger" not in done
    assert "Broken reference" in done
    assert "Condition/orphan" in done
    # The report names resources by id only: no patient's name.
    assert "Family1" not in json.dumps(job.errors)
    assert fhir_import_run(job_id=job.pk) is None


@pytest.mark.django_db
def test_a_file_that_is_not_fhir_json_is_refused_on_the_form(
    client_for, org_admin, settings, tmp_path
):
    settings.FHIR_IMPORT_DIR = tmp_path / "uploads"

    response = client_for(org_admin).post(
        reverse("admin:fhir_fhirimportjob_add"),
        {"file": SimpleUploadedFile("panel.csv", b"a,b\n"), "source": "x"},
    )

    assert response.status_code == 200
    assert "Upload a .json Bundle or an .ndjson file." in response.content.decode()
    assert not FhirImportJob.objects.exists()


@pytest.mark.django_db
def test_another_organisations_admin_sees_neither_the_job_nor_its_progress(
    client_for, org_admin, ndjson, settings, tmp_path
):
    settings.FHIR_IMPORT_DIR = tmp_path / "uploads"
    client_for(org_admin).post(
        reverse("admin:fhir_fhirimportjob_add"),
        {"file": SimpleUploadedFile("export.ndjson", ndjson), "source": "General EHR"},
    )
    job = FhirImportJob.objects.get()
    stranger_org = factories.make_organisation()
    stranger = factories.make_staff(
        stranger_org,
        Permission.objects.filter(
            codename__in=["view_fhirimportjob", "add_fhirimportjob", "add_patient"]
        ),
    )

    response = client_for(stranger).get(reverse("admin:fhir_fhirimportjob_progress", args=[job.pk]))

    assert response.status_code == 404


@pytest.mark.django_db
def test_staff_who_may_not_add_patients_cannot_upload(client_for, organisation):
    clerk = factories.make_staff(
        organisation,
        Permission.objects.filter(codename__in=["add_fhirimportjob", "view_fhirimportjob"]),
    )

    response = client_for(clerk).get(reverse("admin:fhir_fhirimportjob_add"))

    assert response.status_code == 403


@pytest.mark.django_db
def test_the_admin_lists_what_each_source_sent_for_its_own_organisation_only(
    client_for, org_admin, organisation, tmp_path, run_import, our_patients
):
    mrns = our_patients(1)
    generate.write_ndjson(tmp_path / "export", mrns, organisation.pk)
    run_import(tmp_path / "export")
    stranger = factories.make_staff(
        factories.make_organisation(), Permission.objects.filter(codename="view_fhirimportrecord")
    )

    ours = client_for(org_admin).get(reverse("admin:fhir_fhirimportrecord_changelist"))
    theirs = client_for(stranger).get(reverse("admin:fhir_fhirimportrecord_changelist"))

    assert ours.status_code == 200
    assert "condition-1-0" in ours.content.decode()
    assert theirs.status_code == 200
    assert "condition-1-0" not in theirs.content.decode()
