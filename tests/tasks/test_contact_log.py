"""The chart's contact log: calls, visits and messages, newest first; a reached contact
completes the patient's open follow-up call tasks in the same step."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.core.exceptions import ApplicationError, Refused
from apps.core.models import AuditAction, AuditEvent
from apps.patients.models import ContactLog
from apps.patients.selectors.contacts import contact_log_for_patient
from apps.patients.services.contacts import ContactEntry, contact_log_record
from apps.tasks.models import Task, TaskStatus, TaskType
from apps.tasks.selectors.contacts import contact_tasks_offered
from apps.tasks.services.contacts import contact_log_record_completing
from apps.transitions.models import ContactOutcome, FollowUp, FollowUpContact
from tests.tasks.factories import make_task
from tests.transitions.factories import discharged_home


def _entry(by, *, kind="call", outcome="reached", ago=timedelta(minutes=5), note=""):
    return ContactEntry(
        kind=kind,
        outcome=outcome,
        contact_at=timezone.now() - ago,
        performed_by=by,
        note=note,
    )


def test_logged_contacts_are_listed_newest_first_and_the_read_is_audited(patient, nurse, chw):
    contact_log_record(actor=nurse, patient=patient, entry=_entry(nurse, ago=timedelta(days=2)))
    contact_log_record(
        actor=chw,
        patient=patient,
        entry=_entry(chw, kind="visit", outcome="no_answer", ago=timedelta(hours=1)),
    )
    rows = contact_log_for_patient(user=nurse, patient=patient)
    assert [(row.kind, row.outcome, row.performed_by) for row in rows] == [
        ("visit", "no_answer", chw),
        ("call", "reached", nurse),
    ]
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.CREATE, object_type="patients.contactlog", patient_id=patient.pk
        ).count()
        == 2
    )
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, object_type="patients.contactlog", patient_id=patient.pk
    ).exists()


def test_a_contact_with_bad_input_is_refused_field_by_field_and_nothing_is_logged(
    patient, nurse, outsider
):
    for field, entry in [
        ("kind", _entry(nurse, kind="fax")),
        ("outcome", _entry(nurse, outcome="maybe")),
        ("contact_at", _entry(nurse, ago=-timedelta(hours=2))),
        ("performed_by", _entry(outsider)),
        ("performed_by", _entry(None)),
    ]:
        with pytest.raises(ApplicationError) as error:
            contact_log_record(actor=nurse, patient=patient, entry=entry)
        assert field in error.value.field_errors
    assert not ContactLog.objects.exists()


def test_someone_off_the_team_cannot_log_or_read_the_contacts(patient, nurse, outsider, client_for):
    with pytest.raises(Refused):
        contact_log_record(actor=outsider, patient=patient, entry=_entry(nurse))
    client = client_for(outsider)
    assert client.get(reverse("tasks:contact_log", args=[patient.pk])).status_code == 404
    posted = client.post(
        reverse("tasks:contact_log_add", args=[patient.pk]),
        {"kind": "call", "outcome": "reached", "contact_at": "2026-01-01T10:00"},
    )
    assert posted.status_code == 404
    assert not ContactLog.objects.exists()


def test_a_reached_call_completes_the_post_discharge_contact_task_with_its_documentation(
    patient, nurse
):
    follow_up = FollowUp.objects.get(handoff=discharged_home(patient))
    offered = contact_tasks_offered(user=nurse, patient=patient, kind="call")
    assert follow_up.contact_task_id in [task.pk for task in offered]
    assert follow_up.visit_task_id not in [task.pk for task in offered]

    log, done = contact_log_record_completing(
        actor=nurse,
        patient=patient,
        entry=_entry(nurse, note="Taking the new tablets"),
        complete_task_ids=[follow_up.contact_task_id],
    )

    assert [task.pk for task in done] == [follow_up.contact_task_id]
    assert Task.objects.get(pk=follow_up.contact_task_id).status == TaskStatus.DONE
    record = FollowUpContact.objects.get(follow_up=follow_up)
    assert (record.contact_log, record.outcome, record.performed_by) == (
        log,
        ContactOutcome.REACHED,
        nurse,
    )
    assert Task.objects.get(pk=follow_up.visit_task_id).status == TaskStatus.REQUESTED


def test_a_reached_call_completes_an_open_phone_call_task(patient, nurse):
    call = make_task(patient, nurse, title="Weekly glucose call", task_type=TaskType.PHONE_CALL)
    other = make_task(patient, nurse, title="Send the forms", task_type=TaskType.PAPERWORK)
    offered = [task.pk for task in contact_tasks_offered(user=nurse, patient=patient, kind="call")]
    assert offered == [call.pk]
    contact_log_record_completing(
        actor=nurse, patient=patient, entry=_entry(nurse), complete_task_ids=[call.pk]
    )
    assert Task.objects.get(pk=call.pk).status == TaskStatus.DONE
    assert Task.objects.get(pk=other.pk).status != TaskStatus.DONE


def test_a_contact_that_did_not_reach_the_patient_completes_nothing_and_logs_nothing(
    patient, nurse
):
    follow_up = FollowUp.objects.get(handoff=discharged_home(patient))
    before = ContactLog.objects.count()
    with pytest.raises(ApplicationError) as error:
        contact_log_record_completing(
            actor=nurse,
            patient=patient,
            entry=_entry(nurse, outcome="left_message"),
            complete_task_ids=[follow_up.contact_task_id],
        )
    assert "complete_tasks" in error.value.field_errors
    assert ContactLog.objects.count() == before
    assert Task.objects.get(pk=follow_up.contact_task_id).status == TaskStatus.REQUESTED


def test_a_task_not_offered_cannot_be_completed_from_a_contact(patient, other_patient, nurse):
    paperwork = make_task(patient, nurse, task_type=TaskType.PAPERWORK)
    with pytest.raises(ApplicationError):
        contact_log_record_completing(
            actor=nurse, patient=patient, entry=_entry(nurse), complete_task_ids=[paperwork.pk]
        )
    assert not ContactLog.objects.exists()
    assert Task.objects.get(pk=paperwork.pk).status != TaskStatus.DONE


def test_a_follow_up_documented_on_its_own_page_appears_in_the_contact_log(patient, nurse):
    from tests.transitions.factories import record_contact

    follow_up = FollowUp.objects.get(handoff=discharged_home(patient))
    record = record_contact(nurse, follow_up, outcome="not_reached", attempts=2)
    assert record.contact_log is not None
    rows = contact_log_for_patient(user=nurse, patient=patient)
    assert [(row.kind, row.outcome) for row in rows] == [("call", "no_answer")]


def test_the_chart_section_logs_a_contact_and_completes_the_ticked_task(patient, nurse, client_for):
    call = make_task(patient, nurse, title="Call about the scales", task_type=TaskType.PHONE_CALL)
    client = client_for(nurse)
    section = client.get(reverse("tasks:contact_log", args=[patient.pk]))
    assert section.status_code == 200
    assert "Call about the scales" in section.content.decode()
    response = client.post(
        reverse("tasks:contact_log_add", args=[patient.pk]),
        {
            "kind": "call",
            "outcome": "reached",
            "contact_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "note": "Weighs daily",
            "complete_tasks": [call.pk],
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200, response.content
    assert "Weighs daily" in response.content.decode()
    assert ContactLog.objects.get().performed_by == nurse
    assert Task.objects.get(pk=call.pk).status == TaskStatus.DONE


def test_the_chart_section_refuses_a_contact_without_an_outcome(patient, nurse, client_for):
    response = client_for(nurse).post(
        reverse("tasks:contact_log_add", args=[patient.pk]),
        {"kind": "call", "outcome": "", "contact_at": "2026-01-01T10:00"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert "Outcome" in response.content.decode()
    assert not ContactLog.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in_and_log_nothing(patient, client):
    assert client.get(reverse("tasks:contact_log", args=[patient.pk])).status_code == 302
    posted = client.post(
        reverse("tasks:contact_log_add", args=[patient.pk]),
        {"kind": "call", "outcome": "reached", "contact_at": "2026-01-01T10:00"},
    )
    assert posted.status_code == 302
    assert not ContactLog.objects.exists()


def test_a_break_glass_reader_reads_the_log_flagged_but_does_not_add_to_it(
    patient, nurse, outsider
):
    from apps.patients.services import patient_break_glass_open

    contact_log_record(actor=nurse, patient=patient, entry=_entry(nurse))
    patient_break_glass_open(
        reason_code="emergency_care",
        second_factor_verified=True,
        actor=outsider,
        patient=patient,
        reason="Unconscious in the emergency department",
    )
    assert len(contact_log_for_patient(user=outsider, patient=patient)) == 1
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW,
        object_type="patients.contactlog",
        actor=outsider,
        break_glass=True,
    ).exists()
    with pytest.raises(Refused):
        contact_log_record(actor=outsider, patient=patient, entry=_entry(nurse))
    assert ContactLog.objects.count() == 1
