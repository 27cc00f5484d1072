import hl7
import pytest
from rest_framework.test import APIClient

from apps.interop.models import AdtMessage
from apps.transitions.models import Handoff
from tests import factories
from tests.interop.messages import adt

URL = "/api/v1/hl7/adt"
ER7 = "x-application/hl7-v2+er7"


@pytest.fixture
def interface_client(organisation):
    interface = factories.make_user(organisation, username="hl7", is_interface=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {factories.make_api_token(interface)}")
    return client


def test_interface_token_posts_er7_and_gets_an_hl7_ack(interface_client, known_patient, nurse):
    response = interface_client.post(URL, data=adt("A01", control_id="H1"), content_type=ER7)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(ER7)
    ack = hl7.parse(response.content.decode())
    assert str(ack.segment("MSA")[1]) == "AA"
    assert str(ack.segment("MSA")[2]) == "H1"
    assert Handoff.objects.filter(episode__patient=known_patient).count() == 1


def test_duplicate_post_returns_the_identical_ack(interface_client, known_patient, nurse):
    raw = adt("A01", control_id="H2")
    first = interface_client.post(URL, data=raw, content_type=ER7)
    second = interface_client.post(URL, data=raw, content_type=ER7)
    assert first.content == second.content
    assert Handoff.objects.count() == 1


def test_malformed_body_gets_an_ar_ack_not_an_http_error(interface_client, known_patient):
    response = interface_client.post(URL, data="hello", content_type=ER7)
    assert response.status_code == 200
    assert b"MSA|AR|" in response.content
    assert not Handoff.objects.exists()


def test_wrong_content_type_is_415_and_stores_nothing(interface_client, known_patient):
    response = interface_client.post(URL, data={"message": "x"}, format="json")
    assert response.status_code == 415
    assert not AdtMessage.objects.exists()


@pytest.mark.parametrize("who", ["anonymous", "nurse", "org_admin"])
def test_people_and_anonymous_cannot_post_adt(request, api_for, who, known_patient):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    response = api_for(user).post(URL, data=adt("A01", control_id="NO"), content_type=ER7)
    assert response.status_code in (401, 403)
    assert b"Garcia" not in response.content
    assert not AdtMessage.objects.exists()
    assert not Handoff.objects.exists()


def test_interface_of_another_organisation_cannot_touch_our_patient(known_patient):
    stranger = factories.make_user(factories.make_organisation(), is_interface=True)
    client = APIClient()
    client.force_authenticate(stranger)
    response = client.post(URL, data=adt("A01", control_id="S1"), content_type=ER7)
    assert b"MSA|AA|" in response.content  # accepted into its own organisation's queue
    assert not Handoff.objects.exists()
    assert AdtMessage.objects.get().organisation_id == stranger.organisation_id


@pytest.mark.parametrize("media_type", ["application/hl7-v2", "application/hl7-v2+er7"])
def test_the_content_types_engines_use_are_accepted(
    interface_client, known_patient, nurse, media_type
):
    response = interface_client.post(
        URL, data=adt("A01", control_id="CT1"), content_type=f"{media_type}; charset=utf-8"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith(media_type)
    assert str(hl7.parse(response.content.decode()).segment("MSA")[1]) == "AA"
    assert Handoff.objects.filter(episode__patient=known_patient).count() == 1
