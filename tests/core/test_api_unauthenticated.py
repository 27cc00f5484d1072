"""An API call without credentials is told to authenticate (401), not refused (403)."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "api-patient-list", []),
        ("get", "api-patient-detail", [1]),
        ("post", "api-patient-break-glass", []),
        ("get", "api-task-my-work", []),
        ("post", "api-task-start", [1]),
        ("get", "api-referral-list", []),
    ],
)
def test_an_unauthenticated_api_call_answers_401_with_a_token_challenge(
    api_for, db, method, name, args
):
    response = getattr(api_for(None), method)(reverse(name, args=args), {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_browser_session_still_reaches_the_api(client_for, nurse, patient):
    response = client_for(nurse).get(reverse("api-patient-list"))
    assert response.status_code == 200
    assert patient.family_name in response.content.decode()
