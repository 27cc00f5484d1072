"""POST /fhir/R4/: a partner's transaction Bundle, all or nothing."""

import json

import pytest
from rest_framework.test import APIClient

from apps.fhir.models import FhirImportRecord
from apps.patients.models import Condition, Medication
from tests.factories import make_api_token
from tests.fhir import generate

URL = "/fhir/R4/"
FHIR_JSON = "application/fhir+json"


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {make_api_token(user, days=30)}")
    return client


def _post(client: APIClient, body: object):
    return client.generic("POST", URL, json.dumps(body), content_type=FHIR_JSON)


@pytest.fixture
def our_bundle(organisation, our_patients):
    mrn = our_patients(1)[0]
    return generate.bundle(generate.patient_resources(1, mrn, organisation.pk, urn=True))


@pytest.mark.django_db
def test_an_interface_account_posts_a_transaction_bundle_and_gets_a_transaction_response(
    interface, our_bundle
):
    response = _post(_client(interface), our_bundle)

    assert response.status_code == 200
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = response.json()
    assert body["type"] == "transaction-response"
    assert len(body["entry"]) == len(our_bundle["entry"])
    statuses = [entry["response"]["status"] for entry in body["entry"]]
    assert statuses[0] == "200 OK"  # the Patient, matched
    assert statuses[1] == "201 Created"
    assert Condition.objects.count() == 3
    assert Medication.objects.get(rxnorm_code="860975").source_system == "fhir:fhir-feed"


@pytest.mark.django_db
def test_one_invalid_resource_refuses_the_whole_bundle_with_an_operation_outcome(
    interface, our_bundle
):
    condition = next(e for e in our_bundle["entry"] if e["resource"]["resourceType"] == "Condition")
    del condition["resource"]["subject"]

    response = _post(_client(interface), our_bundle)

    assert response.status_code == 422
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert any("subject" in issue["diagnostics"] for issue in body["issue"])
    assert Condition.objects.count() == 0
    assert Medication.objects.count() == 0
    assert FhirImportRecord.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"resourceType": "Patient"}, 400),
        ({"resourceType": "Bundle", "type": "collection", "entry": []}, 400),
        ("not json", 400),
    ],
)
@pytest.mark.django_db
def test_a_body_that_is_not_a_transaction_bundle_is_a_400_operation_outcome(
    interface, body, status
):
    client = _client(interface)
    raw = body if isinstance(body, str) else json.dumps(body)

    response = client.generic("POST", URL, raw, content_type=FHIR_JSON)

    assert response.status_code == status
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.django_db
def test_only_an_interface_account_may_post_records(nurse, org_admin, our_bundle):
    anonymous = _post(_client(), our_bundle)
    person = _post(_client(nurse), our_bundle)

    assert anonymous.status_code == 401
    assert person.status_code == 403
    assert person.json()["resourceType"] == "OperationOutcome"
    assert Condition.objects.count() == 0


@pytest.mark.django_db
def test_a_body_in_another_media_type_is_a_415_operation_outcome(interface, our_bundle):
    response = _client(interface).generic(
        "POST", URL, json.dumps(our_bundle), content_type="text/plain"
    )

    assert response.status_code == 415
    assert response["Content-Type"].startswith(FHIR_JSON)
    assert response.json()["resourceType"] == "OperationOutcome"
    assert Condition.objects.count() == 0


@pytest.mark.django_db
def test_a_nul_in_a_bundle_or_a_search_is_a_400_operation_outcome_and_changes_nothing(
    interface, nurse, our_bundle
):
    condition = next(e for e in our_bundle["entry"] if e["resource"]["resourceType"] == "Condition")
    condition["resource"]["code"]["text"] = "Heart\x00failure"

    posted = _post(_client(interface), our_bundle)
    searched = _client(nurse).get("/fhir/R4/Patient", {"name": "Rivera\x00"})

    for response in (posted, searched):
        assert response.status_code == 400
        assert response["Content-Type"].startswith(FHIR_JSON)
        body = response.json()
        assert body["resourceType"] == "OperationOutcome"
        assert body["issue"][0]["code"] == "invalid"
        assert "NUL" in body["issue"][0]["diagnostics"]
    assert Condition.objects.count() == 0
    assert FhirImportRecord.objects.count() == 0
