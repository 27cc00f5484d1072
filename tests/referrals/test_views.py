"""The htmx pages: role matrix, refusals shown on the page, one service per door."""

import pytest
from django.urls import reverse

from apps.core.models import AuditAction, AuditEvent
from apps.referrals.models import Referral, ReferralEvent, ReferralState, ResourceService
from tests.referrals.factories import RESULT, make_referral

S = ReferralState
PATIENT_FIELDS = ("Garcia", "MRN0001")


def _no_patient_data(body: str) -> None:
    for value in PATIENT_FIELDS:
        assert value not in body


# --- reading: anonymous, non-member, member ----------------------------------------------


@pytest.mark.parametrize("page", ["detail", "patient_section"])
def test_anonymous_users_are_sent_to_log_in(page, client, referral):
    arg = referral.pk if page == "detail" else referral.patient_id
    response = client.get(reverse(f"referrals:{page}", args=[arg]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("page", ["detail", "patient_section"])
def test_a_non_member_gets_404_and_sees_nothing(page, client_for, outsider, referral):
    arg = referral.pk if page == "detail" else referral.patient_id
    response = client_for(outsider).get(reverse(f"referrals:{page}", args=[arg]))
    assert response.status_code == 404
    _no_patient_data(response.content.decode())


def test_a_member_without_manage_referrals_reads_but_gets_no_actions(
    client_for, pharmacist, referral
):
    response = client_for(pharmacist).get(reverse("referrals:detail", args=[referral.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Garcia" in body
    assert "Next step" not in body
    section = client_for(pharmacist).get(
        reverse("referrals:patient_section", args=[referral.patient_id])
    )
    assert f"#{referral.pk}" in section.content.decode()
    assert "Refer…" not in section.content.decode()


def test_a_member_with_the_right_sees_the_allowed_moves_only(client_for, social_worker, referral):
    body = client_for(social_worker).get(reverse("referrals:detail", args=[referral.pk])).content
    text = body.decode()
    assert 'data-to-state="sent"' in text
    assert 'data-to-state="cancelled"' in text
    assert 'data-to-state="closed"' not in text


def test_the_board_lists_only_the_users_teams(
    client_for, nurse, outsider, referral, other_patient, food_service
):
    mine = client_for(nurse).get(reverse("referrals:board"))
    assert mine.status_code == 200
    assert f"#{referral.pk}" in mine.content.decode()
    theirs = client_for(outsider).get(reverse("referrals:board"))
    assert f"#{referral.pk}" not in theirs.content.decode()
    _no_patient_data(theirs.content.decode())


def test_the_board_filters_with_htmx_into_its_results(client_for, nurse, referral):
    response = client_for(nurse).get(
        reverse("referrals:board"),
        {"state": "sent"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="board-results",
    )
    body = response.content.decode()
    assert "<html" not in body
    assert "0 open referrals" in body


def test_the_board_pins_its_query_count(
    client_for, nurse, patient, food_service, django_assert_max_num_queries
):
    for _ in range(8):
        make_referral(patient, actor=nurse, service=food_service, state=S.SENT)
    client = client_for(nurse)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("referrals:board"))
    assert response.content.decode().count('class="badge') >= 0
    assert "8 open referrals" in response.content.decode()


def test_the_measures_fragment_shows_none_closed_without_a_result(
    client_for, nurse, patient, food_service
):
    make_referral(patient, actor=nurse, service=food_service, state=S.CLOSED)
    response = client_for(nurse).get(reverse("referrals:measures"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'id="closed-without-result">0 (0%)' in body
    assert "100%" in body
    _no_patient_data(body)


def test_the_chart_includes_the_lazy_referrals_section(client_for, nurse, patient):
    body = client_for(nurse).get(reverse("patients:chart", args=[patient.pk])).content.decode()
    assert reverse("referrals:patient_section", args=[patient.pk]) in body


# --- writing ----------------------------------------------------------------------------


def test_a_coordinator_drafts_a_referral_from_the_form(
    client_for, chw, nurse, patient, food_service
):
    client = client_for(chw)
    page = client.get(reverse("referrals:create", args=[patient.pk]))
    assert page.status_code == 200
    response = client.post(
        reverse("referrals:create", args=[patient.pk]),
        {
            "service": food_service.pk,
            "reason": "Food insecurity",
            "urgency": "urgent",
            "owner": nurse.pk,
            "referred_by": chw.pk,
            "consent_given": "on",
            "consent_method": "verbal",
        },
    )
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:detail", args=[referral.pk])
    assert (referral.owner, referral.referred_by, referral.urgency) == (nurse, chw, "urgent")


def test_the_create_form_shows_the_services_refusal_on_its_field(
    client_for, chw, patient, food_service
):
    response = client_for(chw).post(
        reverse("referrals:create", args=[patient.pk]),
        {
            "service": food_service.pk,
            "reason": "Food",
            "urgency": "routine",
            "owner": chw.pk,
            "referred_by": chw.pk,
            "consent_given": "on",
            "consent_method": "",
        },
    )
    assert response.status_code == 400
    assert "Say how the patient gave consent." in response.content.decode()
    assert not Referral.objects.exists()


@pytest.mark.parametrize("user", ["pharmacist", "outsider"])
def test_the_create_page_is_refused_without_the_right(user, request, client_for, patient):
    response = client_for(request.getfixturevalue(user)).get(
        reverse("referrals:create", args=[patient.pk])
    )
    assert response.status_code == (404 if user == "outsider" else 403)


def test_a_move_through_the_page_follows_the_machine(client_for, social_worker, referral):
    client = client_for(social_worker)
    url = reverse("referrals:transition", args=[referral.pk])
    response = client.post(url, {"to_state": "sent"})
    assert response.status_code == 302
    assert Referral.objects.get(pk=referral.pk).state == S.SENT


def test_an_illegal_move_through_the_page_is_refused_with_the_message(
    client_for, social_worker, referral
):
    response = client_for(social_worker).post(
        reverse("referrals:transition", args=[referral.pk]), {"to_state": "closed", **RESULT}
    )
    # The referral is not where that move starts: a conflict with its state.
    assert response.status_code == 409
    assert "A referral cannot go from Draft to Closed" in response.content.decode()
    assert Referral.objects.get(pk=referral.pk).state == S.DRAFT


def test_an_illegal_move_through_htmx_comes_back_as_a_refusal_with_the_message(
    client_for, social_worker, referral
):
    response = client_for(social_worker).post(
        reverse("referrals:transition", args=[referral.pk]),
        {"to_state": "cancelled"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert response["X-Refusal"] == "1"
    assert "data-refusal" in body
    assert "Say why the referral is cancelled." in body
    assert Referral.objects.get(pk=referral.pk).state == S.DRAFT


@pytest.mark.parametrize("action", ["transition", "consent", "reassign", "snooze"])
def test_writes_are_refused_for_a_member_without_the_right_and_change_nothing(
    action, client_for, pharmacist, referral
):
    events = ReferralEvent.objects.count()
    response = client_for(pharmacist).post(
        reverse(f"referrals:{action}", args=[referral.pk]),
        {"to_state": "cancelled", "reason": "x", "consent_given": "", "owner": pharmacist.pk},
    )
    assert response.status_code == 403
    assert ReferralEvent.objects.count() == events
    assert Referral.objects.get(pk=referral.pk).state == S.DRAFT


@pytest.mark.parametrize("action", ["transition", "consent", "reassign", "snooze"])
def test_writes_by_a_non_member_answer_404_and_change_nothing(
    action, client_for, outsider, referral
):
    response = client_for(outsider).post(
        reverse(f"referrals:{action}", args=[referral.pk]), {"to_state": "cancelled"}
    )
    assert response.status_code == 404
    _no_patient_data(response.content.decode())
    assert Referral.objects.get(pk=referral.pk).state == S.DRAFT


def test_the_patient_section_lists_every_referral_with_its_timeline_and_audits(
    client_for, nurse, patient, food_service
):
    closed = make_referral(patient, actor=nurse, service=food_service, state=S.CLOSED)
    response = client_for(nurse).get(reverse("referrals:patient_section", args=[patient.pk]))
    body = response.content.decode()
    assert f"#{closed.pk}" in body
    assert "Completed → <strong>Closed</strong>" in body
    assert RESULT["result_summary"] in body
    assert AuditEvent.objects.filter(
        action=AuditAction.LIST, object_type="referrals.referral", patient_id=patient.pk
    ).exists()


# --- the directory ----------------------------------------------------------------------


def test_every_signed_in_member_searches_the_directory(client_for, pcp, food_service):
    response = client_for(pcp).get(
        reverse("referrals:directory"),
        {"q": "food"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="directory-results",
    )
    body = response.content.decode()
    assert "Weekly food boxes" in body
    assert "Household income under 200% FPL" in body
    assert "edit" not in body


def test_the_service_picker_narrows_the_options(client_for, chw, food_service, cardiology):
    response = client_for(chw).get(reverse("referrals:service_options"), {"q": "cardio"})
    body = response.content.decode()
    assert f'value="{cardiology.pk}"' in body
    assert f'value="{food_service.pk}"' not in body


def test_a_coordinator_adds_a_service_and_a_pcp_may_not(client_for, chw, pcp, food_service):
    partner = food_service.resource_organisation
    url = reverse("referrals:service_create", args=[partner.pk])
    data = {"name": "Diabetes-friendly pantry", "service_type": "food", "is_active": "on"}
    assert client_for(pcp).post(url, data).status_code == 403
    response = client_for(chw).post(url, data)
    assert response.status_code == 302
    assert ResourceService.objects.filter(name="Diabetes-friendly pantry").exists()
    duplicate = client_for(chw).post(url, data)
    assert duplicate.status_code == 400
    assert "Already in the directory" in duplicate.content.decode()
