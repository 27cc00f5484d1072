from datetime import timedelta

import pytest
from django.utils import timezone

from apps.transitions.models import (
    ChecklistItem,
    ChecklistItemCode,
    Episode,
    Handoff,
    HandoffKind,
    MedicationLine,
    MedicationReconciliation,
    ReconciliationStatus,
)
from tests.transitions.factories import admit, discharged_home

BASE = "/api/v1/transitions"


@pytest.fixture
def discharge(patient, nurse):
    return discharged_home(patient)


def test_board_lists_the_discharge(api_for, nurse, discharge):
    response = api_for(nurse).get(f"{BASE}/board/")
    assert response.status_code == 200
    (row,) = response.json()
    assert row["handoff"]["id"] == discharge.pk
    assert row["follow_up"]["contact_task"]["status"] == "requested"
    assert "Discharge summary received by the PCP" in row["missing"]


@pytest.mark.parametrize(
    ("who", "status", "count"),
    [("anonymous", 401, None), ("outsider", 200, 0), ("chw", 200, 1), ("nurse", 200, 1)],
)
def test_board_and_episode_list_role_matrix(api_for, request, who, status, count, discharge):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    for url in (f"{BASE}/board/", f"{BASE}/episodes/"):
        response = api_for(user).get(url)
        assert response.status_code in (status, 403 if status == 401 else status)
        if count is not None:
            assert len(response.json()) == count
        if count in (None, 0):
            assert "Garcia" not in response.content.decode()


def test_episode_detail_carries_chain_risk_measures_and_checklist(api_for, nurse, discharge):
    response = api_for(nurse).get(f"{BASE}/episodes/{discharge.episode_id}/")
    assert response.status_code == 200
    data = response.json()
    assert data["chain"] == ["Home", "Hospital", "Home"]
    assert 0 < data["risk"]["clean_probability"] < 1
    assert data["risk"]["costliest_missing_item"]["code"] == "reconciliation_done"
    (discharged,) = data["discharges"]
    assert discharged["measures"]["contact"] == "pending"
    assert len(discharged["checklist"]) == 6


@pytest.mark.parametrize(("who", "status"), [("outsider", 404), ("anonymous", 401)])
def test_episode_detail_denied(api_for, request, who, status, discharge):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    response = api_for(user).get(f"{BASE}/episodes/{discharge.episode_id}/")
    assert response.status_code in (status, 403)
    assert "Garcia" not in response.content.decode()
    assert "chain" not in response.content.decode()


def test_manual_discharge_by_api(api_for, nurse, patient):
    admit(patient, at=timezone.now() - timedelta(days=2))
    response = api_for(nurse).post(
        f"{BASE}/patients/{patient.pk}/transitions/",
        {
            "kind": "discharge",
            "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
            "visit_number": "V1",
            "disposition": "03",
            "source": "fax",
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["status"] == "in_transit"
    assert Handoff.objects.get(kind=HandoffKind.DISCHARGE).source == "fax"


@pytest.mark.parametrize(("who", "status"), [("pharmacist", 403), ("outsider", 404)])
def test_manual_entry_denied_records_nothing(api_for, request, who, status, patient):
    response = api_for(request.getfixturevalue(who)).post(
        f"{BASE}/patients/{patient.pk}/transitions/",
        {"kind": "admission", "occurred_at": timezone.now().isoformat(), "source": "phone"},
        format="json",
    )
    assert response.status_code == status
    assert not Episode.objects.exists()


def test_manual_entry_bad_input_is_a_400_with_field_errors(api_for, nurse, patient):
    response = api_for(nurse).post(
        f"{BASE}/patients/{patient.pk}/transitions/",
        {
            "kind": "admission",
            "occurred_at": (timezone.now() + timedelta(days=3)).isoformat(),
            "source": "phone",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "occurred_at" in response.json()["errors"]
    assert not Episode.objects.exists()


def test_checklist_item_patch(api_for, nurse, pharmacist, discharge):
    item = ChecklistItem.objects.get(handoff=discharge, code=ChecklistItemCode.SUMMARY_RECEIVED)
    denied = api_for(pharmacist).patch(
        f"{BASE}/checklist-items/{item.pk}/", {"done": True}, format="json"
    )
    assert denied.status_code == 403
    response = api_for(nurse).patch(
        f"{BASE}/checklist-items/{item.pk}/", {"done": True, "note": "faxed"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["note"] == "faxed"
    item.refresh_from_db()
    assert item.done_by == nurse


def test_reconciliation_by_api_from_lines_to_verification(api_for, nurse, pharmacist, discharge):
    client = api_for(nurse)
    assert client.post(f"{BASE}/handoffs/{discharge.pk}/reconciliation/").status_code == 200
    created = client.post(
        f"{BASE}/handoffs/{discharge.pk}/reconciliation/lines/",
        {
            "name": "Metoprolol",
            "on_pre_admission": True,
            "pre_dose": "25 mg",
            "on_discharge": True,
            "discharge_dose": "50 mg",
        },
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["is_discrepancy"] is True
    refused = client.post(f"{BASE}/handoffs/{discharge.pk}/reconciliation/complete/")
    assert refused.status_code == 400
    line_id = created.json()["id"]
    client.patch(f"{BASE}/medication-lines/{line_id}/", {"reason": "Rate control"}, format="json")
    assert (
        client.post(f"{BASE}/handoffs/{discharge.pk}/reconciliation/complete/").status_code == 200
    )
    assert client.post(f"{BASE}/handoffs/{discharge.pk}/reconciliation/verify/").status_code == 403
    verified = api_for(pharmacist).post(f"{BASE}/handoffs/{discharge.pk}/reconciliation/verify/")
    assert verified.status_code == 200
    assert verified.json()["status"] == ReconciliationStatus.VERIFIED


def test_reconciliation_of_another_team_is_not_found(api_for, outsider, nurse, discharge):
    response = api_for(outsider).post(f"{BASE}/handoffs/{discharge.pk}/reconciliation/")
    assert response.status_code == 404
    assert not MedicationReconciliation.objects.exists()
    assert not MedicationLine.objects.exists()
