"""Role matrix for the patient pages: who sees what, and what a refusal leaks (nothing)."""

import re

import pytest
from django.urls import reverse

from apps.core.models import AuditAction, AuditEvent
from tests import factories


def without_csrf(body: bytes) -> bytes:
    """Pages differ only by their per-response CSRF token mask."""
    return re.sub(rb"[A-Za-z0-9]{64}", b"", body)


def test_anonymous_is_sent_to_login_from_list_and_chart(client, patient):
    for url in (reverse("patients:list"), reverse("patients:chart", args=[patient.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    assert not AuditEvent.objects.filter(patient_id=patient.pk, action=AuditAction.VIEW).exists()


def test_list_shows_the_members_patients_and_not_others(client_for, nurse, patient, other_patient):
    response = client_for(nurse).get(reverse("patients:list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Garcia, Rosa" in body
    assert "Kowalski" not in body
    assert other_patient.mrn not in body


def test_search_partial_for_htmx_returns_only_the_results(client_for, nurse, patient):
    response = client_for(nurse).get(
        reverse("patients:list"),
        {"q": "rosa"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="patient-results",
    )
    body = response.content.decode()
    assert "<html" not in body
    assert "Garcia, Rosa" in body


@pytest.mark.parametrize("member", ["nurse", "pcp", "chw", "pharmacist", "specialist"])
def test_every_team_role_can_open_the_chart_and_see_the_team(
    request, client_for, patient, member, nurse
):
    user = request.getfixturevalue(member)
    response = client_for(user).get(reverse("patients:chart", args=[patient.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert patient.mrn in body
    assert nurse.display_name in body
    assert "Lead coordinator" in body


def test_another_teams_patient_answers_404_like_a_missing_one(client_for, outsider, patient):
    client = client_for(outsider)
    hidden = client.get(reverse("patients:chart", args=[patient.pk]))
    missing = client.get(reverse("patients:chart", args=[987_654]))
    assert hidden.status_code == missing.status_code == 404
    assert patient.family_name not in hidden.content.decode()
    assert patient.mrn not in hidden.content.decode()
    assert without_csrf(hidden.content) == without_csrf(missing.content)


def test_break_glass_page_grants_time_limited_access_with_a_reason(
    verified_client_for, outsider, patient
):
    client = verified_client_for(outsider)
    refused = client.post(
        reverse("patients:break_glass"), factories.break_glass_body(patient, reason="x")
    )
    assert refused.status_code == 200
    assert "at least 10 characters" in refused.content.decode()
    assert client.get(reverse("patients:chart", args=[patient.pk])).status_code == 404
    granted = client.post(
        reverse("patients:break_glass"),
        factories.break_glass_body(patient, reason="Unconscious in ED, need med list"),
    )
    assert granted.status_code == 302
    chart = client.get(granted["Location"])
    assert chart.status_code == 200
    assert (
        AuditEvent.objects.filter(
            actor=outsider, patient_id=patient.pk, break_glass=True, action=AuditAction.VIEW
        ).count()
        == 1
    )


def test_break_glass_cannot_reach_another_organisation(verified_client_for, patient):
    stranger = factories.make_user(factories.make_organisation())
    response = verified_client_for(stranger).post(
        reverse("patients:break_glass"),
        factories.break_glass_body(patient, reason="I really need to see this chart"),
    )
    assert "No patient in your organisation matches these details." in response.content.decode()
    assert not AuditEvent.objects.filter(actor=stranger, break_glass=True).exists()


def test_pages_with_patient_data_are_not_cached(client_for, nurse, patient):
    response = client_for(nurse).get(reverse("patients:chart", args=[patient.pk]))
    assert response["Cache-Control"] == "no-store"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
