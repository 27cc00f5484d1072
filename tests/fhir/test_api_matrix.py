"""Every FHIR interaction against every kind of caller: who gets what, and denials leak nothing.

Callers: anonymous, a user on another team, a team member whose role does not
move referrals (pharmacist), a team member, a system client of the organisation
with the scopes for the interaction, the same client without them, and the
referral partner's client.
"""

import json

import pytest
from django.test import Client

from apps.referrals.models import ReferralState

pytestmark = pytest.mark.django_db

ALL_READ = "system/*.read system/Task.write"
NO_SCOPE = "system/Practitioner.read"


@pytest.fixture
def world(
    client_for,
    make_system_client,
    organisation,
    chart,
    sent_referral,
    outsider,
    pharmacist,
    nurse,
    team,
):
    partner = sent_referral.service.resource_organisation
    return {
        "chart": chart,
        "referral": sent_referral,
        "team": team,
        "callers": {
            "anonymous": lambda: Client(),
            "other_team": lambda: client_for(outsider),
            "limited_role": lambda: client_for(pharmacist),
            "member": lambda: client_for(nurse),
            "client_with_scope": lambda: make_system_client(organisation, scopes=ALL_READ).http(
                ALL_READ
            ),
            "client_without_scope": lambda: make_system_client(organisation, scopes=NO_SCOPE).http(
                NO_SCOPE
            ),
            "partner_client": lambda: make_system_client(
                organisation, scopes=ALL_READ, partner=partner
            ).http(ALL_READ),
        },
    }


def _read(http, w):
    return http.get(f"/fhir/R4/Patient/{w['chart'].pk}")


def _search(http, w):
    return http.get("/fhir/R4/Condition", {"patient": w["chart"].pk})


def _everything(http, w):
    return http.get(f"/fhir/R4/Patient/{w['chart'].pk}/$everything")


def _task_read(http, w):
    return http.get(f"/fhir/R4/Task/referral-{w['referral'].pk}")


def _task_update(http, w):
    return http.patch(
        f"/fhir/R4/Task/referral-{w['referral'].pk}",
        json.dumps([{"op": "replace", "path": "/status", "value": "accepted"}]),
        content_type="application/json-patch+json",
    )


def _export(http, w):
    return http.get(f"/fhir/R4/Group/{w['team'].pk}/$export", headers={"Prefer": "respond-async"})


INTERACTIONS = {
    "read": _read,
    "search": _search,
    "everything": _everything,
    "task_read": _task_read,
    "task_update": _task_update,
    "group_export": _export,
}

# What each caller gets; a search the caller may run but whose rows it may not see is
# a 200 with nothing in it ("200-empty").
EXPECTED = {
    "anonymous": dict.fromkeys(INTERACTIONS, 401),
    "other_team": {
        "read": 404,
        "search": "200-empty",
        "everything": 404,
        "task_read": 404,
        "task_update": 403,
        "group_export": 404,
    },
    "limited_role": {
        "read": 200,
        "search": 200,
        "everything": 200,
        "task_read": 200,
        "task_update": 403,
        "group_export": 202,
    },
    "member": {
        "read": 200,
        "search": 200,
        "everything": 200,
        "task_read": 200,
        "task_update": 403,
        "group_export": 202,
    },
    "client_with_scope": {
        "read": 200,
        "search": 200,
        "everything": 200,
        "task_read": 200,
        "task_update": 403,  # not the partner the referral went to
        "group_export": 202,
    },
    "client_without_scope": {
        "read": 403,
        "search": 403,
        "everything": 403,
        "task_read": 403,
        "task_update": 403,
        "group_export": 403,
    },
    "partner_client": {
        "read": 200,
        "search": 403,  # a partner reads the referral loop, not the chart
        "everything": 200,
        "task_read": 200,
        "task_update": 200,
        "group_export": 202,
    },
}

CASES = [(caller, name) for caller, row in EXPECTED.items() for name in row]


@pytest.mark.parametrize(("caller", "interaction"), CASES)
def test_fhir_permission_matrix(world, caller, interaction, django_capture_on_commit_callbacks):
    http = world["callers"][caller]()
    expected = EXPECTED[caller][interaction]

    with django_capture_on_commit_callbacks(execute=False):
        response = INTERACTIONS[interaction](http, world)

    status = 200 if expected == "200-empty" else expected
    assert response.status_code == status, response.content
    body = response.json()
    if status >= 400:
        assert body["resourceType"] == "OperationOutcome"
        assert world["chart"].family_name.encode() not in response.content
    if status == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")
    if expected == "200-empty":
        assert body["total"] == 0
    world["referral"].refresh_from_db()
    moved = interaction == "task_update" and status == 200
    assert world["referral"].state == (ReferralState.RECEIVED if moved else ReferralState.SENT)
