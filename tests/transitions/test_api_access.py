"""Role matrix of the reconciliation and checklist API: refusals leak nothing, change nothing."""

from typing import Any

import pytest

from apps.tasks.models import Task
from apps.transitions.models import (
    ChecklistItem,
    MedicationLine,
    MedicationReconciliation,
    ReconciliationStatus,
)
from tests.transitions.access import reconciliation_world

BASE = "/api/v1/transitions"
MISSING_ID = 987_654_321
PATIENT_FIELDS = ("Garcia", "Rosa", "MRN0001", "Furosemide")


@pytest.fixture
def world(patient, nurse, pharmacist, chw, outsider):
    return reconciliation_world(patient, nurse)


def state() -> tuple[list[Any], ...]:
    return (
        list(
            MedicationLine.objects.order_by("pk").values_list(
                "pk", "name", "reason", "classification", "on_discharge", "discharge_dose"
            )
        ),
        list(
            MedicationReconciliation.objects.order_by("pk").values_list(
                "pk", "status", "performed_by_id", "verification_task_id"
            )
        ),
        list(ChecklistItem.objects.order_by("pk").values_list("pk", "done_at", "note")),
        list(Task.objects.order_by("pk").values_list("pk", "status")),
    )


def assert_no_patient_field(response: Any) -> None:
    body = response.content.decode()
    for value in PATIENT_FIELDS:
        assert value not in body


# name -> (method, url of the world's object, url of a missing one, body)
REQUESTS: dict[str, tuple[str, Any, str, dict[str, Any]]] = {
    "line_create": (
        "post",
        lambda w: f"{BASE}/handoffs/{w['discharge'].pk}/reconciliation/lines/",
        f"{BASE}/handoffs/{MISSING_ID}/reconciliation/lines/",
        {"name": "Metoprolol", "on_discharge": True, "discharge_dose": "25 mg"},
    ),
    "reconciliation_complete": (
        "post",
        lambda w: f"{BASE}/handoffs/{w['discharge'].pk}/reconciliation/complete/",
        f"{BASE}/handoffs/{MISSING_ID}/reconciliation/complete/",
        {},
    ),
    "line_patch": (
        "patch",
        lambda w: f"{BASE}/medication-lines/{w['line'].pk}/",
        f"{BASE}/medication-lines/{MISSING_ID}/",
        {"reason": "Stopped by cardiology"},
    ),
    "line_delete": (
        "delete",
        lambda w: f"{BASE}/medication-lines/{w['line'].pk}/",
        f"{BASE}/medication-lines/{MISSING_ID}/",
        {},
    ),
    "checklist_item": (
        "patch",
        lambda w: f"{BASE}/checklist-items/{w['item'].pk}/",
        f"{BASE}/checklist-items/{MISSING_ID}/",
        {"done": True, "note": "faxed"},
    ),
}


def send(client: Any, method: str, url: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(url, body, format="json")


@pytest.mark.parametrize("name", REQUESTS)
def test_anonymous_is_refused_and_nothing_changes(name, api_for, world):
    method, url, _missing, body = REQUESTS[name]
    before = state()
    response = send(api_for(None), method, url(world), body)
    assert response.status_code in (401, 403)
    assert_no_patient_field(response)
    assert state() == before


@pytest.mark.parametrize("name", REQUESTS)
def test_another_team_gets_the_404_of_a_missing_object_and_nothing_changes(
    name, api_for, outsider, world
):
    method, url, missing, body = REQUESTS[name]
    client = api_for(outsider)
    before = state()
    response = send(client, method, url(world), body)
    assert state() == before
    absent = send(client, method, missing, body)
    assert (response.status_code, absent.status_code) == (404, 404)
    assert response.json() == absent.json()
    assert_no_patient_field(response)


# Lacking the right: the CHW has no reconcile_medications, the pharmacist no manage_transitions.
@pytest.mark.parametrize(
    ("name", "lacking"),
    [
        ("line_create", "chw"),
        ("reconciliation_complete", "chw"),
        ("line_patch", "chw"),
        ("line_delete", "chw"),
        ("checklist_item", "pharmacist"),
    ],
)
def test_a_member_without_the_right_gets_403_and_nothing_changes(
    name, lacking, api_for, request, world
):
    method, url, _missing, body = REQUESTS[name]
    before = state()
    response = send(api_for(request.getfixturevalue(lacking)), method, url(world), body)
    assert response.status_code == 403
    assert_no_patient_field(response)
    assert state() == before


def test_a_pharmacist_adds_a_line(api_for, pharmacist, world):
    method, url, _missing, body = REQUESTS["line_create"]
    response = send(api_for(pharmacist), method, url(world), body)
    assert response.status_code == 201
    created = MedicationLine.objects.get(pk=response.json()["id"])
    assert (created.name, created.reconciliation_id) == ("Metoprolol", world["reconciliation"].pk)


def test_a_pharmacist_completes_the_reconciliation(api_for, pharmacist, world):
    method, url, _missing, body = REQUESTS["reconciliation_complete"]
    response = send(api_for(pharmacist), method, url(world), body)
    assert response.status_code == 200
    reconciliation = MedicationReconciliation.objects.get(pk=world["reconciliation"].pk)
    assert (reconciliation.status, reconciliation.performed_by) == (
        ReconciliationStatus.AWAITING_VERIFICATION,
        pharmacist,
    )


def test_a_pharmacist_changes_a_line_reason(api_for, pharmacist, world):
    method, url, _missing, body = REQUESTS["line_patch"]
    response = send(api_for(pharmacist), method, url(world), body)
    assert response.status_code == 200
    assert response.json()["reason"] == "Stopped by cardiology"
    assert MedicationLine.objects.get(pk=world["line"].pk).reason == "Stopped by cardiology"


def test_a_pharmacist_removes_a_line(api_for, pharmacist, world):
    method, url, _missing, body = REQUESTS["line_delete"]
    response = send(api_for(pharmacist), method, url(world), body)
    assert response.status_code == 204
    assert not MedicationLine.objects.filter(pk=world["line"].pk).exists()


def test_a_chw_ticks_a_checklist_item(api_for, chw, world):
    method, url, _missing, body = REQUESTS["checklist_item"]
    response = send(api_for(chw), method, url(world), body)
    assert response.status_code == 200
    item = ChecklistItem.objects.get(pk=world["item"].pk)
    assert (item.done_by, item.note) == (chw, "faxed")
