"""Role matrix of the match-queue actions (resolve, dismiss).

The queue belongs to the organisation: its coordinators (manage_transitions on any of its
teams) work it, everyone else finds nothing there. Resolving also needs the patient to be
on one of the user's teams, and the rights to record transitions and change the record.
"""

import re
from typing import Any

import pytest
from django.test import Client

from apps.interop.models import AdtMessage, MatchStatus, PatientMatchRequest
from apps.patients.models import PatientIdentifier
from apps.transitions.models import Episode, Handoff
from tests import factories

MISSING_ID = 987_654_321
# What the hospital says and who our patient is: none of it may reach a refused user.
PRIVATE = (b"Unknown", b"Person", b"H12345", b"Garcia", b"MRN0001")
CSRF_TOKEN = re.compile(rb'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]*')


@pytest.fixture
def coordinator_elsewhere():
    """A nurse coordinator of another organisation: works her own queue, not ours."""
    return factories.make_member(factories.make_team(factories.make_organisation()))


def state() -> tuple[list[Any], ...]:
    return (
        list(
            PatientMatchRequest.objects.order_by("pk").values_list(
                "pk", "status", "patient_id", "resolved_by_id", "resolution_note"
            )
        ),
        list(PatientIdentifier.objects.order_by("pk").values_list("pk", "patient_id", "value")),
        list(AdtMessage.objects.order_by("pk").values_list("pk", "status", "patient_id")),
        list(Episode.objects.values_list("pk")),
        list(Handoff.objects.values_list("pk")),
    )


def page(response: Any) -> bytes:
    return CSRF_TOKEN.sub(rb"\1", response.content)


def assert_nothing_private(response: Any) -> None:
    for value in PRIVATE:
        assert value not in response.content


def resolve(client: Client, request_id: int, patient_id: int, **extra: Any) -> Any:
    return client.post(f"/interop/matches/{request_id}/resolve/", {"patient": patient_id}, **extra)


def dismiss(client: Client, request_id: int, **extra: Any) -> Any:
    return client.post(
        f"/interop/matches/{request_id}/dismiss/", {"reason": "Not our patient"}, **extra
    )


# --- anonymous ---------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["resolve", "dismiss"])
def test_anonymous_is_sent_to_login_and_nothing_changes(action, queued, patient):
    before = state()
    if action == "resolve":
        response = resolve(Client(), queued.pk, patient.pk)
    else:
        response = dismiss(Client(), queued.pk)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert state() == before


# --- outside the organisation, or outside the queue --------------------------------------


@pytest.mark.parametrize("who", ["coordinator_elsewhere", "pharmacist"])
def test_resolve_by_someone_outside_the_queue_is_the_404_of_a_missing_message(
    who, client_for, request, queued, patient
):
    client = client_for(request.getfixturevalue(who))
    before = state()
    response = resolve(client, queued.pk, patient.pk)
    assert state() == before
    absent = resolve(client, MISSING_ID, patient.pk)
    assert (response.status_code, absent.status_code) == (404, 404)
    assert page(response) == page(absent)
    assert_nothing_private(response)


@pytest.mark.parametrize("who", ["coordinator_elsewhere", "pharmacist"])
def test_dismiss_by_someone_outside_the_queue_is_the_404_of_a_missing_message(
    who, client_for, request, queued
):
    client = client_for(request.getfixturevalue(who))
    before = state()
    response = dismiss(client, queued.pk)
    assert state() == before
    absent = dismiss(client, MISSING_ID)
    assert (response.status_code, absent.status_code) == (404, 404)
    assert page(response) == page(absent)
    assert_nothing_private(response)


def test_a_coordinator_of_another_team_cannot_match_to_our_patient(
    client_for, outsider, queued, patient
):
    """She works the organisation's queue, but our patient is "not found" to her."""
    client = client_for(outsider)
    before = state()
    response = resolve(client, queued.pk, patient.pk)
    assert state() == before
    absent = resolve(client, queued.pk, MISSING_ID)
    assert (response.status_code, absent.status_code) == (404, 404)
    assert page(response) == page(absent)
    assert b"Garcia" not in response.content
    assert b"MRN0001" not in response.content


# --- in the queue without the right to match ---------------------------------------------


def test_a_chw_cannot_match_without_the_right_to_change_the_record(
    client_for, chw, queued, patient
):
    client = client_for(chw)
    before = state()
    response = resolve(client, queued.pk, patient.pk)
    assert response.status_code == 302
    assert response["Location"] == f"/interop/matches/{queued.pk}/"
    assert state() == before
    shown = client.get(response["Location"])
    assert "Matching needs the rights" in shown.content.decode()


# --- with the right ----------------------------------------------------------------------


def test_the_nurse_matches_and_the_message_is_applied(client_for, nurse, queued, patient):
    response = resolve(client_for(nurse), queued.pk, patient.pk)
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/"
    queued.refresh_from_db()
    assert (queued.status, queued.patient, queued.resolved_by) == (
        MatchStatus.MATCHED,
        patient,
        nurse,
    )
    assert Handoff.objects.filter(episode__patient=patient).count() == 1


@pytest.mark.parametrize("who", ["nurse", "chw"])
def test_a_coordinator_dismisses_with_a_reason(who, client_for, request, queued):
    user = request.getfixturevalue(who)
    response = dismiss(client_for(user), queued.pk)
    assert response.status_code == 302
    assert response["Location"] == "/interop/matches/"
    queued.refresh_from_db()
    assert (queued.status, queued.resolved_by, queued.resolution_note) == (
        MatchStatus.DISMISSED,
        user,
        "Not our patient",
    )
    assert not Episode.objects.exists()
