"""The REST API: role matrix, the same refusals as every other door."""

import pytest
from django.urls import reverse

from apps.referrals.models import Referral, ReferralEvent, ReferralState
from tests.api.schema import assert_conforms
from tests.referrals.factories import RESULT, make_referral

S = ReferralState


def _assert_nothing_leaked(response) -> None:
    body = response.content.decode()
    assert "Garcia" not in body
    assert "MRN0001" not in body


@pytest.mark.parametrize(
    "name", ["api-referral-detail", "api-referral-patient", "api-referral-list"]
)
def test_anonymous_callers_are_refused(name, api_for, referral):
    args = {"api-referral-detail": [referral.pk], "api-referral-patient": [referral.patient_id]}
    response = api_for(None).get(reverse(name, args=args.get(name, [])))
    assert response.status_code in (401, 403)
    _assert_nothing_leaked(response)


@pytest.mark.parametrize("name", ["api-referral-detail", "api-referral-patient"])
def test_a_non_member_gets_404_and_nothing_leaks(name, api_for, outsider, referral):
    arg = referral.pk if name == "api-referral-detail" else referral.patient_id
    response = api_for(outsider).get(reverse(name, args=[arg]))
    assert response.status_code == 404
    _assert_nothing_leaked(response)


def test_a_member_reads_the_referral_with_its_timeline(api_for, pharmacist, referral):
    response = api_for(pharmacist).get(reverse("api-referral-detail", args=[referral.pk]))
    assert response.status_code == 200
    data = response.json()
    assert data["patient"]["family_name"] == "Garcia"
    assert data["state"] == "draft"
    assert [event["kind"] for event in data["events"]] == ["created", "consent_recorded"]
    assert data["allowed_transitions"] == []  # no right to move it


def test_a_member_with_the_right_is_told_the_allowed_moves(api_for, social_worker, referral):
    data = api_for(social_worker).get(reverse("api-referral-detail", args=[referral.pk])).json()
    assert [move["to_state"] for move in data["allowed_transitions"]] == ["sent", "cancelled"]


def test_creating_through_the_api_uses_the_same_rules(
    api_for, chw, pharmacist, nurse, patient, food_service
):
    payload = {
        "patient_id": patient.pk,
        "service_id": food_service.pk,
        "reason": "Food insecurity",
        "owner_id": nurse.pk,
    }
    refused = api_for(pharmacist).post(reverse("api-referral-list"), payload, format="json")
    assert refused.status_code == 403
    assert not Referral.objects.exists()
    created = api_for(chw).post(reverse("api-referral-list"), payload, format="json")
    assert created.status_code == 201
    assert created.json()["owner"]["id"] == nurse.pk
    assert created.json()["referred_by"]["id"] == chw.pk


def test_creating_for_a_patient_on_another_team_answers_404(
    api_for, outsider, patient, food_service
):
    response = api_for(outsider).post(
        reverse("api-referral-list"),
        {
            "patient_id": patient.pk,
            "service_id": food_service.pk,
            "reason": "x",
            "owner_id": outsider.pk,
        },
        format="json",
    )
    assert response.status_code == 404
    assert not Referral.objects.exists()


def test_an_owner_outside_the_team_is_a_400_with_the_field(
    api_for, chw, outsider, patient, food_service
):
    response = api_for(chw).post(
        reverse("api-referral-list"),
        {
            "patient_id": patient.pk,
            "service_id": food_service.pk,
            "reason": "x",
            "owner_id": outsider.pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "owner" in response.json()["errors"]


def test_an_illegal_move_through_the_api_is_a_409_with_the_allowed_moves(
    api_for, social_worker, referral
):
    response = api_for(social_worker).post(
        reverse("api-referral-transition", args=[referral.pk]),
        {"to_state": "completed"},
        format="json",
    )
    # The referral is not in a state that move starts from: 409, as on the page.
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "A referral cannot go from Draft to Completed. From Draft it can go to: Sent, Cancelled."
    )
    assert Referral.objects.get(pk=referral.pk).state == S.DRAFT


def test_closing_through_the_api_without_a_result_is_refused(api_for, nurse, patient, food_service):
    referral = make_referral(patient, actor=nurse, service=food_service, state=S.COMPLETED)
    url = reverse("api-referral-transition", args=[referral.pk])
    refused = api_for(nurse).post(url, {"to_state": "closed"}, format="json")
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"result_summary", "result_reported_by"}
    closed = api_for(nurse).post(url, {"to_state": "closed", **RESULT}, format="json")
    assert closed.status_code == 200
    assert closed.json()["result_documented_by"]["id"] == nurse.pk


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("api-referral-transition", {"to_state": "cancelled", "reason": "x"}),
        ("api-referral-consent", {"consent_given": False}),
        ("api-referral-snooze", {"until": "2099-01-01T09:00:00Z", "reason": "x"}),
    ],
)
def test_writes_without_the_right_are_403_and_change_nothing(
    name, payload, api_for, pharmacist, outsider, referral
):
    events = ReferralEvent.objects.count()
    assert (
        api_for(pharmacist)
        .post(reverse(name, args=[referral.pk]), payload, format="json")
        .status_code
        == 403
    )
    hidden = api_for(outsider).post(reverse(name, args=[referral.pk]), payload, format="json")
    assert hidden.status_code == 404
    _assert_nothing_leaked(hidden)
    assert ReferralEvent.objects.count() == events
    fresh = Referral.objects.get(pk=referral.pk)
    assert (fresh.state, fresh.consent_given, fresh.snooze_count) == (S.DRAFT, True, 0)


