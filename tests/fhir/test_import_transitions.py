"""Imported appointments and discharge summaries keep the discharge checklist."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.fhir import systems
from apps.transitions.models import ChecklistItem, ChecklistItemCode, FollowUp
from tests import factories
from tests.fhir.conftest import write_ndjson
from tests.transitions.factories import discharged_home


def _patient_resource(patient, organisation):
    return {
        "resourceType": "Patient",
        "id": "p-1",
        "identifier": [{"system": systems.mrn_system(organisation.pk), "value": patient.mrn}],
    }


def _item(handoff, code):
    return ChecklistItem.objects.get(handoff=handoff, code=code)


@pytest.mark.django_db
def test_a_booked_visit_after_a_discharge_ticks_follow_up_booked_and_links_the_visit_task(
    tmp_path, organisation, team, patient, run_import
):
    factories.make_member(team, is_lead=True)
    handoff = discharged_home(patient, at=timezone.now() - timedelta(days=1))
    start = timezone.now() + timedelta(days=5)
    appointment = {
        "resourceType": "Appointment",
        "id": "ap-1",
        "status": "booked",
        "start": start.isoformat(),
        "participant": [{"actor": {"reference": "Patient/p-1"}, "status": "accepted"}],
    }

    run_import(
        write_ndjson(tmp_path / "a.ndjson", [_patient_resource(patient, organisation), appointment])
    )

    assert _item(handoff, ChecklistItemCode.FOLLOW_UP_BOOKED).done_at is not None
    follow_up = FollowUp.objects.get(handoff=handoff)
    assert follow_up.visit_appointment is not None
    assert follow_up.visit_appointment.start == start
    assert follow_up.visit_task_id is not None


@pytest.mark.django_db
def test_a_visit_booked_before_any_discharge_ticks_nothing(
    tmp_path, organisation, patient, run_import
):
    handoff = discharged_home(patient, at=timezone.now() - timedelta(days=1))
    appointment = {
        "resourceType": "Appointment",
        "id": "ap-2",
        "status": "booked",
        "start": (timezone.now() - timedelta(days=30)).isoformat(),
        "participant": [{"actor": {"reference": "Patient/p-1"}, "status": "accepted"}],
    }

    run_import(
        write_ndjson(tmp_path / "a.ndjson", [_patient_resource(patient, organisation), appointment])
    )

    assert _item(handoff, ChecklistItemCode.FOLLOW_UP_BOOKED).done_at is None


@pytest.mark.django_db
def test_a_discharge_summary_document_ticks_summary_received_with_its_date(
    tmp_path, organisation, patient, run_import
):
    handoff = discharged_home(patient, at=timezone.now() - timedelta(days=2))
    written = (timezone.now() - timedelta(days=1)).replace(microsecond=0)
    document = {
        "resourceType": "DocumentReference",
        "id": "doc-1",
        "status": "current",
        "type": {"coding": [{"system": systems.LOINC, "code": systems.LOINC_DISCHARGE_SUMMARY}]},
        "subject": {"reference": "Patient/p-1"},
        "date": written.isoformat(),
        "content": [{"attachment": {"title": "Discharge summary"}}],
    }

    run_import(
        write_ndjson(tmp_path / "d.ndjson", [_patient_resource(patient, organisation), document])
    )

    assert _item(handoff, ChecklistItemCode.SUMMARY_RECEIVED).done_at == written
