"""Role-matrix gaps of the patient pages: anonymous, other team, member without the right.

Denied cases show no patient field and change no row.
"""

import pytest
from django.urls import reverse

from apps.patients.models import (
    Condition,
    ConditionStatus,
)
from tests import factories
from tests.patients.access import assert_no_patient_field, denials, patient_data_state
from tests.patients.factories import NEGATIVE_SCREEN, add_conditions, days_ago

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "clinical-section"}
ENCOUNTER = {"kind": "ed", "admit_date": "2026-01-05"}
ADI = {"national_percentile": 85, "state_decile": 9}


def _screen() -> dict:
    return NEGATIVE_SCREEN | {"screened_on": days_ago(1).isoformat(), "food_worry": "often"}


def _condition(nurse, patient) -> Condition:
    add_conditions(nurse, patient, "I50.9")
    return Condition.objects.get(patient=patient)


def test_anonymous_is_sent_to_login_from_every_write_export_and_break_glass(client, nurse, patient):
    condition = _condition(nurse, patient)
    before = patient_data_state()
    posts = [
        (reverse("patients:condition_resolve", args=[patient.pk, condition.pk]), {}),
        (reverse("patients:encounter_add", args=[patient.pk]), ENCOUNTER),
        (reverse("patients:sdoh_screen_add", args=[patient.pk]), _screen()),
        (reverse("patients:area_deprivation_set", args=[patient.pk]), ADI),
        (
            reverse("patients:break_glass"),
            factories.break_glass_body(patient, reason="Unconscious in the ED, need history"),
        ),
    ]
    responses = [client.post(url, data) for url, data in posts]
    responses += [
        client.get(reverse("patients:export")),
        client.get(reverse("patients:break_glass")),
    ]
    for response in responses:
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
        assert_no_patient_field(response, patient)
    assert patient_data_state() == before


@pytest.mark.parametrize(
    ("url_name", "data"),
    [("encounter_add", ENCOUNTER), ("sdoh_screen_add", "screen"), ("area_deprivation_set", ADI)],
)
def test_other_team_gets_404_like_a_missing_patient_and_nothing_changes(
    client_for, outsider, patient, url_name, data
):
    payload = _screen() if data == "screen" else data
    before = patient_data_state()
    client = client_for(outsider)
    hidden = client.post(reverse(f"patients:{url_name}", args=[patient.pk]), payload, **HTMX)
    missing = client.post(reverse(f"patients:{url_name}", args=[987654]), payload, **HTMX)
    assert hidden.status_code == missing.status_code == 404
    assert_no_patient_field(hidden, patient)
    assert patient_data_state() == before


def test_member_without_the_clinical_right_cannot_resolve_a_condition(
    client_for, nurse, chw, patient
):
    condition = _condition(nurse, patient)
    before = patient_data_state()
    response = client_for(chw).post(
        reverse("patients:condition_resolve", args=[patient.pk, condition.pk]),
        {"resolved_date": days_ago(1).isoformat()},
        **HTMX,
    )
    assert response.status_code == 403
    assert_no_patient_field(response, patient)
    assert patient_data_state() == before
    condition.refresh_from_db()
    assert condition.status == ConditionStatus.ACTIVE
    assert denials(chw, patient) == 1


def test_member_with_the_clinical_right_resolves_the_condition(client_for, nurse, pcp, patient):
    condition = _condition(nurse, patient)
    response = client_for(pcp).post(
        reverse("patients:condition_resolve", args=[patient.pk, condition.pk]),
        {"resolved_date": days_ago(1).isoformat()},
        **HTMX,
    )
    assert response.status_code == 200
    condition.refresh_from_db()
    assert condition.status == ConditionStatus.RESOLVED
