"""What records arriving from other systems say about a transition's checklist.

A booked appointment after a discharge is the follow-up booked (and the visit the
TCM visit task is about); a discharge summary document is the summary received,
dated by the document. Both tick the item of the discharge they belong to, once,
as a step of whoever brought the record in.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from apps.accounts.models import Actor
from apps.core.changes import record_change
from apps.patients.models import Appointment, AppointmentStatus, ClinicalDocument, Patient
from apps.transitions.models import (
    ChecklistItemCode,
    EpisodeStatus,
    FollowUp,
    Handoff,
    HandoffKind,
)
from apps.transitions.services.checklist import checklist_item_tick

# A follow-up visit belongs to the discharge before it if booked within this time of it.
FOLLOW_UP_WINDOW = timedelta(days=60)
# A discharge summary may be signed a little before the discharge is recorded.
SUMMARY_LEAD = timedelta(days=1)


def _discharge_before(patient: Patient, when: datetime) -> Handoff | None:
    return (
        Handoff.objects.filter(
            episode__patient=patient,
            kind=HandoffKind.DISCHARGE,
            cancelled_at__isnull=True,
            occurred_at__lte=when,
        )
        .exclude(episode__status=EpisodeStatus.CANCELLED)
        .select_related("episode")
        .order_by("-occurred_at", "-id")
        .first()
    )


def transition_appointment_booked(*, actor: Actor, appointment: Appointment) -> Handoff | None:
    """A booked visit after a discharge: "follow-up booked" ticked, and the visit linked to
    the discharge's follow-up (the TCM face-to-face visit). Runs in the caller's
    transaction."""
    if appointment.status != AppointmentStatus.BOOKED:
        return None
    handoff = _discharge_before(appointment.patient, appointment.start)
    if handoff is None or appointment.start - handoff.occurred_at > FOLLOW_UP_WINDOW:
        return None
    booked_at = min(appointment.source_received_at or timezone.now(), timezone.now())
    checklist_item_tick(
        actor=actor,
        handoff=handoff,
        code=ChecklistItemCode.FOLLOW_UP_BOOKED,
        when=booked_at,
        note=f"Visit booked for {timezone.localtime(appointment.start):%Y-%m-%d %H:%M}",
        open_only=True,
    )
    follow_up = FollowUp.objects.filter(handoff=handoff).first()
    if follow_up is not None and follow_up.visit_appointment_id is None:
        record_change(
            actor=actor,
            instance=follow_up,
            values={"visit_appointment": appointment},
            patient_id=appointment.patient_id,
            clean=False,
        )
    return handoff


def transition_summary_received(*, actor: Actor, document: ClinicalDocument) -> Handoff | None:
    """A discharge summary arrived: "discharge summary received" ticked with its date."""
    if not document.is_discharge_summary:
        return None
    handoff = _discharge_before(document.patient, document.document_date + SUMMARY_LEAD)
    if handoff is None:
        return None
    checklist_item_tick(
        actor=actor,
        handoff=handoff,
        code=ChecklistItemCode.SUMMARY_RECEIVED,
        when=min(document.document_date, timezone.now()),
        note=f"Discharge summary from {document.source_system or 'a partner'}"[:300],
        open_only=True,
    )
    return handoff
