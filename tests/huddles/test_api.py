"""The huddle API: the same services, a role matrix, and the one-owner rule at this door."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.huddles.models import AgendaItem, Huddle, HuddleStatus, ItemStatus
from apps.tasks.models import Task, TaskSource
from tests.api.schema import assert_conforms
from tests.huddles.factories import make_huddle, make_task, open_huddle


@pytest.fixture
def running(team, nurse, pcp, patient):
    make_task(patient, pcp, due_in=-timedelta(days=2), title="Review the labs")
    huddle = open_huddle(team, nurse)
    return huddle, AgendaItem.objects.get(huddle=huddle)


def api_url(name, *args):
    return reverse(f"api-huddle-{name}", args=args)


def tasks_made():
    return Task.objects.filter(source_type=TaskSource.HUDDLE).count()


@pytest.mark.parametrize(
    ("who", "expected"),
    [(None, (401, 403)), ("outsider", (404,)), ("pcp", (200,)), ("nurse", (200,))],
)
def test_detail_role_matrix(request, api_for, running, patient, who, expected):
    huddle, _ = running
    user = request.getfixturevalue(who) if who else None
    response = api_for(user).get(api_url("detail", huddle.pk))
    assert response.status_code in expected
    body = response.content.decode()
    assert (patient.family_name in body) == (expected == (200,))


def test_detail_lists_items_with_patient_evidence_and_attendance(api_for, nurse, running, patient):
    huddle, _ = running
    body = api_for(nurse).get(api_url("detail", huddle.pk)).json()
    (row,) = body["items"]
    assert row["patient"]["id"] == patient.pk
    assert row["source"] == "overdue_tasks"
    assert row["key"] == f"overdue_tasks:p{patient.pk}"
    assert any("Review the labs" in entry["detail"] for entry in row["evidence"])
    assert {entry["user_id"] for entry in body["attendance"]} >= {nurse.pk}


def test_list_returns_only_the_users_teams_with_measures(api_for, nurse, outsider, running):
    huddle, _ = running
    mine = api_for(nurse).get(api_url("list")).json()
    assert [row["huddle"]["id"] for row in mine["open"]] == [huddle.pk]
    assert mine["open"][0]["measures"]["items"] == 1
    theirs = api_for(outsider).get(api_url("list")).json()
    assert theirs["open"] == []
    assert theirs["past"] == []


def test_schedule_through_the_api(api_for, nurse, team):
    start = (timezone.now() + timedelta(days=1)).isoformat()
    response = api_for(nurse).post(
        api_url("list"),
        {"team_id": team.pk, "scheduled_start": start, "duration_minutes": 20},
        format="json",
    )
    assert response.status_code == 201
    assert Huddle.objects.get(pk=response.json()["id"]).duration_minutes == 20


@pytest.mark.parametrize(("who", "expected"), [("pcp", 403), ("outsider", 400)])
def test_schedule_refused_for_non_coordinators(request, api_for, team, who, expected):
    start = (timezone.now() + timedelta(days=1)).isoformat()
    response = api_for(request.getfixturevalue(who)).post(
        api_url("list"), {"team_id": team.pk, "scheduled_start": start}, format="json"
    )
    assert response.status_code == expected
    assert not Huddle.objects.exists()


def test_weekly_series_through_the_api(api_for, nurse, team):
    response = api_for(nurse).post(
        reverse("api-huddle-series"),
        {"team_id": team.pk, "weekday": 1, "start_time": "09:00"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["rule"] == "Every Tuesday at 09:00"
    assert Huddle.objects.filter(series_id=response.json()["id"]).count() >= 4


def test_a_whole_huddle_through_the_api(api_for, team, nurse, pcp, patient):
    make_task(patient, pcp, due_in=-timedelta(days=2))
    huddle = make_huddle(team, nurse)
    client = api_for(nurse)
    board = client.post(api_url("open", huddle.pk)).json()
    item_id = board["items"][0]["id"]
    assert client.post(
        api_url("attendance", huddle.pk), {"user_id": pcp.pk, "present": True}, format="json"
    ).json()["present"]
    created = client.post(
        api_url("item-tasks", huddle.pk, item_id),
        {"title": "Call the lab", "owner_id": pcp.pk, "due": "2bd"},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["owner_id"] == pcp.pk
    refused = client.post(api_url("item-action", huddle.pk, item_id, "discuss"), {}, format="json")
    assert refused.status_code == 400
    assert "decision" in refused.json()["errors"]
    done = client.post(
        api_url("item-action", huddle.pk, item_id, "discuss"),
        {"decision": "Lab to call back"},
        format="json",
    )
    assert done.json()["status"] == ItemStatus.DISCUSSED
    assert client.post(api_url("close", huddle.pk)).json()["huddle"]["status"] == "closed"
    minutes = client.get(api_url("minutes", huddle.pk)).json()
    assert minutes["items"][0]["tasks"][0]["owner_id"] == pcp.pk


@pytest.mark.parametrize(
    "payload",
    [
        {"title": "X", "due": "1bd"},
        {"title": "X", "owner_id": None, "due": "1bd"},
        {"title": "X", "owner_id": [1, 2], "due": "1bd"},
        {"title": "X", "owner_id": "OUTSIDER", "due": "1bd"},
        {"title": "X", "owner_id": "PCP"},
    ],
)
def test_api_never_makes_a_task_without_exactly_one_owner_and_a_due_date(
    api_for, nurse, pcp, outsider, running, payload
):
    huddle, item = running
    data = dict(payload)
    data["owner_id"] = (
        {"OUTSIDER": outsider.pk, "PCP": pcp.pk}.get(data.get("owner_id"), data.get("owner_id"))
        if isinstance(data.get("owner_id"), str)
        else data.get("owner_id", "missing")
    )
    if data["owner_id"] == "missing":
        del data["owner_id"]
    response = api_for(nurse).post(api_url("item-tasks", huddle.pk, item.pk), data, format="json")
    assert response.status_code == 400
    assert tasks_made() == 0


@pytest.mark.parametrize(("who", "expected"), [("outsider", 404), ("pcp", 403)])
def test_api_writes_refused_without_the_right_change_nothing(
    request, api_for, pcp, running, patient, who, expected
):
    huddle, item = running
    client = api_for(request.getfixturevalue(who))
    calls = [
        client.post(
            api_url("item-tasks", huddle.pk, item.pk),
            {"title": "X", "owner_id": pcp.pk, "due": "1bd"},
            format="json",
        ),
        client.post(
            api_url("item-action", huddle.pk, item.pk, "skip"), {"reason": "No"}, format="json"
        ),
        client.post(api_url("close", huddle.pk)),
        client.put(api_url("reorder", huddle.pk), {"item_ids": [item.pk]}, format="json"),
    ]
    assert {call.status_code for call in calls} == {expected}
    for call in calls:
        assert patient.family_name not in call.content.decode()
    item.refresh_from_db()
    huddle.refresh_from_db()
    assert (item.status, huddle.status, tasks_made()) == (ItemStatus.PENDING, HuddleStatus.OPEN, 0)


def test_item_of_another_huddle_is_not_found(api_for, team, nurse, running):
    _, item = running
    other = make_huddle(team, nurse)
    response = api_for(nurse).post(
        api_url("item-action", other.pk, item.pk, "skip"), {"reason": "x"}, format="json"
    )
    assert response.status_code == 404


def test_schema_lists_the_huddle_endpoints(api_for, nurse):
    schema = api_for(nurse).get(reverse("api-schema")).content.decode()
    assert "/api/v1/huddles/{huddle_id}/items/{item_id}/tasks/" in schema


def test_a_weekly_huddle_time_answers_as_the_schema_publishes(api_for, nurse, team):
    """A series starts at a local wall-clock time ("09:00:00", no offset: it stays 09:00
    across daylight saving); the schema used to call it an OpenAPI `time`, which needs one."""
    response = api_for(nurse).post(
        reverse("api-huddle-series"),
        {"team_id": team.pk, "weekday": 1, "start_time": "09:00"},
        format="json",
    )
    assert response.json()["start_time"] == "09:00:00"
    assert_conforms(response, "post", "/api/v1/huddle-series/")
    assert_conforms(
        api_for(nurse).get(reverse("api-huddle-series")), "get", "/api/v1/huddle-series/"
    )
