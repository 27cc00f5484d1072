"""Role matrix for the patient API."""

import pytest
from django.urls import reverse

from apps.core.models import AuditAction, AuditEvent
from apps.patients.models import Patient
from apps.patients.permissions import REGISTRATION_REFUSED
from tests import factories

LIST = "api-patient-list"


def detail_url(patient_id: int) -> str:
    return reverse("api-patient-detail", args=[patient_id])


def test_anonymous_gets_401_or_403_and_no_patient_data(api_for, patient):
    for url in (reverse(LIST), detail_url(patient.pk)):
        response = api_for(None).get(url)
        assert response.status_code in (401, 403)
        assert patient.family_name not in response.content.decode()


def test_list_returns_only_the_users_team_patients(api_for, nurse, patient, other_patient):
    response = api_for(nurse).get(reverse(LIST))
    assert response.status_code == 200
    assert [row["mrn"] for row in response.json()["results"]] == [patient.mrn]
    assert response.json()["count"] == 1


def test_token_authentication_works_for_the_api(client, nurse, patient):
    token = factories.make_api_token(nurse)
    response = client.get(reverse(LIST), HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert response.json()["results"][0]["id"] == patient.pk


def test_detail_of_another_teams_patient_is_404_like_missing(api_for, outsider, patient):
    hidden = api_for(outsider).get(detail_url(patient.pk))
    missing = api_for(outsider).get(detail_url(999_999))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_detail_includes_the_care_team_with_its_lead(api_for, nurse, pcp, patient):
    body = api_for(nurse).get(detail_url(patient.pk)).json()
    assert body["care_team"]["id"] == patient.care_team_id
    members = {member["user_id"]: member for member in body["care_team_members"]}
    assert members[nurse.pk]["is_lead"] is True
    assert members[pcp.pk]["role"] == "pcp"


@pytest.mark.parametrize(
    ("member", "allowed"),
    [("nurse", True), ("chw", False), ("pcp", False), ("outsider", False)],
)
def test_patch_demographics_role_matrix(request, api_for, patient, member, allowed):
    user = request.getfixturevalue(member)
    response = api_for(user).patch(detail_url(patient.pk), {"phone": "555-0123"}, format="json")
    patient.refresh_from_db()
    if allowed:
        assert response.status_code == 200
        assert patient.phone == "555-0123"
    else:
        assert response.status_code in (403, 404)
        assert patient.phone == ""
        body = response.content.decode()
        for value in (patient.family_name, patient.given_name, patient.mrn):
            assert value not in body
        assert not AuditEvent.objects.filter(
            action=AuditAction.UPDATE, patient_id=patient.pk
        ).exists()


def test_bad_input_is_a_400_with_a_field_message_and_changes_nothing(api_for, nurse, patient):
    response = api_for(nurse).patch(
        detail_url(patient.pk), {"date_of_birth": "31/31/2020"}, format="json"
    )
    assert response.status_code == 400
    assert "date_of_birth" in response.json()
    patient.refresh_from_db()
    assert str(patient.date_of_birth) == "1950-01-01"


def test_create_on_an_unknown_team_is_refused(api_for, nurse, other_team):
    response = api_for(nurse).post(
        reverse(LIST),
        {
            "mrn": "NEW1",
            "care_team_id": other_team.pk,
            "given_name": "A",
            "family_name": "B",
            "date_of_birth": "1970-01-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "care_team_id" in response.json()
    assert not Patient.objects.filter(mrn="NEW1").exists()


def test_create_by_a_nurse_registers_the_patient_on_her_team(api_for, nurse, team):
    response = api_for(nurse).post(
        reverse(LIST),
        {
            "mrn": "NEW2",
            "care_team_id": team.pk,
            "given_name": "Ana",
            "family_name": "Silva",
            "date_of_birth": "1970-01-01",
        },
        format="json",
    )
    assert response.status_code == 201
    created = Patient.objects.get(mrn="NEW2")
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, patient_id=created.pk).count() == 1


def test_openapi_schema_and_docs_are_served(client, nurse):
    client.force_login(nurse)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/patients/" in schema.content
    assert client.get("/api/docs/").status_code == 200


def _register(api_for, user, team, mrn):
    return api_for(user).post(
        reverse(LIST),
        {
            "mrn": mrn,
            "care_team_id": team.pk,
            "given_name": "Ana",
            "family_name": "Silva",
            "date_of_birth": "1970-01-01",
        },
        format="json",
    )


def test_registering_an_mrn_of_a_patient_on_a_team_she_cannot_see_does_not_confirm_it_exists(
    api_for, nurse, team, other_patient
):
    response = _register(api_for, nurse, team, other_patient.mrn)
    assert response.status_code == 403
    assert response.json() == {"detail": REGISTRATION_REFUSED}
    assert "exist" not in response.content.decode()
    assert str(other_patient.pk) not in response.content.decode()
    assert Patient.objects.filter(mrn=other_patient.mrn).count() == 1
    denied = AuditEvent.objects.get(actor=nurse, action=AuditAction.DENIED)
    assert (denied.patient_id, denied.object_id) == (other_patient.pk, str(other_patient.pk))


def test_registering_a_duplicate_of_a_patient_she_can_see_still_says_so(
    api_for, nurse, team, patient
):
    response = _register(api_for, nurse, team, patient.mrn)
    assert response.status_code == 400
    assert response.json()["errors"] == {"mrn": ["This MRN is already in use."]}
