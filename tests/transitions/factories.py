"""Transitions through the real services, as a job (JOB) unless told otherwise."""

from datetime import datetime, timedelta

from django.utils import timezone

from apps.accounts.models import Actor, User
from apps.core.actors import JobActor
from apps.patients.models import Patient
from apps.transitions.models import FollowUp, FollowUpContact, Handoff
from apps.transitions.services import (
    ContactDetails,
    VisitDetails,
    follow_up_contact_record,
    follow_up_schedule,
    transition_admit,
    transition_discharge,
)

# An HL7 feed or a sweep: a job acting for nobody in particular.
JOB = JobActor(job="tests.transitions")


def visit(at: datetime | None = None, **values: object) -> VisitDetails:
    return VisitDetails(occurred_at=at or timezone.now(), **values)  # type: ignore[arg-type]


def admit(
    patient: Patient,
    *,
    at: datetime | None = None,
    actor: Actor = JOB,
    visit_number: str = "V1",
    **values: object,
) -> Handoff:
    at = at or timezone.now() - timedelta(days=3)
    values.setdefault("facility", "General Hospital")
    return transition_admit(
        actor=actor, patient=patient, visit=visit(at, visit_number=visit_number, **values)
    )


def discharge(
    patient: Patient,
    *,
    at: datetime | None = None,
    actor: Actor = JOB,
    visit_number: str = "V1",
    disposition: str = "01",
    **values: object,
) -> Handoff:
    return transition_discharge(
        actor=actor,
        patient=patient,
        visit=visit(
            at or timezone.now() - timedelta(hours=1),
            visit_number=visit_number,
            disposition=disposition,
            **values,
        ),
    )


def discharged_home(
    patient: Patient, *, at: datetime | None = None, schedule: bool = True
) -> Handoff:
    """Admitted three days before `at`, discharged home at `at`, follow-up job run."""
    at = at or timezone.now() - timedelta(hours=1)
    admit(patient, at=at - timedelta(days=3))
    handoff = discharge(patient, at=at)
    if schedule:
        follow_up_schedule(follow_up_id=FollowUp.objects.get(handoff=handoff).pk)
    return handoff


def record_contact(
    actor: User,
    follow_up: FollowUp,
    *,
    kind: str = "contact",
    at: datetime | None = None,
    performed_by: User | None = None,
    outcome: str = "reached",
    attempts: int = 1,
) -> FollowUpContact:
    """Documents the contact (or visit) through the service, which completes its task."""
    return follow_up_contact_record(
        actor=actor,
        follow_up=follow_up,
        kind=kind,
        details=ContactDetails(
            contact_at=at or timezone.now(),
            performed_by=performed_by or actor,
            outcome=outcome,
            attempts=attempts,
        ),
    )
