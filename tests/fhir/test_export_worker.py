"""The bulk export on a real Celery worker: kick-off, polling, then the files."""

import json

import pytest

from tests import workers


@pytest.fixture
def queue(transactional_db):
    with workers.private_queue("test-fhir") as name:
        yield name


@pytest.mark.celery_worker
def test_a_real_worker_writes_the_export_the_status_url_then_lists(
    processes, queue, client_for, nurse, chart, settings, tmp_path
):
    settings.FHIR_EXPORT_DIR = tmp_path
    worker = processes.worker(queue, name="fhir-export", env={"FHIR_EXPORT_DIR": str(tmp_path)})
    http = client_for(nurse)

    kicked = http.get("/fhir/R4/Patient/$export", headers={"Prefer": "respond-async"})
    status_url = kicked["Content-Location"]
    workers.wait_for(
        lambda: http.get(status_url).status_code == 200,
        workers=(worker,),
        timeout=90,
        what="the export",
    )

    manifest = http.get(status_url).json()
    patient_file = next(item for item in manifest["output"] if item["type"] == "Patient")
    body = b"".join(http.get(patient_file["url"]).streaming_content).decode()
    assert [json.loads(line)["id"] for line in body.splitlines()] == [str(chart.pk)]
