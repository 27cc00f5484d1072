"""CSV panel import: every bad row reported by line, all or nothing, dry run, admin door."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from apps.patients.models import (
    Condition,
    Encounter,
    ImportStatus,
    PanelImportJob,
    Patient,
    PatientComplexity,
)
from apps.patients.services.panel_import import panel_import_run, panel_import_submit

HEADER = (
    "record,mrn,care_team,given_name,family_name,date_of_birth,sex,code,onset_date,"
    "kind,admit_date,discharge_date,attending_provider,facility,cost\n"
)
GOOD = HEADER + (
    "patient,IMP1,Northside,Ana,Lopez,1948-02-03,female,,,,,,,,\n"
    "condition,IMP1,,,,,,I50.9,2020-01-01,,,,,,\n"
    "condition,IMP1,,,,,,N18.4,,,,,,,\n"
    "condition,IMP1,,,,,,E11.22,,,,,,,\n"
    "encounter,IMP1,,,,,,,,ed,2026-01-05,2026-01-05,Dr. Park,General,850.00\n"
    "encounter,IMP1,,,,,,,,inpatient,2026-02-01,2026-02-05,Dr. Park,General,14000\n"
    "condition,MRN0001,,,,,,J44.9,,,,,,,\n"
)
BAD = HEADER + (
    "patient,IMP2,Northside,Ben,Ruiz,1950-01-01,male,,,,,,,,\n"
    "condition,IMP2,,,,,,E11.99,,,,,,,\n"
    "encounter,IMP2,,,,,,,,inpatient,2026-02-05,2026-02-01,,,\n"
    "patient,IMP3,Nowhere,Cy,Ng,2090-01-01,robot,,,,,,,,\n"
    "condition,NOPE,,,,,,I50.9,,,,,,,\n"
    "allergy,IMP2,,,,,,,,,,,,,\n"
    "condition,IMP2,,,,,,J44.9,,,,,,,\n"
)


def _run(actor, organisation, content, dry_run=False):
    job = panel_import_submit(
        actor=actor,
        organisation=organisation,
        file_name="panel.csv",
        content=content.encode(),
        dry_run=dry_run,
        enqueue=False,
    )
    return panel_import_run(job_id=job.pk)


def _counts():
    return Patient.objects.count(), Condition.objects.count(), Encounter.objects.count()


def test_a_good_file_imports_everything_and_scores_it(org_admin, organisation, team, patient):
    job = _run(org_admin, organisation, GOOD)
    assert job.status == ImportStatus.SUCCEEDED
    assert job.counts == {"patients": 1, "conditions": 4, "encounters": 2}
    assert job.content == ""
    imported = Patient.objects.get(mrn="IMP1")
    assert imported.care_team == team
    complexity = PatientComplexity.objects.get(patient=imported)
    assert (complexity.cci, complexity.ed_visits_12m + complexity.admissions_12m) == (4, 2)
    assert PatientComplexity.objects.get(patient=patient).charlson_categories == [
        "chronic_pulmonary"
    ]


def test_every_bad_row_is_reported_by_line_and_nothing_is_imported(org_admin, organisation, team):
    before = _counts()
    job = _run(org_admin, organisation, BAD)
    assert job.status == ImportStatus.REJECTED
    by_line = {row["line"]: row["errors"] for row in job.errors}
    assert set(by_line) == {3, 4, 5, 6, 7}
    assert "E11.99 is not an ICD-10-CM code" in by_line[3]["code"][0]
    assert "before the admission" in by_line[4]["discharge_date"][0]
    assert set(by_line[5]) == {"care_team", "date_of_birth", "sex"}
    assert "No patient with MRN NOPE" in by_line[6]["mrn"][0]
    assert "record" in by_line[7]
    assert _counts() == before
    assert job.content == ""


def test_a_dry_run_checks_and_imports_nothing(org_admin, organisation, team):
    before = _counts()
    job = _run(
        org_admin,
        organisation,
        GOOD.replace("MRN0001", "IMP1").replace("J44.9", "B20"),
        dry_run=True,
    )
    assert job.status == ImportStatus.SUCCEEDED
    assert job.counts == {"patients": 1, "conditions": 4, "encounters": 2}
    assert _counts() == before


def test_a_rerun_of_the_same_job_does_nothing(org_admin, organisation, team):
    job = _run(org_admin, organisation, GOOD.replace("MRN0001", "IMP1").replace("J44.9", "B20"))
    assert panel_import_run(job_id=job.pk) is None
    assert Patient.objects.filter(mrn="IMP1").count() == 1


def test_a_duplicate_mrn_and_a_duplicate_active_code_are_bad_rows(
    org_admin, organisation, team, patient
):
    content = HEADER + (
        "patient,MRN0001,Northside,Rosa,Garcia,1950-01-01,,,,,,,,,\n"
        "condition,MRN0001,,,,,,I50.9,,,,,,,\n"
        "condition,MRN0001,,,,,,i509,,,,,,,\n"
    )
    job = _run(org_admin, organisation, content)
    lines = {row["line"]: row["errors"] for row in job.errors}
    assert set(lines) == {2, 4}
    assert not Condition.objects.exists()


def test_only_an_organisation_admin_submits(nurse, organisation):
    with pytest.raises(PermissionDenied):
        panel_import_submit(
            actor=nurse, organisation=organisation, file_name="x.csv", content=GOOD, dry_run=True
        )
    assert not PanelImportJob.objects.exists()


def test_admin_upload_queues_a_job_and_its_page_polls_progress(
    client_for, org_admin, team, patient, django_capture_on_commit_callbacks
):
    client = client_for(org_admin)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("admin:patients_panelimportjob_add"),
            {"file": SimpleUploadedFile("panel.csv", GOOD.encode()), "dry_run": "on"},
        )
    assert response.status_code == 302
    job = PanelImportJob.objects.get()
    assert len(callbacks) == 1
    page = client.get(response["Location"]).content.decode()
    progress_url = reverse("admin:patients_panelimportjob_progress", args=[job.pk])
    assert f'hx-get="{progress_url}"' in page
    assert 'hx-trigger="every 1s"' in page
    panel_import_run(job_id=job.pk)
    done = client.get(progress_url).content.decode()
    assert "Would import: 1 patients, 4 conditions, 2 encounters" in done
    assert "hx-trigger" not in done


def test_admin_sees_bad_rows_by_line(client_for, org_admin, organisation, team):
    job = _run(org_admin, organisation, BAD)
    body = (
        client_for(org_admin)
        .get(reverse("admin:patients_panelimportjob_progress", args=[job.pk]))
        .content.decode()
    )
    assert "5 bad rows: nothing was imported." in body
    assert "<td>3</td>" in body


def test_management_command_reports_bad_rows(org_admin, team, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(BAD)
    with pytest.raises(CommandError, match="5 bad row"):
        call_command("import_panel", str(path), "--as", org_admin.username)
    assert "line 3 (condition)" in capsys.readouterr().out
    assert not Patient.objects.filter(mrn="IMP2").exists()
