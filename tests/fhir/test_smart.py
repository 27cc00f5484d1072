"""SMART Backend Services: signed assertions for short-lived, scoped tokens."""

import time

import pytest
from django.test import Client

from apps.core.models import AuditAction, AuditEvent
from apps.fhir.models import FhirAccessToken
from apps.fhir.services import token_hash
from tests.factories import make_organisation, make_patient, make_team
from tests.fhir.conftest import token_post, validated

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("algorithm", ["RS384", "ES384"])
def test_a_signed_assertion_gets_a_bearer_token_whose_hash_only_is_stored(
    make_system_client, organisation, algorithm
):
    system = make_system_client(organisation, algorithm=algorithm)

    response = system.token_response("system/*.read")

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["scope"] == "system/*.read"
    assert body["expires_in"] <= 300
    stored = FhirAccessToken.objects.get(client=system.row)
    assert stored.token_hash == token_hash(body["access_token"])
    assert body["access_token"] not in stored.token_hash


def test_a_replayed_assertion_is_refused(make_system_client, organisation):
    system = make_system_client(organisation)
    assertion = system.assertion()
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
        "scope": "system/*.read",
    }

    first = token_post(form)
    second = token_post(form)

    assert first.status_code == 200
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"aud": "http://elsewhere/token"}, "invalid_grant"),
        ({"exp": int(time.time()) + 3600}, "invalid_grant"),
        ({"exp": int(time.time()) - 600}, "invalid_grant"),
        ({"sub": "someone-else"}, "invalid_grant"),
        ({"jti": None}, "invalid_grant"),
        ({"iss": "unknown-client"}, "invalid_client"),
    ],
)
def test_a_bad_assertion_gets_no_token(make_system_client, organisation, overrides, error):
    system = make_system_client(organisation)

    response = system.token_response("system/*.read", **overrides)

    assert response.json()["error"] == error
    assert response.status_code in (400, 401)
    assert not FhirAccessToken.objects.exists()


def test_an_assertion_signed_by_another_key_is_an_invalid_client(make_system_client, organisation):
    registered = make_system_client(organisation, client_id="registered")
    impostor = make_system_client(organisation, client_id="impostor")
    impostor.row.client_id = "registered-elsewhere"
    impostor.row.save()
    impostor.row.client_id = "registered"  # signs as the registered client with its own key

    response = impostor.token_response("system/*.read")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert not FhirAccessToken.objects.filter(client=registered.row).exists()


def test_only_allowed_scopes_are_granted(make_system_client, organisation):
    system = make_system_client(organisation, scopes="system/Patient.read")

    both = system.token_response("system/Patient.read system/Task.write")
    none = system.token_response("system/Task.write")

    assert both.json()["scope"] == "system/Patient.read"
    assert none.status_code == 400
    assert none.json()["error"] == "invalid_scope"


def test_a_client_sees_its_organisations_patients_only(make_system_client, organisation, chart):
    elsewhere = make_organisation("Elsewhere Health")
    stranger = make_patient(make_team(elsewhere, "Far"))
    http = make_system_client(organisation).http("system/*.read")

    ids = {e["resource"]["id"] for e in http.get("/fhir/R4/Patient").json()["entry"]}

    assert str(chart.pk) in ids
    assert str(stranger.pk) not in ids
    assert http.get(f"/fhir/R4/Patient/{stranger.pk}").status_code == 404


def test_a_clients_read_is_audited_naming_the_client(make_system_client, organisation, chart):
    system = make_system_client(organisation)

    system.http().get(f"/fhir/R4/Patient/{chart.pk}")

    event = AuditEvent.objects.get(action=AuditAction.VIEW, object_type="patients.patient")
    assert event.detail["client_id"] == system.row.client_id
    assert event.detail["job"] == f"fhir-client:{system.row.client_id}"
    assert event.actor_username == f"fhir-client-{system.row.pk}"


def test_a_type_outside_the_tokens_scope_is_a_403_outcome(make_system_client, organisation, chart):
    http = make_system_client(organisation, scopes="system/Patient.read").http(
        "system/Patient.read"
    )

    allowed = http.get("/fhir/R4/Patient")
    refused = http.get("/fhir/R4/Condition")

    assert allowed.status_code == 200
    assert refused.status_code == 403
    assert validated(refused.json())["issue"][0]["code"] == "forbidden"


def test_an_expired_or_unknown_bearer_is_a_401(chart):
    response = Client(headers={"Authorization": "Bearer nonsense"}).get("/fhir/R4/Patient")

    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_smart_configuration_names_the_token_endpoint(client):
    config = client.get("/fhir/R4/.well-known/smart-configuration").json()

    assert config["token_endpoint"] == "http://testserver/fhir/R4/auth/token"
    assert "private_key_jwt" in config["token_endpoint_auth_methods_supported"]


def test_a_refused_client_is_audited_as_denied_naming_it(make_system_client, organisation, chart):
    system = make_system_client(organisation, scopes="system/Patient.read")

    system.http("system/Patient.read").get("/fhir/R4/Condition")

    event = AuditEvent.objects.get(action=AuditAction.DENIED)
    assert event.detail["client_id"] == system.row.client_id
    assert event.source == "fhir"


def test_issuing_a_token_is_audited_and_old_tokens_are_purged(make_system_client, organisation):
    from datetime import timedelta

    from django.utils import timezone

    system = make_system_client(organisation)
    system.token_response("system/*.read")
    FhirAccessToken.objects.update(expires_at=timezone.now() - timedelta(hours=1))

    system.token_response("system/*.read")

    assert FhirAccessToken.objects.count() == 1
    events = AuditEvent.objects.filter(object_type="fhir.fhiraccesstoken")
    assert events.count() == 2
    assert {event.detail["client_id"] for event in events} == {system.row.client_id}


def test_a_fhir_caller_over_its_rate_gets_a_429_operation_outcome(
    settings, nurse, make_system_client, organisation
):
    from rest_framework.test import APIClient

    from tests.factories import make_api_token

    rest = settings.REST_FRAMEWORK
    settings.REST_FRAMEWORK = {
        **rest,
        "DEFAULT_THROTTLE_RATES": {
            **rest["DEFAULT_THROTTLE_RATES"],
            "user": "2/min",
            "fhir_client": "1/min",
        },
    }
    person = APIClient()
    person.credentials(HTTP_AUTHORIZATION=f"Token {make_api_token(nurse)}")
    # The person's FHIR calls share their API budget.
    assert person.get("/api/v1/patients/").status_code == 200
    assert person.get("/fhir/R4/Patient").status_code == 200
    refused = person.get("/fhir/R4/Patient")
    system = make_system_client(organisation).http("system/*.read")
    client_answers = [system.get("/fhir/R4/Patient").status_code for _ in range(2)]

    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("application/fhir+json")
    assert refused.json()["issue"][0]["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert client_answers == [200, 429]
