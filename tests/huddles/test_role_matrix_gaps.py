"""Role-matrix cases the huddle suites left out, and the list measures with known numbers."""

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from apps.accounts.models import Role
from apps.core.models import AuditAction, AuditEvent
from apps.huddles import services
from apps.huddles.models import AgendaItem, Huddle, HuddleAttendance, HuddleStatus, ItemStatus
from apps.huddles.selectors import huddle_measures
from apps.tasks.models import Task
from tests import factories
from tests.huddles.factories import make_huddle, make_task, open_huddle, run_and_close

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def second_patient(team, org_admin):
    return factories.make_patient(
        team, actor=org_admin, given_name="Ines", family_name="Okafor", mrn="MRN0003"
    )


@pytest.fixture
def board(team, nurse, pcp, patient, second_patient):
    """An open huddle with two pending items, a closed one with minutes, and a scheduled one."""
    closed = run_and_close(open_huddle(team, nurse), nurse)
    make_task(patient, pcp, due_in=-timedelta(days=2), title="Review the labs")
    running = open_huddle(team, nurse)
    services.huddle_item_add(
        actor=nurse, huddle=running, patient=second_patient, title="Housing form overdue"
    )
    scheduled = make_huddle(team, nurse)
    items = list(AgendaItem.objects.filter(huddle=running).order_by("position"))
    assert len(items) == 2
    return running, items, closed, scheduled


def snapshot():
    return (
        list(Huddle.objects.order_by("pk").values_list("pk", "status", "opened_at", "closed_at")),
        list(
            AgendaItem.objects.order_by("pk").values_list(
                "pk", "status", "position", "decision", "reason", "closed_at"
            )
        ),
        list(HuddleAttendance.objects.order_by("pk").values_list("pk", "present")),
        Task.objects.count(),
        # A refusal is audited (one DENIED event); nothing else may be written.
        AuditEvent.objects.exclude(action=AuditAction.DENIED).count(),
    )


def json_keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in json_keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in json_keys(item)}
    return set()


def assert_nothing_of_a_patient(response, *patients):
    """No name or MRN in the body, and no patient field in a JSON body."""
    body = response.content.decode()
    for patient in patients:
        for value in (patient.given_name, patient.family_name, patient.mrn):
            assert value not in body
    if body and response.get("Content-Type", "").startswith("application/json"):
        assert not any("patient" in key for key in json_keys(json.loads(body)))


# --- API ---------------------------------------------------------------------------------


def api_calls(board, patient):
    """(label, method, url, payload) for each write, plus the minutes read."""
    running, items, closed, scheduled = board
    item = items[0]
    return [
        ("open", "post", reverse("api-huddle-open", args=[scheduled.pk]), {}),
        ("refresh", "post", reverse("api-huddle-refresh", args=[running.pk]), {}),
        ("cancel", "post", reverse("api-huddle-cancel", args=[scheduled.pk]), {"reason": "Ill"}),
        (
            "attendance",
            "post",
            reverse("api-huddle-attendance", args=[running.pk]),
            {"user_id": running.opened_by_id, "present": True},
        ),
        (
            "item_add",
            "post",
            reverse("api-huddle-items", args=[running.pk]),
            {"patient_id": patient.pk, "title": "Added by someone else"},
        ),
        (
            "discuss",
            "post",
            reverse("api-huddle-item-action", args=[running.pk, item.pk, "discuss"]),
            {"decision": "Call tomorrow"},
        ),
        (
            "decision",
            "post",
            reverse("api-huddle-item-action", args=[running.pk, item.pk, "decision"]),
            {"decision": "Call tomorrow"},
        ),
        ("minutes", "get", reverse("api-huddle-minutes", args=[closed.pk]), None),
    ]


LABELS = ["open", "refresh", "cancel", "attendance", "item_add", "discuss", "decision", "minutes"]


@pytest.mark.parametrize("label", LABELS)
def test_anonymous_is_refused_every_huddle_endpoint(api_for, board, patient, second_patient, label):
    _, method, url, payload = next(c for c in api_calls(board, patient) if c[0] == label)
    before = snapshot()
    response = getattr(api_for(None), method)(url, payload, format="json")
    assert response.status_code in (401, 403)
    assert_nothing_of_a_patient(response, patient, second_patient)
    assert snapshot() == before


@pytest.mark.parametrize("label", LABELS)
def test_an_outsider_gets_404_like_a_missing_huddle(
    api_for, outsider, board, patient, second_patient, label
):
    _, method, url, payload = next(c for c in api_calls(board, patient) if c[0] == label)
    before = snapshot()
    response = getattr(api_for(outsider), method)(url, payload, format="json")
    assert response.status_code == 404
    assert_nothing_of_a_patient(response, patient, second_patient)
    assert snapshot() == before


