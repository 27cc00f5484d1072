"""The admin door for the complex-needs evidence goes through the same services."""

from django.urls import reverse

from apps.core.models import AuditAction, AuditEvent
from apps.patients.complexity import thresholds_for
from apps.patients.models import Condition, Encounter, PatientComplexity


def test_admin_adds_a_condition_through_the_service(client_for, org_admin, patient):
    response = client_for(org_admin).post(
        reverse("admin:patients_condition_add"), {"patient": patient.pk, "code": "c7801"}
    )
    assert response.status_code == 302
    condition = Condition.objects.get()
    assert condition.code == "C78.01"
    assert PatientComplexity.objects.get(patient=patient).cci == 6
    assert AuditEvent.objects.filter(
        object_type="patients.condition", action=AuditAction.CREATE
    ).exists()


def test_admin_form_shows_a_bad_code_and_writes_nothing(client_for, org_admin, patient):
    response = client_for(org_admin).post(
        reverse("admin:patients_condition_add"), {"patient": patient.pk, "code": "E11.99"}
    )
    assert response.status_code == 200
    assert "is not an ICD-10-CM code" in response.content.decode()
    assert not Condition.objects.exists()


def test_admin_encounter_discharge_before_admission_is_a_form_error(client_for, org_admin, patient):
    response = client_for(org_admin).post(
        reverse("admin:patients_encounter_add"),
        {
            "patient": patient.pk,
            "kind": "inpatient",
            "admit_date": "2026-02-05",
            "discharge_date": "2026-02-01",
        },
    )
    assert response.status_code == 200
    assert "Discharge is before the admission." in response.content.decode()
    assert not Encounter.objects.exists()


def test_admin_edits_thresholds_and_recompute_is_queued(
    client_for, org_admin, organisation, django_capture_on_commit_callbacks
):
    thresholds = thresholds_for(organisation)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(org_admin).post(
            reverse("admin:patients_complexitythresholds_change", args=[thresholds.pk]),
            {
                "cci_min": 4,
                "acute_events_min": 3,
                "cost_percentile_min": "",
                "adi_percentile_min": 85,
                "hrsn_domains_min": 1,
            },
        )
    assert response.status_code == 302
    thresholds.refresh_from_db()
    assert (thresholds.cci_min, thresholds.cost_percentile_min) == (4, None)
    assert len(callbacks) == 1


def test_staff_pages_are_closed_to_team_members(client_for, nurse):
    response = client_for(nurse).get(reverse("admin:patients_condition_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
