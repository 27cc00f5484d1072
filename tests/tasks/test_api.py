"""Role matrix for /api/v1/tasks/: same services, same refusals, nothing leaked or changed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Role
from apps.tasks.models import Task, TaskEvent, TaskStatus
from apps.teams.models import TeamMembership
from apps.teams.services import team_member_remove
from tests import factories
from tests.factories import SETUP
from tests.tasks.factories import make_performed, make_task


@pytest.fixture
def task(patient, chw, nurse):
    return make_task(patient, chw, actor=nurse, title="Book follow-up visit")


def _snapshot():
    return (
        list(Task.objects.order_by("pk").values_list("pk", "status", "owner_id", "verified_by_id")),
        TaskEvent.objects.count(),
    )


def _leaks(response, patient) -> bool:
    body = response.content.decode()
    return any(value in body for value in (patient.family_name, patient.mrn, "Book follow-up"))


READS = [
    ("api-task-my-work", False),
    ("api-task-detail", True),
]
WRITES = [
    ("api-task-start", {}),
    ("api-task-complete", {"note": "done"}),
    ("api-task-reassign", {"owner_id": 0, "reason": "cover"}),
    ("api-task-hold", {"reason": "waiting"}),
    ("api-task-cancel", {"reason": "duplicate"}),
]


def _url(name, task, with_id):
    return reverse(name, args=[task.pk]) if with_id else reverse(name)


@pytest.mark.parametrize(("name", "with_id"), [*READS, ("api-task-team", False)])
def test_anonymous_is_refused_every_read(api_for, task, patient, name, with_id):
    response = api_for(None).get(_url(name, task, with_id))
    assert response.status_code in (401, 403)
    assert not _leaks(response, patient)


def test_my_work_lists_my_sections_and_counts(api_for, chw, task):
    response = api_for(chw).get(reverse("api-task-my-work"))
    assert response.status_code == 200
    data = response.json()
    assert data["counts"]["upcoming"] == 1
    row = data["upcoming"][0]
    assert (row["id"], row["title"], row["owner"]["id"]) == (task.pk, task.title, chw.pk)
    assert row["patient"]["family_name"] == "Garcia"
    assert "complete" in row["actions"]


def test_an_outsider_sees_nothing_of_the_teams_tasks(api_for, outsider, task, patient):
    client = api_for(outsider)
    mine = client.get(reverse("api-task-my-work"))
    assert mine.status_code == 200
    assert not _leaks(mine, patient)
    detail = client.get(reverse("api-task-detail", args=[task.pk]))
    missing = client.get(reverse("api-task-detail", args=[999_999]))
    assert detail.status_code == missing.status_code == 404
    assert detail.json() == missing.json()
    assert client.get(reverse("api-task-team")).status_code == 403


def test_task_detail_has_the_history_and_my_actions(api_for, nurse, chw, task):
    data = api_for(nurse).get(reverse("api-task-detail", args=[task.pk])).json()
    assert data["owner"] == {"id": chw.pk, "name": chw.display_name}
    assert [event["kind"] for event in data["history"]] == ["created"]
    assert "reassign" in data["actions"]


@pytest.mark.parametrize(("name", "payload"), WRITES)
def test_outsiders_get_404_and_change_nothing(api_for, outsider, task, patient, name, payload):
    before = _snapshot()
    response = api_for(outsider).post(reverse(name, args=[task.pk]), payload, format="json")
    assert response.status_code == 404
    assert not _leaks(response, patient)
    assert _snapshot() == before


@pytest.mark.parametrize(("name", "payload"), WRITES)
def test_members_without_the_right_get_403_and_change_nothing(api_for, viewer, task, name, payload):
    payload = {**payload, "owner_id": viewer.pk} if "owner_id" in payload else payload
    before = _snapshot()
    response = api_for(viewer).post(reverse(name, args=[task.pk]), payload, format="json")
    assert response.status_code == 403
    assert _snapshot() == before


def test_anonymous_writes_change_nothing(api_for, task):
    before = _snapshot()
    for name, payload in WRITES:
        response = api_for(None).post(reverse(name, args=[task.pk]), payload, format="json")
        assert response.status_code in (401, 403)
    assert _snapshot() == before


def test_the_owner_starts_and_completes_through_the_api(api_for, chw, task):
    client = api_for(chw)
    assert client.post(reverse("api-task-start", args=[task.pk])).json()["status"] == "in_progress"
    done = client.post(reverse("api-task-complete", args=[task.pk]), {"note": "ok"}, format="json")
    assert done.status_code == 200
    assert done.json()["status"] == TaskStatus.DONE
    assert done.json()["performed_by"]["id"] == chw.pk


def test_create_through_the_api_with_one_owner(api_for, nurse, chw, patient):
    response = api_for(nurse).post(
        reverse("api-task-create"),
        {
            "patient_id": patient.pk,
            "title": "Deliver pill organiser",
            "owner_id": chw.pk,
            "due_at": (timezone.now() + timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["owner"]["id"] == chw.pk
    assert Task.objects.get().owner == chw


@pytest.mark.parametrize("owner", ["outsider", "missing", "none"])
def test_create_without_a_valid_owner_is_a_400_and_makes_nothing(
    request, api_for, nurse, patient, owner
):
    payload = {
        "patient_id": patient.pk,
        "title": "Nobody's",
        "due_at": (timezone.now() + timedelta(days=1)).isoformat(),
    }
    if owner == "outsider":
        payload["owner_id"] = request.getfixturevalue("outsider").pk
    elif owner == "missing":
        payload["owner_id"] = 999_999
    response = api_for(nurse).post(reverse("api-task-create"), payload, format="json")
    assert response.status_code == 400
    assert "owner_id" in (response.json().get("errors") or response.json())
    assert not Task.objects.exists()


def test_create_for_another_teams_patient_is_404(api_for, nurse, other_patient):
    response = api_for(nurse).post(
        reverse("api-task-create"),
        {
            "patient_id": other_patient.pk,
            "title": "Sneaky",
            "owner_id": nurse.pk,
            "due_at": timezone.now().isoformat(),
        },
        format="json",
    )
    assert response.status_code == 404
    assert not Task.objects.exists()


def test_create_by_a_member_without_the_right_is_403(api_for, viewer, nurse, patient):
    response = api_for(viewer).post(
        reverse("api-task-create"),
        {
            "patient_id": patient.pk,
            "title": "Not allowed",
            "owner_id": nurse.pk,
            "due_at": timezone.now().isoformat(),
        },
        format="json",
    )
    assert response.status_code == 403
    assert not Task.objects.exists()


def test_reassign_through_the_api_needs_a_reason_and_a_team_member(
    api_for, nurse, chw, outsider, social_worker, task
):
    client = api_for(nurse)
    url = reverse("api-task-reassign", args=[task.pk])
    assert client.post(url, {"owner_id": social_worker.pk}, format="json").status_code == 400
    off_team = client.post(url, {"owner_id": outsider.pk, "reason": "x"}, format="json")
    assert off_team.status_code == 400
    assert "owner_id" in off_team.json()["errors"]
    task.refresh_from_db()
    assert task.owner == chw
    moved = client.post(url, {"owner_id": social_worker.pk, "reason": "Housing"}, format="json")
    assert moved.status_code == 200
    assert moved.json()["owner"]["id"] == social_worker.pk
    assert moved.json()["history"][-1]["reason"] == "Housing"


def test_the_doer_cannot_verify_through_the_api(api_for, team, pharmacist, patient):
    task = make_performed(patient, pharmacist, role=Role.PHARMACIST)
    refused = api_for(pharmacist).post(reverse("api-task-verify", args=[task.pk]))
    assert refused.status_code == 400
    assert "verified_by" in refused.json()["errors"]
    task.refresh_from_db()
    assert task.status == TaskStatus.AWAITING_VERIFICATION
    colleague = factories.make_member(team, Role.PHARMACIST)
    wrong_role = api_for(factories.make_member(team, Role.CHW))
    assert wrong_role.post(reverse("api-task-verify", args=[task.pk])).status_code == 403
    verified = api_for(colleague).post(reverse("api-task-verify", args=[task.pk]))
    assert verified.status_code == 200
    assert verified.json()["verified_by"]["id"] == colleague.pk


def test_team_worklist_api_is_for_leads_and_shows_orphaned_work(
    api_for, nurse, pcp, chw, task, patient
):
    assert api_for(pcp).get(reverse("api-task-team")).status_code == 403
    team_member_remove(actor=SETUP, membership=TeamMembership.objects.get(user=chw))
    data = api_for(nurse).get(reverse("api-task-team"), {"orphaned": "true"}).json()
    assert data["orphaned_count"] == 1
    assert [row["id"] for row in data["results"]] == [task.pk]
    assert data["results"][0]["is_orphaned"] is True
    assert api_for(nurse).get(reverse("api-task-team"), {"role": "wizard"}).status_code == 400


def test_bulk_reassign_api_moves_all_or_is_refused(
    api_for, nurse, pcp, chw, social_worker, outsider, patient
):
    tasks = [make_task(patient, chw, actor=nurse) for _ in range(2)]
    url = reverse("api-task-bulk-reassign")
    payload = {"task_ids": [t.pk for t in tasks], "owner_id": social_worker.pk, "reason": "Left"}
    before = _snapshot()
    assert api_for(pcp).post(url, payload, format="json").status_code == 403
    assert api_for(outsider).post(url, payload, format="json").status_code == 404
    assert api_for(None).post(url, payload, format="json").status_code in (401, 403)
    off_team = {**payload, "owner_id": outsider.pk}
    assert api_for(nurse).post(url, off_team, format="json").status_code == 400
    assert _snapshot() == before
    response = api_for(nurse).post(url, payload, format="json")
    assert response.status_code == 200
    assert sorted(response.json()["reassigned"]) == sorted(t.pk for t in tasks)
    assert set(Task.objects.values_list("owner_id", flat=True)) == {social_worker.pk}


def test_the_openapi_schema_describes_the_task_endpoints(api_for, nurse):
    schema = api_for(nurse).get(reverse("api-schema"), {"format": "json"}).json()
    paths = schema["paths"]
    for expected in (
        "/api/v1/tasks/",
        "/api/v1/tasks/my-work/",
        "/api/v1/tasks/team/",
        "/api/v1/tasks/bulk-reassign/",
        "/api/v1/tasks/{task_id}/",
        "/api/v1/tasks/{task_id}/complete/",
        "/api/v1/tasks/{task_id}/reassign/",
        "/api/v1/tasks/{task_id}/verify/",
    ):
        assert expected in paths
