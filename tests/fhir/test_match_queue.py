"""A FHIR patient nobody matched is worked in the same match queue as an ADT message."""

import pytest
from django.urls import reverse

from apps.interop.models import PatientMatchRequest
from tests.fhir import generate
from tests.fhir.conftest import write_ndjson


@pytest.mark.django_db
def test_a_waiting_fhir_patient_shows_in_the_match_queue_and_its_page(
    tmp_path, organisation, nurse, run_import, client_for
):
    resources = generate.patient_resources(9, "HOSPITAL-9", organisation.pk)
    run_import(write_ndjson(tmp_path / "p.ndjson", resources[:1]), source="Riverside")
    request = PatientMatchRequest.objects.get()
    client = client_for(nurse)

    queue = client.get(reverse("interop:match_queue"))
    detail = client.get(reverse("interop:match_detail", args=[request.pk]))

    assert queue.status_code == 200
    assert "FHIR Patient" in queue.content.decode()
    assert "FHIR import from Riverside" in queue.content.decode()
    assert detail.status_code == 200
    assert "Family9" in detail.content.decode()
    assert "HOSPITAL-9" in detail.content.decode()
