"""Over a rate the answer is 429 with Retry-After, and the request does nothing."""

import pytest
from django.urls import reverse

from apps.core.models import AuditEvent
from apps.patients.models import BreakGlassAccess, Patient
from tests import factories


@pytest.fixture
def rates(settings):
    def set_rates(**overrides: str) -> None:
        rest = settings.REST_FRAMEWORK
        settings.REST_FRAMEWORK = {
            **rest,
            "DEFAULT_THROTTLE_RATES": {**rest["DEFAULT_THROTTLE_RATES"], **overrides},
        }

    return set_rates


def test_a_person_over_the_api_rate_gets_429_with_retry_after(api_for, rates, nurse, patient):
    rates(user="3/min")
    client = api_for(nurse)
    answers = [client.get(reverse("api-patient-list")).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = client.get(reverse("api-patient-list"))
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert patient.family_name not in refused.content.decode()


def test_one_persons_api_rate_does_not_slow_another(api_for, rates, nurse, pcp, patient):
    rates(user="1/min")
    assert api_for(nurse).get(reverse("api-patient-list")).status_code == 200
    assert api_for(nurse).get(reverse("api-patient-list")).status_code == 429
    assert api_for(pcp).get(reverse("api-patient-list")).status_code == 200


def test_unauthenticated_calls_are_limited_per_address(client, rates, db):
    rates(anon="2/min")
    url = reverse("api-schema")
    first = [client.get(url, REMOTE_ADDR="203.0.113.5").status_code for _ in range(3)]
    assert first[-1] == 429
    assert client.get(url, REMOTE_ADDR="198.51.100.7").status_code != 429


def test_break_glass_over_its_rate_is_refused_with_429_and_opens_nothing(
    verified_api_for, rates, outsider, patient
):
    rates(break_glass="1/hour")
    client = verified_api_for(outsider)
    url = reverse("api-patient-break-glass")
    body = factories.break_glass_body(patient)
    assert client.post(url, body, format="json").status_code == 201
    opened = BreakGlassAccess.objects.count()
    refused = client.post(url, body, format="json")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert BreakGlassAccess.objects.count() == opened


def test_break_glass_page_over_its_rate_answers_429(verified_client_for, rates, outsider, patient):
    rates(break_glass="1/hour")
    client = verified_client_for(outsider)
    url = reverse("patients:break_glass")
    body = factories.break_glass_body(patient)
    assert client.post(url, body).status_code == 302
    refused = client.post(url, body)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many attempts" in refused.content.decode()
    # Reading the page is not counted.
    assert client.get(url).status_code == 200


def test_patient_creation_over_its_rate_is_refused_with_429(api_for, rates, nurse, team):
    rates(patient_create="1/hour")
    client = api_for(nurse)
    url = reverse("api-patient-list")

    def create(mrn: str) -> int:
        body = {
            "mrn": mrn,
            "given_name": "Ana",
            "family_name": "Silva",
            "date_of_birth": "1960-05-01",
            "sex": "female",
            "care_team_id": team.pk,
        }
        return client.post(url, body, format="json").status_code

    assert create("MRN-T1") == 201
    assert create("MRN-T2") == 429
    assert not Patient.objects.filter(mrn="MRN-T2").exists()
    # The list is not a creation: it still answers.
    assert client.get(url).status_code == 200


def test_login_attempts_over_the_rate_answer_429_per_address(client, rates, nurse):
    rates(login="2/min")
    url = reverse("accounts:login")
    for _ in range(2):
        client.post(url, {"username": "someone", "password": "wrong-password"})
    events = AuditEvent.objects.count()
    refused = client.post(url, {"username": "nurse", "password": factories.PASSWORD})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.count() == events
    other = client.post(
        url, {"username": "nurse", "password": factories.PASSWORD}, REMOTE_ADDR="198.51.100.7"
    )
    assert other.status_code == 302


def test_an_htmx_break_glass_over_its_rate_gets_the_refusal_fragment(
    verified_client_for, rates, outsider, patient
):
    rates(break_glass="1/hour")
    client = verified_client_for(outsider)
    url = reverse("patients:break_glass")
    body = factories.break_glass_body(patient)
    client.post(url, body, HTTP_HX_REQUEST="true")
    refused = client.post(url, body, HTTP_HX_REQUEST="true")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "<html" not in refused.content.decode().lower()
    assert "Too many attempts" in refused.content.decode()
