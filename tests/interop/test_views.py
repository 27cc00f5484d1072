import pytest
from django.test import Client

from apps.interop.models import MatchStatus, PatientMatchRequest
from apps.interop.services import adt_receive
from apps.patients.models import PatientIdentifier
from apps.transitions.models import Handoff
from tests import factories
from tests.interop.messages import adt


@pytest.fixture
def queued(organisation, patient):
    interface = factories.make_user(organisation, is_interface=True)
    adt_receive(actor=interface, raw=adt("A01", control_id="V1", name="Unknown^Person"))
    return PatientMatchRequest.objects.get()


def test_queue_lists_the_waiting_message_for_a_coordinator(client_for, nurse, queued):
    body = client_for(nurse).get("/interop/matches/").content.decode()
    assert "Unknown, Person" in body
    assert "GENHOSP|H12345" in body


@pytest.mark.parametrize("who", ["pharmacist", "outsider_of_other_org"])
def test_queue_and_detail_are_hidden_from_others(client_for, request, who, queued):
    if who == "outsider_of_other_org":
        user = factories.make_member(factories.make_team(factories.make_organisation()))
    else:
        user = request.getfixturevalue(who)
    client = client_for(user)
    assert b"Unknown" not in client.get("/interop/matches/").content
    assert client.get(f"/interop/matches/{queued.pk}/").status_code == 404


def test_anonymous_is_sent_to_login(queued):
    assert Client().get("/interop/matches/").status_code == 302


def test_search_by_identifier_and_match_applies_the_message(client_for, nurse, patient, queued):
    client = client_for(nurse)
    body = client.get(f"/interop/matches/{queued.pk}/", {"q": patient.mrn}).content.decode()
    assert "This is the patient" in body
    response = client.post(f"/interop/matches/{queued.pk}/resolve/", {"patient": patient.pk})
    assert response.status_code == 302
    queued.refresh_from_db()
    assert (queued.status, queued.patient) == (MatchStatus.MATCHED, patient)
    assert PatientIdentifier.objects.filter(patient=patient, value="H12345").exists()
    assert Handoff.objects.filter(episode__patient=patient).count() == 1


def test_matching_to_a_patient_of_another_team_is_not_found(
    client_for, nurse, other_patient, queued
):
    response = client_for(nurse).post(
        f"/interop/matches/{queued.pk}/resolve/", {"patient": other_patient.pk}
    )
    assert response.status_code == 404
    queued.refresh_from_db()
    assert queued.status == MatchStatus.OPEN
    assert not Handoff.objects.exists()


def test_dismiss_needs_a_reason(client_for, nurse, queued):
    client = client_for(nurse)
    assert client.post(f"/interop/matches/{queued.pk}/dismiss/", {"reason": ""}).status_code == 400
    client.post(f"/interop/matches/{queued.pk}/dismiss/", {"reason": "Other practice"})
    queued.refresh_from_db()
    assert queued.status == MatchStatus.DISMISSED