def test_reassign_and_snooze_through_the_api(api_for, nurse, chw, referral):
    client = api_for(nurse)
    moved = client.post(
        reverse("api-referral-reassign", args=[referral.pk]),
        {"owner_id": chw.pk, "reason": "Closer to the patient"},
        format="json",
    )
    assert moved.json()["owner"]["id"] == chw.pk
    bad = client.post(
        reverse("api-referral-snooze", args=[referral.pk]),
        {"until": "2000-01-01T09:00:00Z", "reason": "later"},
        format="json",
    )
    assert bad.status_code == 400
    assert "until" in bad.json()["errors"]


def test_the_board_and_measures_through_the_api(api_for, nurse, outsider, patient, food_service):
    make_referral(patient, actor=nurse, service=food_service, state=S.CLOSED)
    make_referral(patient, actor=nurse, service=food_service, state=S.SENT)
    board = api_for(nurse).get(reverse("api-referral-list"), {"state": "sent"}).json()
    assert board["count"] == 1
    measures = api_for(nurse).get(reverse("api-referral-measures")).json()
    assert measures["overall"]["closure_rate"] == 0.5
    assert measures["overall"]["closed_without_result"] == 0
    assert api_for(outsider).get(reverse("api-referral-list")).json()["count"] == 0


def test_the_directory_through_the_api(api_for, chw, pcp, food_service):
    found = api_for(pcp).get(reverse("api-directory-services"), {"q": "food spanish"}).json()
    assert [service["name"] for service in found] == ["Weekly food boxes"]
    payload = {"name": "Bus vouchers", "service_type": "transportation"}
    payload["organisation_id"] = food_service.resource_organisation_id
    assert (
        api_for(pcp).post(reverse("api-directory-services"), payload, format="json").status_code
        == 403
    )
    created = api_for(chw).post(reverse("api-directory-services"), payload, format="json")
    assert created.status_code == 201
    patched = api_for(chw).patch(
        reverse("api-directory-service", args=[created.json()["id"]]),
        {"hours": "Tue 10-14"},
        format="json",
    )
    assert patched.json()["hours"] == "Tue 10-14"


def test_the_openapi_schema_describes_the_referral_endpoints(api_for, nurse):
    response = api_for(nurse).get(reverse("api-schema"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "/api/v1/referrals/{referral_id}/transition/" in body
    assert "/api/v1/referrals/directory/services/" in body


def test_linking_a_goal_through_the_api(api_for, chw, nurse, patient, food_service):
    from tests.careplans.factories import make_goal, make_plan

    goal = make_goal(make_plan(patient, nurse), nurse)
    payload = {
        "patient_id": patient.pk,
        "service_id": food_service.pk,
        "reason": "Food insecurity",
        "owner_id": nurse.pk,
        "goal_id": goal.pk,
    }
    created = api_for(chw).post(reverse("api-referral-list"), payload, format="json")
    assert created.status_code == 201
    assert created.json()["goal"]["id"] == goal.pk
    wrong = api_for(chw).post(
        reverse("api-referral-list"), {**payload, "goal_id": 999999}, format="json"
    )
    assert wrong.status_code == 400
    assert "goal_id" in wrong.json()["errors"]


def test_a_partner_without_email_or_website_answers_as_the_schema_publishes(
    api_for, chw, food_service
):
    """A partner with no email or website is answered with "" (the schema used to promise
    an email address and a URI, so a generated client refused the answer)."""
    partner_id = food_service.resource_organisation_id
    partner = api_for(chw).get(reverse("api-directory-organisation", args=[partner_id]))
    service = api_for(chw).get(reverse("api-directory-service", args=[food_service.pk]))
    assert (partner.json()["email"], partner.json()["website"]) == ("", "")
    assert service.json()["email"] == ""
    assert_conforms(partner, "get", "/api/v1/referrals/directory/organisations/{organisation_id}/")
    assert_conforms(service, "get", "/api/v1/referrals/directory/services/{service_id}/")
