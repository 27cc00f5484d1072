from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from apps.core.actors import JobActor
from apps.core.exceptions import ApplicationError, NotFoundError
from apps.core.models import AuditAction, AuditEvent
from apps.patients import selectors, services
from apps.patients.models import BreakGlassAccess, Patient
from apps.patients.permissions import REGISTRATION_REFUSED
from apps.patients.services import clinical
from tests import factories


def test_update_audits_changed_field_names_not_values(nurse, patient):
    services.patient_update(actor=nurse, patient=patient, phone="555-0199", given_name="Rosa")
    event = AuditEvent.objects.filter(action=AuditAction.UPDATE, patient_id=patient.pk).get()
    assert event.detail == {"fields": ["phone"]}
    assert "555-0199" not in str(event.detail)


def test_update_without_the_right_is_refused_and_changes_nothing(chw, patient):
    with pytest.raises(PermissionDenied):
        services.patient_update(actor=chw, patient=patient, phone="555-0100")
    patient.refresh_from_db()
    assert patient.phone == ""
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()


def test_create_rejects_a_future_date_of_birth(nurse, team):
    with pytest.raises(ApplicationError) as error:
        services.patient_create(
            actor=nurse,
            care_team=team,
            mrn="X1",
            given_name="A",
            family_name="B",
            date_of_birth=timezone.localdate() + timedelta(days=3),
        )
    assert "date_of_birth" in error.value.field_errors
    assert not Patient.objects.filter(mrn="X1").exists()


def test_create_rejects_a_duplicate_mrn_with_a_field_message(nurse, team, patient):
    with pytest.raises(ApplicationError) as error:
        services.patient_create(
            actor=nurse,
            care_team=team,
            mrn=patient.mrn,
            given_name="A",
            family_name="B",
            date_of_birth=date(1960, 1, 1),
        )
    assert error.value.field_errors == {"mrn": ["This MRN is already in use."]}


def test_break_glass_needs_a_reason_and_changes_nothing_without_one(outsider, patient):
    with pytest.raises(ApplicationError) as error:
        services.patient_break_glass_open(
            reason_code="emergency_care",
            second_factor_verified=True,
            actor=outsider,
            patient=patient,
            reason="  ",
        )
    assert "reason" in error.value.field_errors
    assert not BreakGlassAccess.objects.exists()


def test_break_glass_opens_the_chart_for_a_limited_time_flagged_in_audit(outsider, patient):
    services.patient_break_glass_open(
        reason_code="emergency_care",
        second_factor_verified=True,
        actor=outsider,
        patient=patient,
        reason="Patient in our ED, unconscious; need med list",
    )
    assert selectors.patient_get_for_user(user=outsider, patient_id=patient.pk) == patient
    flagged = AuditEvent.objects.filter(actor=outsider, patient_id=patient.pk, break_glass=True)
    assert list(flagged.values_list("action", flat=True).order_by("id")) == [
        AuditAction.BREAK_GLASS,
        AuditAction.VIEW,
    ]
    BreakGlassAccess.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(NotFoundError):
        selectors.patient_get_for_user(user=outsider, patient_id=patient.pk)


def test_break_glass_never_reaches_another_organisation(patient):
    stranger = factories.make_user(factories.make_organisation())
    with pytest.raises(NotFoundError):
        services.patient_break_glass_open(
            reason_code="emergency_care",
            second_factor_verified=True,
            actor=stranger,
            patient=patient,
            reason="I am sure I need this one",
        )


def test_a_job_acting_for_a_nurse_holds_no_patient_rights_of_its_own(nurse, patient):
    job = JobActor(job="patients.test", for_user=nurse)
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.patient_update(actor=job, patient=patient, phone="555-0100")
    with pytest.raises(PermissionDenied):
        clinical.condition_add(actor=job, patient=patient, code="E11.9")
    patient.refresh_from_db()
    assert patient.phone == ""
    assert not patient.conditions.exists()
    assert AuditEvent.objects.count() == events


def test_only_a_person_breaks_the_glass_never_a_job(outsider, patient):
    job = JobActor(job="patients.test", for_user=outsider)
    with pytest.raises(PermissionDenied):
        services.patient_break_glass_open(
            reason_code="emergency_care",
            second_factor_verified=True,
            actor=job,
            patient=patient,
            reason="Emergency department admission",
        )
    assert not BreakGlassAccess.objects.exists()


def test_create_with_the_mrn_of_a_patient_the_user_cannot_see_is_refused_without_naming_it(
    nurse, team, other_patient
):
    with pytest.raises(PermissionDenied) as refused:
        services.patient_create(
            actor=nurse,
            care_team=team,
            mrn=other_patient.mrn,
            given_name="A",
            family_name="B",
            date_of_birth=date(1960, 1, 1),
        )
    assert str(refused.value) == REGISTRATION_REFUSED
    assert refused.value.patient_id == other_patient.pk
    assert Patient.objects.filter(mrn=other_patient.mrn).get() == other_patient
