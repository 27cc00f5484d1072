"""The chart's complex-needs section and its htmx forms: role matrix, errors, no leaks."""

import pytest
from django.urls import reverse

from apps.core.models import AuditAction, AuditEvent
from apps.patients.models import (
    AreaDeprivation,
    Condition,
    ConditionStatus,
    Encounter,
    PatientComplexity,
    SdohScreen,
)
from tests.patients.factories import NEGATIVE_SCREEN, add_conditions, days_ago, make_complex

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "clinical-section"}


def _counts():
    return (
        Condition.objects.count(),
        Encounter.objects.count(),
        SdohScreen.objects.count(),
        AreaDeprivation.objects.count(),
    )


def test_chart_lazy_loads_the_section_from_its_own_url(client_for, nurse, patient):
    body = client_for(nurse).get(reverse("patients:chart", args=[patient.pk])).content.decode()
    assert f'hx-get="{reverse("patients:clinical", args=[patient.pk])}"' in body
    assert 'hx-trigger="load"' in body


def test_section_shows_flag_reason_and_evidence(client_for, nurse, patient):
    make_complex(nurse, patient)
    response = client_for(nurse).get(reverse("patients:clinical", args=[patient.pk]), **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "Complex needs</span>" in body
    assert "Charlson index 5 reaches 3" in body
    assert "I50.9" in body
    assert "Heart failure, unspecified" in body
    assert "national percentile 91" in body
    assert 'hx-post="' + reverse("patients:condition_add", args=[patient.pk]) in body
    assert AuditEvent.objects.filter(
        actor=nurse, action=AuditAction.VIEW, patient_id=patient.pk
    ).exists()


def test_section_without_htmx_is_a_full_page(client_for, nurse, patient):
    body = client_for(nurse).get(reverse("patients:clinical", args=[patient.pk])).content.decode()
    assert "<html" in body
    assert "Back to the chart" in body


def test_anonymous_is_sent_to_login_and_nothing_changes(client, patient):
    before = _counts()
    for url in (
        reverse("patients:clinical", args=[patient.pk]),
        reverse("patients:condition_add", args=[patient.pk]),
    ):
        response = client.post(url, {"code": "I50.9"}) if "add" in url else client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    assert _counts() == before


def test_outsider_gets_404_like_a_missing_patient_and_nothing_changes(
    client_for, outsider, nurse, patient
):
    make_complex(nurse, patient)
    client = client_for(outsider)
    before = _counts()
    hidden = client.get(reverse("patients:clinical", args=[patient.pk]), **HTMX)
    missing = client.get(reverse("patients:clinical", args=[987654]), **HTMX)
    assert hidden.status_code == missing.status_code == 404
    posted = client.post(
        reverse("patients:condition_add", args=[patient.pk]), {"code": "B20"}, **HTMX
    )
    assert posted.status_code == 404
    condition = Condition.objects.first()
    resolve = client.post(
        reverse("patients:condition_resolve", args=[patient.pk, condition.pk]), {}, **HTMX
    )
    assert resolve.status_code == 404
    for response in (hidden, posted, resolve):
        body = response.content.decode()
        assert patient.family_name not in body
        assert "I50.9" not in body
    assert _counts() == before
    condition.refresh_from_db()
    assert condition.status == ConditionStatus.ACTIVE


@pytest.mark.parametrize(
    ("member", "url_name", "data", "allowed"),
    [
        ("nurse", "condition_add", {"code": "I50.9"}, True),
        ("pcp", "condition_add", {"code": "I50.9"}, True),
        ("pharmacist", "condition_add", {"code": "I50.9"}, False),
        ("chw", "condition_add", {"code": "I50.9"}, False),
        ("specialist", "encounter_add", {"kind": "ed", "admit_date": "2026-01-05"}, True),
        ("social_worker", "encounter_add", {"kind": "ed", "admit_date": "2026-01-05"}, False),
        ("chw", "sdoh_screen_add", "screen", True),
        ("pcp", "sdoh_screen_add", "screen", False),
        ("nurse", "area_deprivation_set", {"national_percentile": 85, "state_decile": 9}, True),
        ("chw", "area_deprivation_set", {"national_percentile": 85, "state_decile": 9}, False),
    ],
)
def test_role_matrix_for_recording_evidence(
    request, client_for, patient, member, url_name, data, allowed
):
    user = request.getfixturevalue(member)
    if data == "screen":
        data = NEGATIVE_SCREEN | {"screened_on": days_ago(1).isoformat(), "food_worry": "often"}
    before = _counts()
    response = client_for(user).post(
        reverse(f"patients:{url_name}", args=[patient.pk]), data, **HTMX
    )
    if allowed:
        assert response.status_code == 200
        assert "<html" not in response.content.decode()
        assert _counts() != before
    else:
        assert response.status_code == 403
        assert patient.family_name not in response.content.decode()
        assert _counts() == before


def test_the_form_for_a_right_the_user_lacks_is_not_shown(client_for, pharmacist, patient):
    body = (
        client_for(pharmacist)
        .get(reverse("patients:clinical", args=[patient.pk]), **HTMX)
        .content.decode()
    )
    assert "Add a condition" not in body
    assert "Run an HRSN screen" not in body
    assert "Set the Area Deprivation Index" not in body


def test_adding_a_condition_by_htmx_returns_the_rescored_section(client_for, nurse, patient):
    add_conditions(nurse, patient, "N18.4")
    response = client_for(nurse).post(
        reverse("patients:condition_add", args=[patient.pk]),
        {"code": "i509", "onset_date": "2024-03-01"},
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "I50.9" in body
    assert "Charlson index <strong>3</strong>" in body
    assert PatientComplexity.objects.get(patient=patient).cci == 3


def test_an_unknown_code_is_shown_on_its_field_and_nothing_is_written(client_for, nurse, patient):
    response = client_for(nurse).post(
        reverse("patients:condition_add", args=[patient.pk]), {"code": "E11.99"}, **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "E11.99 is not an ICD-10-CM code" in body
    assert '<details class="add" open>' in body
    assert not Condition.objects.exists()


def test_discharge_before_admission_is_shown_and_nothing_is_written(client_for, nurse, patient):
    response = client_for(nurse).post(
        reverse("patients:encounter_add", args=[patient.pk]),
        {"kind": "inpatient", "admit_date": "2026-01-10", "discharge_date": "2026-01-02"},
        **HTMX,
    )
    assert "Discharge is before the admission." in response.content.decode()
    assert not Encounter.objects.exists()


def test_resolve_by_htmx(client_for, nurse, patient):
    add_conditions(nurse, patient, "I50.9")
    condition = Condition.objects.get()
    response = client_for(nurse).post(
        reverse("patients:condition_resolve", args=[patient.pk, condition.pk]),
        {"resolved_date": days_ago(0).isoformat()},
        **HTMX,
    )
    assert response.status_code == 200
    assert "1 resolved" in response.content.decode()
    condition.refresh_from_db()
    assert condition.status == ConditionStatus.RESOLVED


def test_screen_with_a_missing_answer_is_refused_on_that_question(client_for, chw, patient):
    data = NEGATIVE_SCREEN | {"screened_on": days_ago(1).isoformat()}
    del data["utilities"]
    response = client_for(chw).post(
        reverse("patients:sdoh_screen_add", args=[patient.pk]), data, **HTMX
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not SdohScreen.objects.exists()


def test_adi_out_of_range_is_refused(client_for, nurse, patient):
    response = client_for(nurse).post(
        reverse("patients:area_deprivation_set", args=[patient.pk]),
        {"national_percentile": 140, "state_decile": 3},
        **HTMX,
    )
    assert response.status_code == 200
    assert "100" in response.content.decode()
    assert not AreaDeprivation.objects.exists()


def test_without_htmx_a_successful_post_redirects_to_the_section_page(client_for, nurse, patient):
    response = client_for(nurse).post(
        reverse("patients:condition_add", args=[patient.pk]), {"code": "I50.9"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:clinical", args=[patient.pk])
