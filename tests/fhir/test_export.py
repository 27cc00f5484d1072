"""Bulk data $export: kick-off, status polling, NDJSON files for the requester only."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.models import AuditAction, AuditEvent
from apps.fhir.export import export_folder, fhir_export_cleanup, fhir_export_run
from apps.fhir.models import ExportStatus, FhirExport
from tests.factories import make_patient
from tests.fhir.conftest import validated

pytestmark = pytest.mark.django_db
ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.FHIR_EXPORT_DIR = tmp_path / "exports"


def kick_off(http, url, django_capture_on_commit_callbacks, **params):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = http.get(url, params, headers=ASYNC)
    return response, queued


def run_job(status_url: str) -> FhirExport:
    export_id = int(status_url.rstrip("/").rsplit("/", 1)[1])
    fhir_export_run(export_id=export_id)
    return FhirExport.objects.get(pk=export_id)


def test_patient_export_answers_202_then_a_manifest_of_ndjson_files(
    client_for, nurse, chart, other_patient, django_capture_on_commit_callbacks
):
    http = client_for(nurse)

    response, queued = kick_off(
        http, "/fhir/R4/Patient/$export", django_capture_on_commit_callbacks
    )
    status_url = response["Content-Location"]
    pending = http.get(status_url)
    run_job(status_url)
    done = http.get(status_url)

    assert response.status_code == 202
    assert len(queued) == 1
    assert pending.status_code == 202
    assert "X-Progress" in pending
    assert done.status_code == 200
    manifest = done.json()
    assert manifest["requiresAccessToken"] is True
    files = {item["type"]: item for item in manifest["output"]}
    assert {"Patient", "Condition", "Encounter", "Task", "ServiceRequest"} <= set(files)
    patients = http.get(files["Patient"]["url"], headers={"Accept": "application/fhir+ndjson"})
    lines = b"".join(patients.streaming_content).decode().splitlines()
    resources = [validated(json.loads(line)) for line in lines]
    assert [resource["id"] for resource in resources] == [str(chart.pk)]  # not the other team's
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, patient_ids=[chart.pk]).exists()


def test_type_and_since_limit_what_is_written(
    client_for, nurse, chart, django_capture_on_commit_callbacks
):
    http = client_for(nurse)
    later = (timezone.now() + timedelta(hours=1)).isoformat()

    typed, _ = kick_off(
        http, "/fhir/R4/Patient/$export", django_capture_on_commit_callbacks, _type="Condition"
    )
    since, _ = kick_off(
        http, "/fhir/R4/Patient/$export", django_capture_on_commit_callbacks, _since=later
    )
    typed_export = run_job(typed["Content-Location"])
    since_export = run_job(since["Content-Location"])

    assert [item["type"] for item in typed_export.output] == ["Condition"]
    assert since_export.output == []


def test_group_export_is_one_visible_team_and_other_teams_are_404(
    client_for, nurse, team, other_team, chart, org_admin, django_capture_on_commit_callbacks
):
    make_patient(team, actor=org_admin)
    http = client_for(nurse)

    ours, _ = kick_off(
        http, f"/fhir/R4/Group/{team.pk}/$export", django_capture_on_commit_callbacks
    )
    theirs, _ = kick_off(
        http, f"/fhir/R4/Group/{other_team.pk}/$export", django_capture_on_commit_callbacks
    )
    export = run_job(ours["Content-Location"])

    assert theirs.status_code == 404
    assert {item["type"]: item["count"] for item in export.output}["Patient"] == 2


def test_without_prefer_respond_async_or_with_an_unknown_type_is_a_400(client_for, nurse, chart):
    http = client_for(nurse)

    plain = http.get("/fhir/R4/Patient/$export")
    bad_type = http.get("/fhir/R4/Patient/$export", {"_type": "Spaceship"}, headers=ASYNC)
    bad_since = http.get(
        "/fhir/R4/Patient/$export", {"_since": "2020-13-45T00:00:00Z"}, headers=ASYNC
    )

    assert plain.status_code == 400
    assert bad_type.status_code == 400
    assert bad_since.status_code == 400
    assert not FhirExport.objects.exists()


def test_files_and_status_belong_to_the_requester_only(
    client_for, nurse, pcp, chart, django_capture_on_commit_callbacks
):
    response, _ = kick_off(
        client_for(nurse), "/fhir/R4/Patient/$export", django_capture_on_commit_callbacks
    )
    export = run_job(response["Content-Location"])
    file_url = f"/fhir/R4/$export-file/{export.pk}/Patient.ndjson"
    colleague = client_for(pcp)

    assert colleague.get(response["Content-Location"]).status_code == 404
    assert colleague.get(file_url).status_code == 404
    assert client_for(nurse).get(file_url).status_code == 200


def test_delete_cancels_the_export_and_removes_its_files(
    client_for, nurse, chart, django_capture_on_commit_callbacks
):
    http = client_for(nurse)
    response, _ = kick_off(http, "/fhir/R4/Patient/$export", django_capture_on_commit_callbacks)
    export = run_job(response["Content-Location"])

    cancelled = http.delete(response["Content-Location"])

    assert cancelled.status_code == 202
    assert not export_folder(export.pk).exists()
    assert http.get(response["Content-Location"]).status_code == 404


def test_a_cancelled_queued_export_writes_nothing(
    client_for, nurse, chart, django_capture_on_commit_callbacks
):
    http = client_for(nurse)
    response, _ = kick_off(http, "/fhir/R4/Patient/$export", django_capture_on_commit_callbacks)
    http.delete(response["Content-Location"])

    export = run_job(response["Content-Location"])

    assert export.status == ExportStatus.CANCELLED
    assert not export_folder(export.pk).exists()


def test_files_expire_after_the_ttl(
    client_for, nurse, chart, settings, django_capture_on_commit_callbacks
):
    settings.FHIR_EXPORT_TTL_HOURS = 2
    http = client_for(nurse)
    response, _ = kick_off(http, "/fhir/R4/Patient/$export", django_capture_on_commit_callbacks)
    export = run_job(response["Content-Location"])

    assert fhir_export_cleanup(timezone.now() + timedelta(hours=1)) == 0
    assert fhir_export_cleanup(timezone.now() + timedelta(hours=3)) == 1

    assert not export_folder(export.pk).exists()
    assert http.get(f"/fhir/R4/$export-file/{export.pk}/Patient.ndjson").status_code == 404


def test_a_system_client_exports_only_types_in_its_scope(
    make_system_client, organisation, chart, django_capture_on_commit_callbacks
):
    http = make_system_client(organisation, scopes="system/Patient.read").http(
        "system/Patient.read"
    )

    allowed, _ = kick_off(http, "/fhir/R4/Patient/$export", django_capture_on_commit_callbacks)
    refused, _ = kick_off(
        http, "/fhir/R4/Patient/$export", django_capture_on_commit_callbacks, _type="Condition"
    )
    export = run_job(allowed["Content-Location"])

    assert refused.status_code == 403
    assert [item["type"] for item in export.output] == ["Patient"]


def test_a_session_cannot_cancel_an_export_without_its_csrf_token(
    nurse, chart, django_capture_on_commit_callbacks
):
    from django.test import Client

    http = Client(enforce_csrf_checks=True)
    http.force_login(nurse)
    response, _ = kick_off(http, "/fhir/R4/Patient/$export", django_capture_on_commit_callbacks)

    refused = http.delete(response["Content-Location"])

    assert refused.status_code == 403
    assert FhirExport.objects.get().status == ExportStatus.QUEUED


def test_an_expired_file_is_not_served_even_before_the_cleanup(
    client_for, nurse, chart, django_capture_on_commit_callbacks
):
    http = client_for(nurse)
    response, _ = kick_off(http, "/fhir/R4/Patient/$export", django_capture_on_commit_callbacks)
    export = run_job(response["Content-Location"])
    FhirExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert http.get(f"/fhir/R4/$export-file/{export.pk}/Patient.ndjson").status_code == 404
    assert http.get(response["Content-Location"]).status_code == 404


def test_the_hourly_cleanup_job_deletes_expired_files(
    client_for, nurse, chart, settings, django_capture_on_commit_callbacks
):
    from apps.fhir.workers import fhir_export_cleanup_task

    http = client_for(nurse)
    response, _ = kick_off(http, "/fhir/R4/Patient/$export", django_capture_on_commit_callbacks)
    export = run_job(response["Content-Location"])
    FhirExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    removed = fhir_export_cleanup_task()

    assert removed == 1
    assert not export_folder(export.pk).exists()
    assert "apps.fhir.workers.fhir_export_cleanup_task" in {
        spec["task"] for spec in settings.CELERY_BEAT_SCHEDULE.values()
    }
