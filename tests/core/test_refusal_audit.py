"""A refused write on a patient leaves exactly one DENIED event, from the UI and from the API."""

from django.urls import reverse

from apps.core.models import AuditAction, AuditEvent, AuditSource
from apps.patients.models import Condition

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "clinical-section"}


def _denied(user, patient):
    return AuditEvent.objects.filter(actor=user, action=AuditAction.DENIED, patient_id=patient.pk)


def _assert_one_clean_denial(user, patient, path, source):
    events = list(_denied(user, patient))
    assert len(events) == 1
    event = events[0]
    assert event.path == path
    assert event.source == source
    assert event.object_id == str(patient.pk)
    assert event.detail["method"] == "POST"
    assert "record clinical data" in event.detail["reason"]
    for value in (patient.family_name, patient.given_name, patient.mrn):
        assert value not in str(event.detail)


def test_chw_refused_on_a_ui_condition_add_leaves_one_denied_event(client_for, chw, patient):
    path = reverse("patients:condition_add", args=[patient.pk])
    response = client_for(chw).post(path, {"code": "I50.9"}, **HTMX)
    assert response.status_code == 403
    assert not Condition.objects.exists()
    _assert_one_clean_denial(chw, patient, path, AuditSource.UI)


def test_chw_refused_on_an_api_condition_add_leaves_one_denied_event(api_for, chw, patient):
    path = reverse("api-patient-conditions", args=[patient.pk])
    response = api_for(chw).post(path, {"code": "I50.9"}, format="json")
    assert response.status_code == 403
    assert not Condition.objects.exists()
    _assert_one_clean_denial(chw, patient, path, AuditSource.API)


def test_allowed_write_leaves_no_denied_event(api_for, nurse, patient):
    path = reverse("api-patient-conditions", args=[patient.pk])
    response = api_for(nurse).post(path, {"code": "I50.9"}, format="json")
    assert response.status_code == 201
    assert not _denied(nurse, patient).exists()


def test_outsider_refused_by_the_selector_still_gets_only_one_denied_event(
    api_for, outsider, patient
):
    path = reverse("api-patient-conditions", args=[patient.pk])
    response = api_for(outsider).post(path, {"code": "I50.9"}, format="json")
    assert response.status_code == 404
    assert _denied(outsider, patient).count() == 1
    assert not Condition.objects.exists()
