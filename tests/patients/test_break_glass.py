"""Break-the-glass: who the patient is, why, a second factor, a banner, every section,
and a privacy officer's review."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from apps.core.models import AuditAction, AuditEvent
from apps.patients.models import BreakGlassAccess, BreakGlassReview
from apps.teams.models import TeamMembership
from apps.teams.services import team_member_remove
from tests import factories

BREAK_GLASS = "patients:break_glass"
NO_MATCH = "No patient in your organisation matches these details."


def test_a_wrong_name_or_birth_date_answers_like_an_unknown_mrn_and_is_audited(
    verified_client_for, outsider, patient
):
    client = verified_client_for(outsider)
    wrong_name = client.post(
        reverse(BREAK_GLASS), factories.break_glass_body(patient) | {"family_name": "Smith"}
    )
    wrong_birth = client.post(
        reverse(BREAK_GLASS), factories.break_glass_body(patient) | {"date_of_birth": "1951-01-01"}
    )
    unknown = client.post(
        reverse(BREAK_GLASS), factories.break_glass_body(patient) | {"mrn": "NOPE999"}
    )
    for response in (wrong_name, wrong_birth, unknown):
        assert NO_MATCH in response.content.decode()
        assert "Rosa" not in response.content.decode().replace('value="Rosa"', "")
    assert not BreakGlassAccess.objects.exists()
    reasons = list(
        AuditEvent.objects.filter(actor=outsider, action=AuditAction.DENIED)
        .order_by("id")
        .values_list("detail__reason", "patient_id")
    )
    assert reasons == [
        ("details_mismatch", patient.pk),
        ("details_mismatch", patient.pk),
        ("unknown_mrn", None),
    ]


def test_names_match_whatever_their_case_and_spacing(verified_client_for, outsider, patient):
    body = factories.break_glass_body(patient) | {"family_name": " garcia ", "given_name": "ROSA"}
    response = verified_client_for(outsider).post(reverse(BREAK_GLASS), body)
    assert response.status_code == 302
    assert BreakGlassAccess.objects.filter(user=outsider, patient=patient).exists()


def test_break_glass_needs_a_verified_second_factor(client_for, api_for, outsider, patient):
    page = client_for(outsider).post(reverse(BREAK_GLASS), factories.break_glass_body(patient))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:mfa_verify"))
    key = factories.make_api_token(outsider)
    api = api_for(None).post(
        reverse("api-patient-break-glass"),
        factories.break_glass_body(patient),
        format="json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert api.status_code == 403
    assert "second factor" in api.json()["detail"]
    assert not BreakGlassAccess.objects.exists()


def test_break_glass_needs_a_reason_from_the_list(verified_api_for, outsider, patient):
    response = verified_api_for(outsider).post(
        reverse("api-patient-break-glass"),
        factories.break_glass_body(patient, reason_code="curiosity"),
        format="json",
    )
    assert response.status_code == 400
    assert "reason_code" in response.json()
    assert not BreakGlassAccess.objects.exists()


def _broken_into(client, patient):
    response = client.post(reverse(BREAK_GLASS), factories.break_glass_body(patient))
    assert response.status_code == 302
    return response["Location"]


def test_the_chart_shows_the_time_left_under_break_glass(
    verified_client_for, settings, outsider, nurse, client_for, patient
):
    settings.BREAK_GLASS_MINUTES = 60
    chart = verified_client_for(outsider).get(_broken_into(verified_client_for(outsider), patient))
    html = chart.content.decode()
    assert "Emergency access" in html
    assert re.search(r"(59|60)\s+minutes left", html)
    on_team = client_for(nurse).get(reverse("patients:chart", args=[patient.pk]))
    assert "break-glass-banner" not in on_team.content.decode()


def test_every_chart_section_loads_under_break_glass(verified_client_for, outsider, patient):
    client = verified_client_for(outsider)
    chart = client.get(_broken_into(client, patient))
    sections = re.findall(r'hx-get="([^"]+)" hx-trigger="load"', chart.content.decode())
    assert len(sections) >= 6
    answers = {url: client.get(url, HTTP_HX_REQUEST="true").status_code for url in sections}
    assert answers == dict.fromkeys(sections, 200)
    assert (
        client.get(
            reverse("transitions:patient_section", args=[patient.pk]), HTTP_HX_REQUEST="true"
        ).status_code
        == 200
    )


def test_a_person_whose_membership_ended_gets_no_standing_shortcut_back_in(
    verified_client_for, org_admin, pcp, patient
):
    client = verified_client_for(pcp)
    assert client.get(reverse("patients:chart", args=[patient.pk])).status_code == 200
    membership = TeamMembership.objects.get(user=pcp, ended_at__isnull=True)
    team_member_remove(actor=org_admin, membership=membership)
    for url in (
        reverse("patients:chart", args=[patient.pk]),
        reverse("transitions:patient_section", args=[patient.pk]),
        reverse("tasks:patient_tasks", args=[patient.pk]),
    ):
        assert client.get(url).status_code == 404, url
    # Back in only through the full door: the MRN alone is refused...
    only_mrn = client.post(
        reverse(BREAK_GLASS), {"mrn": patient.mrn, "reason": "I used to look after her"}
    )
    assert only_mrn.status_code == 200
    assert not BreakGlassAccess.objects.exists()
    # ...and an access granted through it lasts its time, no longer.
    _broken_into(client, patient)
    BreakGlassAccess.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(reverse("patients:chart", args=[patient.pk])).status_code == 404


@pytest.fixture
def privacy_officer(organisation):
    return factories.make_staff(
        organisation,
        Permission.objects.filter(
            codename__in=["review_breakglassaccess", "view_breakglassaccess"]
        ),
        username="privacy",
    )


@pytest.fixture
def access(verified_client_for, outsider, patient):
    _broken_into(verified_client_for(outsider), patient)
    return BreakGlassAccess.objects.get()


def test_a_privacy_officer_marks_an_access_not_appropriate_with_a_note_audited(
    client_for, privacy_officer, access
):
    client = client_for(privacy_officer)
    url = reverse("admin:patients_breakglassaccess_change", args=[access.pk])
    without_note = client.post(url, {"review_outcome": "inappropriate", "review_note": ""})
    assert without_note.status_code == 200
    assert "Say what was not appropriate." in without_note.content.decode()
    access.refresh_from_db()
    assert access.reviewed_at is None
    saved = client.post(
        url, {"review_outcome": "inappropriate", "review_note": "Not on call that night"}
    )
    assert saved.status_code == 302
    access.refresh_from_db()
    assert access.review_outcome == BreakGlassReview.INAPPROPRIATE
    assert access.reviewed_by == privacy_officer
    event = AuditEvent.objects.get(actor=privacy_officer, detail__event="break_glass_reviewed")
    assert event.patient_id == access.patient_id
    assert "Not on call" not in str(event.detail)
    # Reviewed once: the verdict stands.
    assert client.post(url, {"review_outcome": "appropriate"}).status_code == 403
    access.refresh_from_db()
    assert access.review_outcome == BreakGlassReview.INAPPROPRIATE


def test_the_person_who_broke_the_glass_may_not_review_it(client_for, organisation, patient):
    officer = factories.make_staff(
        organisation,
        Permission.objects.filter(
            codename__in=["review_breakglassaccess", "view_breakglassaccess"]
        ),
    )
    from apps.patients import services

    own = services.patient_break_glass_open(
        actor=officer,
        patient=patient,
        reason_code="on_call_cover",
        reason="Covering the night shift",
        second_factor_verified=True,
    )
    response = client_for(officer).post(
        reverse("admin:patients_breakglassaccess_change", args=[own.pk]),
        {"review_outcome": "appropriate", "review_note": "fine"},
    )
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.reviewed_at is None


def test_unreviewed_accesses_older_than_the_review_days_are_flagged(
    client_for, settings, privacy_officer, access
):
    settings.BREAK_GLASS_REVIEW_DAYS = 7
    client = client_for(privacy_officer)
    url = reverse("admin:patients_breakglassaccess_changelist")
    assert "OVERDUE" not in client.get(url).content.decode()
    BreakGlassAccess.objects.update(created_at=timezone.now() - timedelta(days=8))
    listing = client.get(url)
    assert "OVERDUE: unreviewed after 7 days" in listing.content.decode()
    overdue = client.get(url, {"review": "overdue"})
    assert overdue.context["cl"].result_count == 1
