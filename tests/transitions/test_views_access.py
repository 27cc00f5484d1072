"""Role matrix of the transitions pages that change an episode: who may, who is refused, how.

Anonymous goes to the login page; a member of another team gets the very 404 a missing
object gets (no patient field, nothing changed); a member without the right is refused
with a 403 and nothing changes; a member with it succeeds.
"""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.models import Role
from apps.tasks.models import Task, TaskStatus
from apps.transitions.models import (
    ChecklistItem,
    Complexity,
    Episode,
    MedicationLine,
    MedicationReconciliation,
    ReconciliationStatus,
)
from tests import factories
from tests.factories import SETUP
from tests.transitions.access import reconciliation_world

HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}
PATIENT_FIELDS = (b"Garcia", b"Rosa", b"MRN0001")
MISSING_ID = 987_654_321
# The CSRF token is masked afresh on every render; it is the only part two 404 pages differ by.
CSRF_TOKEN = re.compile(rb'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]*')


@pytest.fixture
def team_admin(team):
    """An administrator on the team: sees its patients, holds no clinical or task right."""
    return factories.make_member(team, Role.ADMIN, username="teamadmin")


@pytest.fixture
def world(patient, nurse, pharmacist, chw, outsider, team_admin):
    return reconciliation_world(patient, nurse)


def state() -> tuple[list[Any], ...]:
    """Every row these pages can change."""
    return (
        list(Episode.objects.order_by("pk").values_list("pk", "complexity", "status")),
        list(
            MedicationLine.objects.order_by("pk").values_list(
                "pk", "name", "reason", "classification", "on_discharge"
            )
        ),
        list(
            MedicationReconciliation.objects.order_by("pk").values_list(
                "pk", "status", "performed_by_id", "verification_task_id"
            )
        ),
        list(Task.objects.order_by("pk").values_list("pk", "status", "performed_by_id")),
        list(ChecklistItem.objects.order_by("pk").values_list("pk", "done_at", "done_by_id")),
    )


Data = dict[str, str] | Callable[[dict[str, Any]], dict[str, str]]


def form_data(data: Data, world: dict[str, Any]) -> dict[str, str]:
    return data(world) if callable(data) else data


def page(response: Any) -> bytes:
    return CSRF_TOKEN.sub(rb"\1", response.content)


def assert_no_patient_field(response: Any) -> None:
    for value in PATIENT_FIELDS:
        assert value not in response.content


# name -> (url of the world's object, url of a missing one, form data, who lacks the right,
#          who holds it, what success changed)
Check = Callable[[dict[str, Any], Any], None]


def _complexity_set(world: dict[str, Any], user: Any) -> None:
    assert Episode.objects.get(pk=world["episode"].pk).complexity == Complexity.MODERATE


def _line_added(world: dict[str, Any], user: Any) -> None:
    added = MedicationLine.objects.get(name="Metoprolol")
    assert added.reconciliation_id == world["reconciliation"].pk


def _completed(world: dict[str, Any], user: Any) -> None:
    reconciliation = MedicationReconciliation.objects.get(pk=world["reconciliation"].pk)
    assert reconciliation.status == ReconciliationStatus.AWAITING_VERIFICATION
    assert reconciliation.performed_by == user


def _reason_given(world: dict[str, Any], user: Any) -> None:
    assert MedicationLine.objects.get(pk=world["line"].pk).reason == "Stopped by cardiology"


def _line_removed(world: dict[str, Any], user: Any) -> None:
    assert not MedicationLine.objects.filter(pk=world["line"].pk).exists()


def _visit_done(world: dict[str, Any], user: Any) -> None:
    task = Task.objects.get(pk=world["follow_up"].visit_task_id)
    assert (task.status, task.performed_by, task.follow_up_contact.note) == (
        TaskStatus.DONE,
        user,
        "Seen in clinic",
    )
    assert task.follow_up_contact.performed_by == user  # blank "who" is the person recording


