"""A death reported by ADT is not a follow-up call: over HTTP and MLLP."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.interop.models import AdtMessage, AdtStatus
from apps.patients.models import Patient
from apps.tasks.models import Task, TaskStatus
from apps.transitions.models import Episode, EpisodeStatus, FollowUp, FollowUpStatus
from apps.transitions.services import follow_up_schedule
from apps.transitions.services.deaths import DEATH_TASK_TITLE
from tests.interop.doors import msa
from tests.interop.messages import adt

CALL = "Post-discharge contact: call the patient or caregiver"


def _discharged_home_with_follow_up_tasks(door, patient) -> FollowUp:
    admitted = timezone.now() - timedelta(days=5)
    door.send(adt("A01", control_id="H1", visit_number="V1", admitted_at=admitted))
    reply = door.send(
        adt(
            "A03",
            control_id="H2",
            visit_number="V1",
            discharged_at=timezone.now() - timedelta(days=1),
            disposition="01",
        )
    )
    assert msa(reply.acks[0])[0] == "AA"
    follow_up = FollowUp.objects.get(episode__patient=patient)
    follow_up_schedule(follow_up_id=follow_up.pk)
    assert Task.objects.filter(title=CALL, status=TaskStatus.REQUESTED).count() == 1
    return follow_up


@pytest.mark.parametrize(
    ("disposition", "deceased"),
    [("20", ""), ("41", ""), ("01", "Y")],
    ids=["expired", "expired-in-facility", "death-indicator"],
)
def test_a_discharge_reporting_death_makes_no_call_and_one_task_for_the_lead(
    door, known_patient, nurse, client_for, disposition, deceased
):
    admitted = timezone.now() - timedelta(days=3)
    died = timezone.now() - timedelta(hours=2)
    door.send(adt("A01", control_id="X1", visit_number="V9", admitted_at=admitted))
    reply = door.send(
        adt(
            "A03",
            control_id="X2",
            visit_number="V9",
            discharged_at=died,
            disposition=disposition,
            died_at=died if deceased else None,
            deceased=deceased,
        )
    )

    assert msa(reply.acks[0])[0] == "AA", reply.acks[0]
    assert not FollowUp.objects.exists()
    assert not Task.objects.filter(title=CALL).exists()
    family = Task.objects.get(title=DEATH_TASK_TITLE)
    assert family.owner == nurse
    assert Episode.objects.get(patient=known_patient).status == EpisodeStatus.CLOSED
    patient = Patient.objects.get(pk=known_patient.pk)
    assert patient.deceased
    assert timezone.localtime(patient.deceased_at).date() == timezone.localtime(died).date()
    chart = client_for(nurse).get(f"/patients/{known_patient.pk}/")
    assert f"Deceased {timezone.localtime(died):%Y-%m-%d}" in chart.content.decode()


def test_an_a08_reporting_death_closes_open_follow_ups_with_the_reason(door, known_patient, nurse):
    follow_up = _discharged_home_with_follow_up_tasks(door, known_patient)
    died = timezone.now() - timedelta(hours=6)

    reply = door.send(adt("A08", control_id="X3", visit_number="V1", died_at=died, deceased="Y"))
    again = door.send(adt("A08", control_id="X4", visit_number="V1", died_at=died, deceased="Y"))

    assert [msa(r.acks[0])[0] for r in (reply, again)] == ["AA", "AA"]
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.CANCELLED
    call = Task.objects.get(title=CALL)
    assert call.status == TaskStatus.CANCELLED
    assert "died" in call.status_reason
    assert Task.objects.filter(title=DEATH_TASK_TITLE, owner=nurse).count() == 1
    assert Episode.objects.get(patient=known_patient).status == EpisodeStatus.CLOSED
    assert AdtMessage.objects.get(control_id="X3").status == AdtStatus.APPLIED
