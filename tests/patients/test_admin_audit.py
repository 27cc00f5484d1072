"""The admin's clinical-evidence pages: an admin sees their own organisation's rows only,
and every list page is an audited read naming the patients it showed."""

from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from apps.accounts.models import Organisation, User
from apps.core.models import AuditAction, AuditEvent
from apps.patients.models import AreaDeprivation, Patient
from apps.patients.services import clinical, patient_break_glass_open
from tests import factories

LIST_PAGES = [
    "condition",
    "encounter",
    "areadeprivation",
    "patientcomplexity",
    "breakglassaccess",
    "sdohscreen",
]


def _staff(organisation: Organisation, username: str) -> User:
    return factories.make_staff(
        organisation,
        Permission.objects.filter(content_type__app_label="patients"),
        username=username,
    )


@pytest.fixture
def own_staff(organisation: Organisation) -> User:
    return _staff(organisation, "ownstaff")


@pytest.fixture
def stranger(db: None) -> User:
    return _staff(factories.make_organisation(), "stranger")


@pytest.fixture
def evidence(patient: Patient, org_admin: User) -> dict[str, int]:
    """One row of each kind for our patient; the keys are the admin model names."""
    condition = clinical.condition_add(actor=org_admin, patient=patient, code="C78.01")
    encounter = clinical.encounter_add(
        actor=org_admin, patient=patient, kind="inpatient", admit_date=date(2026, 1, 5)
    )
    deprivation = clinical.patient_area_deprivation_set(
        actor=org_admin, patient=patient, national_percentile=90, state_decile=9
    )
    access = patient_break_glass_open(
        reason_code="emergency_care",
        second_factor_verified=True,
        actor=org_admin,
        patient=patient,
        reason="Unconscious in ED",
    )
    return {
        "condition": condition.pk,
        "encounter": encounter.pk,
        "areadeprivation": deprivation.pk,
        "patientcomplexity": patient.complexity.pk,
        "breakglassaccess": access.pk,
    }


def _list_events(user: User, model: str) -> list[list[int]]:
    return list(
        AuditEvent.objects.filter(
            actor=user, action=AuditAction.LIST, object_type=f"patients.{model}"
        ).values_list("patient_ids", flat=True)
    )


@pytest.mark.parametrize("model", LIST_PAGES)
def test_a_list_page_is_audited_with_the_patients_it_showed(
    client_for, own_staff, patient, evidence, model
):
    response = client_for(own_staff).get(reverse(f"admin:patients_{model}_changelist"))
    assert response.status_code == 200
    shown = [patient.pk] if model in evidence else []
    assert _list_events(own_staff, model) == [shown]


@pytest.mark.parametrize("model", LIST_PAGES)
def test_another_organisations_staff_list_none_of_our_rows(
    client_for, stranger, patient, evidence, model
):
    response = client_for(stranger).get(reverse(f"admin:patients_{model}_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    assert patient.mrn not in page
    assert patient.family_name not in page
    assert list(response.context["cl"].result_list) == []
    assert _list_events(stranger, model) == [[]]


@pytest.mark.parametrize("model", sorted(set(LIST_PAGES) - {"sdohscreen"}))
def test_another_organisations_staff_cannot_open_our_row(
    client_for, stranger, patient, evidence, model
):
    response = client_for(stranger).get(
        reverse(f"admin:patients_{model}_change", args=[evidence[model]])
    )
    # Django answers a row outside the queryset like a missing one: back to the index.
    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    assert not AuditEvent.objects.filter(actor=stranger, action=AuditAction.VIEW).exists()


def test_opening_a_row_is_audited_as_a_view_of_its_patient(
    client_for, own_staff, patient, evidence
):
    url = reverse("admin:patients_breakglassaccess_change", args=[evidence["breakglassaccess"]])
    assert client_for(own_staff).get(url).status_code == 200
    assert list(
        AuditEvent.objects.filter(actor=own_staff, action=AuditAction.VIEW).values_list(
            "object_type", "patient_id"
        )
    ) == [("patients.breakglassaccess", patient.pk)]


def test_another_organisations_staff_cannot_change_our_deprivation_row(
    client_for, stranger, patient, evidence
):
    url = reverse("admin:patients_areadeprivation_change", args=[evidence["areadeprivation"]])
    response = client_for(stranger).post(url, {"national_percentile": 5, "state_decile": 1})
    assert response.status_code == 302
    row = AreaDeprivation.objects.get(pk=evidence["areadeprivation"])
    assert (row.national_percentile, row.state_decile) == (90, 9)


def test_the_admin_shows_a_future_date_of_birth_as_a_field_error_and_changes_nothing(
    client, own_staff: User, patient: Patient
):
    client.force_login(own_staff)
    born = patient.date_of_birth
    response = client.post(
        reverse("admin:patients_patient_change", args=[patient.pk]),
        {
            "care_team": patient.care_team_id,
            "given_name": patient.given_name,
            "family_name": patient.family_name,
            "date_of_birth": "2999-01-01",
            "sex": patient.sex,
            "preferred_language": patient.preferred_language,
            "is_active": "on",
            "identifiers-TOTAL_FORMS": "0",
            "identifiers-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "Date of birth is in the future." in response.content.decode()
    patient.refresh_from_db()
    assert patient.date_of_birth == born


def test_admin_registration_with_an_mrn_the_staff_member_cannot_see_is_refused_and_audited(
    client, organisation: Organisation, team, other_patient: Patient
):
    registrar = factories.make_staff(
        organisation,
        Permission.objects.filter(content_type__app_label="patients", codename="add_patient"),
        username="registrar",
    )
    client.force_login(registrar)
    response = client.post(
        reverse("admin:patients_patient_add"),
        {
            "care_team": team.pk,
            "mrn": other_patient.mrn,
            "given_name": "Ana",
            "family_name": "Silva",
            "date_of_birth": "1970-01-01",
            "sex": other_patient.sex,
            "preferred_language": "en",
            "is_active": "on",
            "identifiers-TOTAL_FORMS": "0",
            "identifiers-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 403
    assert "already" not in response.content.decode()
    assert Patient.objects.filter(mrn=other_patient.mrn).count() == 1
    denied = AuditEvent.objects.get(actor=registrar, action=AuditAction.DENIED)
    assert denied.patient_id == other_patient.pk