@pytest.mark.parametrize("label", [label for label in LABELS if label != "minutes"])
def test_a_member_without_run_huddles_gets_403_and_changes_nothing(
    api_for, pcp, board, patient, second_patient, label
):
    _, method, url, payload = next(c for c in api_calls(board, patient) if c[0] == label)
    before = snapshot()
    response = getattr(api_for(pcp), method)(url, payload, format="json")
    assert response.status_code == 403
    assert_nothing_of_a_patient(response, patient, second_patient)
    assert snapshot() == before


def test_a_member_without_run_huddles_still_reads_the_minutes(api_for, pcp, board, patient):
    _, _, closed, _ = board
    response = api_for(pcp).get(reverse("api-huddle-minutes", args=[closed.pk]))
    assert response.status_code == 200
    assert response.json()["huddle"]["id"] == closed.pk


# --- Pages -------------------------------------------------------------------------------


def page_calls(board):
    running, items, _, _ = board
    done = items[1]
    return {
        "refresh": reverse("huddles:refresh", args=[running.pk]),
        "move": reverse("huddles:item_move", args=[running.pk, items[0].pk, "down"]),
        "reopen": reverse("huddles:item_reopen", args=[running.pk, done.pk]),
    }


@pytest.fixture
def board_with_a_skipped_item(board, nurse):
    _, items, _, _ = board
    services.huddle_item_skip(actor=nurse, item=items[1], reason="Covered last week")
    return board


@pytest.mark.parametrize("action", ["refresh", "move", "reopen"])
def test_an_outsider_gets_404_from_the_run_screen_actions(
    client_for, outsider, board_with_a_skipped_item, patient, second_patient, action
):
    url = page_calls(board_with_a_skipped_item)[action]
    before = snapshot()
    response = client_for(outsider).post(url, **HX)
    assert response.status_code == 404
    assert_nothing_of_a_patient(response, patient, second_patient)
    assert snapshot() == before


@pytest.mark.parametrize("action", ["refresh", "move", "reopen"])
def test_a_member_without_run_huddles_is_refused_the_run_screen_actions(
    client_for, pcp, board_with_a_skipped_item, action
):
    url = page_calls(board_with_a_skipped_item)[action]
    before = snapshot()
    response = client_for(pcp).post(url, **HX)
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("action", ["refresh", "move", "reopen"])
def test_anonymous_run_screen_actions_go_to_login(client, board_with_a_skipped_item, action):
    url = page_calls(board_with_a_skipped_item)[action]
    before = snapshot()
    response = client.post(url)
    assert response.status_code == 302
    assert resolve_url(settings.LOGIN_URL) in response["Location"]
    assert snapshot() == before


# --- Measures ----------------------------------------------------------------------------


def test_huddle_measures_average_time_over_timed_discussed_items_and_count_roles(
    team, nurse, pcp, social_worker, chw, patient, second_patient
):
    third = factories.make_patient(team, actor=nurse, given_name="Ana", mrn="MRN0004")
    fourth = factories.make_patient(team, actor=nurse, given_name="Bo", mrn="MRN0005")
    huddle = open_huddle(team, nurse)
    for number, who in enumerate([patient, second_patient, third, fourth]):
        services.huddle_item_add(actor=nurse, huddle=huddle, patient=who, title=f"Item {number}")
    items = list(AgendaItem.objects.filter(huddle=huddle).order_by("pk"))
    assert len(items) == 4
    # Known numbers: two timed discussions (120 s and 60 s), one untimed discussion,
    # and one skipped item whose clock must not count.
    discussed = AgendaItem.objects.filter(pk__in=[item.pk for item in items[:3]])
    discussed.update(status=ItemStatus.DISCUSSED, decision="Agreed")
    AgendaItem.objects.filter(pk=items[0].pk).update(seconds_spent=120)
    AgendaItem.objects.filter(pk=items[1].pk).update(seconds_spent=60)
    AgendaItem.objects.filter(pk=items[2].pk).update(seconds_spent=None)
    AgendaItem.objects.filter(pk=items[3].pk).update(
        status=ItemStatus.SKIPPED, reason="Seen yesterday", seconds_spent=999
    )
    for user in (nurse, social_worker):
        services.huddle_attendance_set(actor=nurse, huddle=huddle, user_id=user.pk, present=True)
    second_chw = factories.make_member(team, Role.CHW, username="chw2")
    HuddleAttendance.objects.create(huddle=huddle, user=second_chw, role=Role.CHW, present=True)

    measures = huddle_measures([huddle.pk])[huddle.pk]

    assert (measures.items, measures.discussed, measures.timed_items) == (4, 3, 2)
    assert measures.seconds_spent == 180
    assert measures.seconds_per_item == 90
    assert measures.time_per_item_display == "1 min 30 s"
    by_role = {role: (row.present, row.expected) for role, row in measures.attendance.items()}
    assert by_role == {
        Role.RN_CARE_COORDINATOR: (1, 1),
        Role.PCP: (0, 1),
        Role.SOCIAL_WORKER: (1, 1),
        Role.CHW: (1, 2),
    }
    assert (measures.present_count, measures.expected_count) == (3, 5)
    assert measures.attendance[Role.CHW].percent == 50
    assert huddle.status == HuddleStatus.OPEN