ACTIONS: dict[str, tuple[Callable[[dict[str, Any]], str], str, Data, str, str, Check]] = {
    "complexity": (
        lambda w: f"/transitions/episodes/{w['episode'].pk}/complexity/",
        f"/transitions/episodes/{MISSING_ID}/complexity/",
        {"complexity": Complexity.MODERATE},
        "pharmacist",
        "nurse",
        _complexity_set,
    ),
    "line_add": (
        lambda w: f"/transitions/handoffs/{w['discharge'].pk}/reconciliation/lines/",
        f"/transitions/handoffs/{MISSING_ID}/reconciliation/lines/",
        {"name": "Metoprolol", "on_discharge": "on", "discharge_dose": "25 mg"},
        "chw",
        "pharmacist",
        _line_added,
    ),
    "reconciliation_complete": (
        lambda w: f"/transitions/handoffs/{w['discharge'].pk}/reconciliation/complete/",
        f"/transitions/handoffs/{MISSING_ID}/reconciliation/complete/",
        {},
        "chw",
        "pharmacist",
        _completed,
    ),
    "line_reason": (
        lambda w: f"/transitions/lines/{w['line'].pk}/reason/",
        f"/transitions/lines/{MISSING_ID}/reason/",
        {"reason": "Stopped by cardiology"},
        "chw",
        "pharmacist",
        _reason_given,
    ),
    "line_remove": (
        lambda w: f"/transitions/lines/{w['line'].pk}/remove/",
        f"/transitions/lines/{MISSING_ID}/remove/",
        {},
        "chw",
        "pharmacist",
        _line_removed,
    ),
    "visit_done": (
        lambda w: f"/transitions/follow-ups/{w['follow_up'].pk}/visit/done/",
        f"/transitions/follow-ups/{MISSING_ID}/visit/done/",
        lambda w: {
            "contact_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "outcome": "reached",
            "attempts": "1",
            "note": "Seen in clinic",
        },
        "team_admin",
        "chw",
        _visit_done,
    ),
}


@pytest.mark.parametrize("action", ACTIONS)
def test_anonymous_is_sent_to_login_and_nothing_changes(action, world):
    url, _missing, data, *_ = ACTIONS[action]
    before = state()
    response = Client().post(url(world), form_data(data, world), **HTMX)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert state() == before


@pytest.mark.parametrize("action", ACTIONS)
def test_another_team_gets_the_404_of_a_missing_object_and_nothing_changes(
    action, world, client_for, outsider
):
    url, missing, data, *_ = ACTIONS[action]
    client = client_for(outsider)
    before = state()
    response = client.post(url(world), form_data(data, world), **HTMX)
    assert state() == before
    absent = client.post(missing, form_data(data, world), **HTMX)
    assert (response.status_code, absent.status_code) == (404, 404)
    assert page(response) == page(absent)
    assert_no_patient_field(response)


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize("action", ACTIONS)
def test_a_member_without_the_right_is_refused_and_nothing_changes(
    action, htmx, world, client_for, request
):
    url, _missing, data, lacking, *_ = ACTIONS[action]
    before = state()
    response = client_for(request.getfixturevalue(lacking)).post(
        url(world), form_data(data, world), **(HTMX if htmx else {})
    )
    assert response.status_code == 403
    assert_no_patient_field(response)
    assert state() == before


@pytest.mark.parametrize("action", ACTIONS)
def test_a_member_with_the_right_succeeds(action, world, client_for, request):
    url, _missing, data, _lacking, holder, changed = ACTIONS[action]
    user = request.getfixturevalue(holder)
    response = client_for(user).post(url(world), form_data(data, world), **HTMX)
    assert response.status_code == 200, response.content.decode()[:500]
    assert b'id="episode-chain"' in response.content  # the episode body, redrawn
    changed(world, user)


# --- the episode list: every member sees it, so the matrix is about whose rows show --------


@pytest.fixture
def former_member(team, patient):
    from apps.teams.models import TeamMembership
    from apps.teams.services import team_member_remove

    user = factories.make_member(team, Role.CHW, username="formerchw")
    team_member_remove(actor=SETUP, membership=TeamMembership.objects.get(user=user, team=team))
    return user


def test_episode_list_anonymous_is_sent_to_login(world):
    response = Client().get("/transitions/episodes/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("who", ["outsider", "former_member"])
def test_episode_list_shows_no_row_of_a_team_one_is_not_on(who, world, client_for, request):
    response = client_for(request.getfixturevalue(who)).get("/transitions/episodes/")
    assert response.status_code == 200
    assert_no_patient_field(response)
    assert f"/transitions/episodes/{world['episode'].pk}/".encode() not in response.content


@pytest.mark.parametrize("who", ["chw", "team_admin", "nurse"])
def test_episode_list_shows_the_team_episode_to_its_members(who, world, client_for, request):
    response = client_for(request.getfixturevalue(who)).get("/transitions/episodes/")
    assert response.status_code == 200
    assert b"Garcia" in response.content
    assert f"/transitions/episodes/{world['episode'].pk}/".encode() in response.content
