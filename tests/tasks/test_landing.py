"""Each role lands where its work is, after signing in and at `/`."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import Role
from apps.tasks.landing import landing_url_for
from apps.teams.models import TeamMembership
from apps.teams.services import team_member_remove
from tests import factories
from tests.factories import SETUP
from tests.tasks.factories import make_performed

PLAN_REVIEWS = "/careplans/review/"
MY_WORK = "/work/"
MY_VERIFICATIONS = "/work/?show=verifications"


def _signed_in_landing(user) -> str:
    client = Client()
    response = client.post(
        reverse("accounts:login"),
        {"username": user.username, "password": factories.PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    return response.redirect_chain[-1][0]


def test_a_pcp_lands_on_plan_reviews_after_signing_in(pcp):
    assert _signed_in_landing(pcp) == PLAN_REVIEWS


def test_a_pharmacist_lands_on_reconciliations_awaiting_their_verification(pharmacist):
    assert _signed_in_landing(pharmacist) == MY_VERIFICATIONS


@pytest.mark.parametrize("role", ["nurse", "chw", "social_worker", "specialist"])
def test_everyone_else_lands_on_my_work(role, request):
    assert _signed_in_landing(request.getfixturevalue(role)) == MY_WORK


@pytest.mark.parametrize(
    ("role", "expected"),
    [("pcp", PLAN_REVIEWS), ("pharmacist", MY_VERIFICATIONS), ("nurse", MY_WORK)],
)
def test_the_home_page_sends_each_role_where_its_work_is(client_for, role, expected, request):
    response = client_for(request.getfixturevalue(role)).get("/")
    assert response.status_code == 302
    assert response["Location"] == expected


def test_the_home_page_asks_a_stranger_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_pcp_on_one_team_lands_on_plan_reviews_whatever_their_role_elsewhere(
    team, other_team, nurse
):
    factories.make_member(other_team, Role.PCP, user=nurse)
    assert landing_url_for(nurse) == PLAN_REVIEWS


def test_a_pcp_who_left_the_team_lands_on_my_work(team, pcp):
    membership = TeamMembership.objects.get(team=team, user=pcp)
    team_member_remove(actor=SETUP, membership=membership)
    assert landing_url_for(pcp) == MY_WORK


def test_a_page_asked_for_before_signing_in_still_wins(pcp):
    client = Client()
    response = client.post(
        f"{reverse('accounts:login')}?next=/patients/",
        {"username": pcp.username, "password": factories.PASSWORD},
    )
    assert response["Location"] == "/patients/"


def test_my_verifications_shows_the_checks_waiting_and_not_the_rest(
    client_for, pharmacist, nurse, patient
):
    check = make_performed(patient, nurse, role=Role.PHARMACIST)
    page = client_for(pharmacist).get(MY_VERIFICATIONS).content.decode()
    assert "Awaiting my verification" in page
    assert check.title in page
    assert 'id="overdue"' not in page
    assert "Show all my work" in page
    everything = client_for(pharmacist).get(MY_WORK).content.decode()
    assert 'id="overdue"' in everything


def test_my_work_refuses_an_unknown_view_with_a_clear_error(client_for, nurse):
    response = client_for(nurse).get("/work/?show=everything-else")
    assert response.status_code == 400
    assert "Choose what My work shows" in response.content.decode()
