"""The audit admin found by a patient's MRN or name, and a patient's access report: who saw
the record, when and through which door, exportable as CSV (itself audited)."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from apps.core.models import AuditAction, AuditEvent, AuditSource
from apps.patients.services import patient_identifier_add
from tests import factories


@pytest.fixture
def auditor(organisation):
    return factories.make_staff(
        organisation,
        Permission.objects.filter(codename__in=["view_auditevent", "view_patient"]),
        username="auditor",
    )


def _changelist(client, term):
    response = client.get(reverse("admin:core_auditevent_changelist"), {"q": term})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_the_audit_admin_finds_a_patients_events_by_mrn_or_name(
    client_for, auditor, nurse, patient, other_patient, org_admin
):
    patient_identifier_add(
        actor=org_admin, patient=patient, assigning_authority="GENHOSP", value="H777"
    )
    client_for(nurse).get(reverse("patients:chart", args=[patient.pk]))
    client_for(nurse).get(reverse("patients:list"))
    client = client_for(auditor)
    for term in (patient.mrn, "H777", "Garcia", "garcia rosa"):
        found = _changelist(client, term)
        assert found, term
        assert all(
            event.patient_id == patient.pk or patient.pk in event.patient_ids for event in found
        ), term
        assert {AuditAction.VIEW, AuditAction.LIST} <= {event.action for event in found}, term


def test_the_audit_search_never_reaches_another_organisations_patients(client_for, auditor):
    elsewhere = factories.make_organisation()
    team = factories.make_team(elsewhere, "Far away")
    admin = factories.make_user(elsewhere, is_staff=True, is_superuser=True)
    hidden = factories.make_patient(
        team, actor=admin, given_name="Ada", family_name="Lovelace", mrn="FAR01"
    )
    AuditEvent.objects.create(
        actor=admin, action=AuditAction.VIEW, source="ui", object_type="x", patient_id=hidden.pk
    )
    client = client_for(auditor)
    assert _changelist(client, "FAR01") == []
    assert _changelist(client, "Lovelace") == []


def test_the_access_report_shows_who_saw_the_record_and_through_which_door(
    client_for, auditor, nurse, patient
):
    client_for(nurse).get(reverse("patients:chart", args=[patient.pk]))
    AuditEvent.objects.create(
        action=AuditAction.VIEW,
        source=AuditSource.FHIR,
        object_type="patients.patient",
        object_id=str(patient.pk),
        patient_id=patient.pk,
        actor_username="fhir-client",
    )
    response = client_for(auditor).get(
        reverse("admin:patients_patient_access_report", args=[patient.pk])
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "nurse" in html
    assert "Web UI" in html
    assert "FHIR interface" in html
    assert AuditEvent.objects.filter(
        actor=auditor, action=AuditAction.VIEW, patient_id=patient.pk, detail__report="access"
    ).exists()


def test_the_access_report_exports_csv_with_formulas_escaped_and_audited(
    client_for, auditor, patient
):
    AuditEvent.objects.create(
        action=AuditAction.VIEW,
        source=AuditSource.API,
        object_type="patients.patient",
        object_id=str(patient.pk),
        patient_id=patient.pk,
        actor_username="=HYPERLINK(1)",
    )
    response = client_for(auditor).get(
        reverse("admin:patients_patient_access_report", args=[patient.pk]), {"format": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["When", "Who", "What they did", "Door"]
    assert rows[1][1:4] == ["'=HYPERLINK(1)", "Viewed a record", "REST API"]
    assert AuditEvent.objects.filter(
        actor=auditor, action=AuditAction.EXPORT, patient_id=patient.pk
    ).exists()


def test_another_organisations_admin_gets_no_access_report(client_for, patient):
    elsewhere = factories.make_staff(
        factories.make_organisation(),
        Permission.objects.filter(codename__in=["view_auditevent", "view_patient"]),
    )
    response = client_for(elsewhere).get(
        reverse("admin:patients_patient_access_report", args=[patient.pk])
    )
    assert response.status_code == 404
    assert "Garcia" not in response.content.decode()
