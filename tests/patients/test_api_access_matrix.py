"""Role-matrix gaps of the patient API: anonymous, other team, member without the right.

Denied cases show no patient field and change no row.
"""

import pytest
from django.urls import reverse

from apps.core.models import AuditAction, AuditEvent
from apps.patients.models import (
    BreakGlassAccess,
    Condition,
    ConditionStatus,
)
from tests import factories
from tests.patients.access import assert_no_patient_field, denials, patient_data_state
from tests.patients.factories import NEGATIVE_SCREEN, add_conditions, days_ago

REASON = "Unconscious in the ED, need medication history"
NEW_PATIENT = {
    "mrn": "NEW9",
    "given_name": "Ana",
    "family_name": "Silva",
    "date_of_birth": "1970-01-01",
}


def _url(name, patient, *extra) -> str:
    return reverse(f"api-patient-{name}", args=[patient.pk, *extra])


def _resolve_url(patient, condition) -> str:
    return reverse("api-condition-resolve", args=[patient.pk, condition.pk])


def _condition(nurse, patient) -> Condition:
    add_conditions(nurse, patient, "I50.9")
    return Condition.objects.get(patient=patient)


def _screen() -> dict:
    return {"screened_on": days_ago(2).isoformat(), "answers": NEGATIVE_SCREEN}


def test_anonymous_is_refused_on_every_write_and_nothing_changes(api_for, nurse, team, patient):
    condition = _condition(nurse, patient)
    client = api_for(None)
    before = patient_data_state()
    responses = [
        client.post(
            reverse("api-patient-list"), NEW_PATIENT | {"care_team_id": team.pk}, format="json"
        ),
        client.patch(
            reverse("api-patient-detail", args=[patient.pk]), {"phone": "555-0123"}, format="json"
        ),
        client.post(
            reverse("api-patient-break-glass"),
            factories.break_glass_body(patient, reason=REASON),
            format="json",
        ),
        client.post(_resolve_url(patient, condition), {}, format="json"),
        client.post(
            _url("encounters", patient), {"kind": "ed", "admit_date": "2026-01-02"}, format="json"
        ),
        client.post(_url("sdoh-screens", patient), _screen(), format="json"),
        client.put(
            _url("area-deprivation", patient),
            {"national_percentile": 88, "state_decile": 9},
            format="json",
        ),
    ]
    for response in responses:
        assert response.status_code in (401, 403)
        assert_no_patient_field(response, patient)
    assert patient_data_state() == before


def test_member_without_the_right_cannot_create_a_patient(api_for, chw, team, patient):
    before = patient_data_state()
    response = api_for(chw).post(
        reverse("api-patient-list"), NEW_PATIENT | {"care_team_id": team.pk}, format="json"
    )
    assert response.status_code == 403
    assert_no_patient_field(response, patient)
    assert "Silva" not in response.content.decode()
    assert patient_data_state() == before


def test_member_without_the_clinical_right_cannot_resolve_a_condition(api_for, nurse, chw, patient):
    condition = _condition(nurse, patient)
    before = patient_data_state()
    response = api_for(chw).post(
        _resolve_url(patient, condition), {"resolved_date": days_ago(1).isoformat()}, format="json"
    )
    assert response.status_code == 403
    assert_no_patient_field(response, patient)
    assert patient_data_state() == before
    condition.refresh_from_db()
    assert condition.status == ConditionStatus.ACTIVE
    assert denials(chw, patient) == 1


@pytest.mark.parametrize(
    ("endpoint", "payload"),
    [("encounters", {"kind": "ed", "admit_date": "2026-01-02"}), ("sdoh-screens", "screen")],
)
def test_other_team_gets_404_on_clinical_writes_and_nothing_changes(
    api_for, outsider, patient, endpoint, payload
):
    data = _screen() if payload == "screen" else payload
    before = patient_data_state()
    response = api_for(outsider).post(_url(endpoint, patient), data, format="json")
    assert response.status_code == 404
    assert_no_patient_field(response, patient)
    assert patient_data_state() == before


def test_outsider_breaks_the_glass_with_a_reason(verified_api_for, outsider, patient):
    response = verified_api_for(outsider).post(
        reverse("api-patient-break-glass"),
        factories.break_glass_body(patient, reason=REASON),
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["patient_id"] == patient.pk
    assert "Garcia" not in response.content.decode()
    access = BreakGlassAccess.objects.get()
    assert (access.user, access.patient) == (outsider, patient)
    assert AuditEvent.objects.filter(
        actor=outsider, action=AuditAction.BREAK_GLASS, patient_id=patient.pk, break_glass=True
    ).exists()


@pytest.mark.parametrize("reason", ["", "   ", "ED"])
def test_break_glass_without_a_real_reason_is_a_400_and_grants_nothing(
    verified_api_for, outsider, patient, reason
):
    before = patient_data_state()
    response = verified_api_for(outsider).post(
        reverse("api-patient-break-glass"),
        factories.break_glass_body(patient, reason=reason),
        format="json",
    )
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    assert_no_patient_field(response, patient)
    assert patient_data_state() == before
    assert not AuditEvent.objects.filter(action=AuditAction.BREAK_GLASS).exists()
