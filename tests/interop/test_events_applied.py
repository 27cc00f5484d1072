"""Events that matter are applied: A08 demographics and corrected A03s, over HTTP and MLLP."""

from datetime import date, timedelta

from django.utils import timezone

from apps.core.models import AuditAction, AuditEvent
from apps.patients.models import Patient, Sex
from apps.tasks.models import Task, TaskStatus
from apps.transitions.models import (
    Episode,
    EpisodeStatus,
    FollowUp,
    FollowUpStatus,
    Handoff,
    HandoffKind,
)
from apps.transitions.selectors import transition_settings_for
from apps.transitions.services import follow_up_schedule
from apps.transitions.services.followups import follow_up_due_times
from tests.interop.doors import msa
from tests.interop.messages import adt


def test_an_a08_with_new_demographics_updates_the_patient_and_the_chart_says_so(
    door, known_patient, nurse, client_for
):
    reply = door.send(
        adt(
            "A08",
            control_id="DEM1",
            name="Garcia-Lopez^Rosa Maria",
            birth_date="19500102",
            sex="F",
            address="12 Elm St^Apt 4^Springfield^IL^62704",
            phone="(217)555-0123",
            language="SPA^Spanish^ISO639",
        )
    )

    assert msa(reply.acks[0])[0] == "AA"
    patient = Patient.objects.get(pk=known_patient.pk)
    assert (patient.family_name, patient.given_name) == ("Garcia-Lopez", "Rosa Maria")
    assert patient.date_of_birth == date(1950, 1, 2)
    assert patient.sex == Sex.FEMALE
    assert (patient.address_line, patient.city, patient.state, patient.postal_code) == (
        "12 Elm St, Apt 4",
        "Springfield",
        "IL",
        "62704",
    )
    assert patient.phone == "(217)555-0123"
    assert patient.preferred_language == "Spanish"
    audit = AuditEvent.objects.filter(
        action=AuditAction.UPDATE, object_type="patients.patient", patient_id=patient.pk
    ).latest("id")
    assert {"family_name", "date_of_birth", "phone", "preferred_language"} <= set(
        audit.detail["fields"]
    )
    page = client_for(nurse).get(f"/patients/{patient.pk}/").content.decode()
    assert "Demographics updated from ADT A08 from GENHOSP" in page
    assert "date of birth" in page
    assert "phone" in page


def test_an_a08_with_blank_demographics_clears_nothing(door, known_patient, nurse):
    door.send(adt("A08", control_id="DEM2", phone="555-0100"))
    door.send(adt("A08", control_id="DEM3", phone=""))
    assert Patient.objects.get(pk=known_patient.pk).phone == "555-0100"


def _discharged_home(door, patient, discharged_at):
    door.send(
        adt(
            "A01", control_id="K1", visit_number="V1", admitted_at=discharged_at - timedelta(days=3)
        )
    )
    door.send(
        adt(
            "A03",
            control_id="K2",
            visit_number="V1",
            discharged_at=discharged_at,
            disposition="01",
        )
    )
    follow_up = FollowUp.objects.get(episode__patient=patient)
    follow_up_schedule(follow_up_id=follow_up.pk)
    return follow_up


def test_an_a03_correcting_the_discharge_time_moves_the_follow_up_and_its_tasks(
    door, known_patient, nurse
):
    first = (timezone.now() - timedelta(hours=2)).replace(microsecond=0)
    follow_up = _discharged_home(door, known_patient, first)
    corrected = first - timedelta(days=3)

    reply = door.send(
        adt(
            "A03",
            control_id="K3",
            visit_number="V1",
            discharged_at=corrected,
            disposition="01",
        )
    )

    assert msa(reply.acks[0])[0] == "AA"
    discharge = Handoff.objects.get(kind=HandoffKind.DISCHARGE)
    assert discharge.occurred_at == corrected
    config = transition_settings_for(known_patient.organisation_id)
    contact_due, visit_due = follow_up_due_times(
        config=config, discharged_at=corrected, complexity=follow_up.complexity
    )
    follow_up.refresh_from_db()
    assert (follow_up.contact_due_at, follow_up.visit_due_at) == (contact_due, visit_due)
    assert Task.objects.get(pk=follow_up.contact_task_id).due_at == contact_due
    assert Task.objects.get(pk=follow_up.visit_task_id).due_at == visit_due
    episode = Episode.objects.get(patient=known_patient)
    assert episode.watch_until == corrected + timedelta(days=config.readmission_window_days)
    assert Handoff.objects.filter(kind=HandoffKind.DISCHARGE).count() == 1


def test_an_a03_correcting_home_to_a_nursing_facility_cancels_the_follow_up(
    door, known_patient, nurse
):
    discharged = timezone.now() - timedelta(hours=2)
    follow_up = _discharged_home(door, known_patient, discharged)

    reply = door.send(
        adt("A03", control_id="K4", visit_number="V1", discharged_at=discharged, disposition="03")
    )

    assert msa(reply.acks[0])[0] == "AA"
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.CANCELLED
    assert Task.objects.get(pk=follow_up.contact_task_id).status == TaskStatus.CANCELLED
    assert Episode.objects.get(patient=known_patient).status == EpisodeStatus.IN_TRANSIT


def test_the_same_discharge_again_under_a_new_control_id_changes_nothing(
    door, known_patient, nurse
):
    discharged = timezone.now() - timedelta(hours=2)
    follow_up = _discharged_home(door, known_patient, discharged)
    before = FollowUp.objects.get(pk=follow_up.pk).updated_at
    door.send(
        adt("A03", control_id="K5", visit_number="V1", discharged_at=discharged, disposition="01")
    )
    assert FollowUp.objects.get(pk=follow_up.pk).updated_at == before
