"""The chart's contact log: calls, visits and messages with a patient, and how they went."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Actor, User
from apps.core.actors import person_behind
from apps.core.changes import record_create
from apps.core.exceptions import ApplicationError
from apps.patients import permissions
from apps.patients.models import ContactLog, ContactLogKind, ContactLogOutcome, Patient
from apps.teams.selectors import is_live_member

# Clocks of phones and laptops drift a little; a contact an hour ahead is a typo.
FUTURE_TOLERANCE = timedelta(minutes=10)
NOTE_MAX = 2000


@dataclass(frozen=True)
class ContactEntry:
    """What the person logging a contact says happened."""

    kind: str
    outcome: str
    contact_at: datetime | None
    performed_by: User | None
    note: str = ""


def contact_log_check(patient: Patient, entry: ContactEntry) -> dict[str, list[str]]:
    """Field messages for everything wrong with `entry` (empty when it may be logged)."""
    errors: dict[str, list[str]] = {}
    if entry.kind not in ContactLogKind.values:
        errors["kind"] = ["Choose a call, a visit or a message."]
    if entry.outcome not in ContactLogOutcome.values:
        errors["outcome"] = [
            "Choose the outcome: reached, no answer, left a message, wrong number."
        ]
    when = entry.contact_at
    if when is None or timezone.is_naive(when):
        errors["contact_at"] = ["Give the date and time of the contact."]
    elif when > timezone.now() + FUTURE_TOLERANCE:
        errors["contact_at"] = ["The contact cannot be in the future."]
    if entry.performed_by is None:
        errors["performed_by"] = ["Choose who made the contact."]
    elif not is_live_member(team_id=patient.care_team_id, user=entry.performed_by):
        errors["performed_by"] = ["Choose a current member of the patient's care team."]
    if len(entry.note) > NOTE_MAX:
        errors["note"] = [f"Keep the note under {NOTE_MAX} characters."]
    return errors


@transaction.atomic
def contact_log_record(*, actor: Actor, patient: Patient, entry: ContactEntry) -> ContactLog:
    """Logs one contact on the patient's chart, audited; refused with field messages,
    nothing written, when the kind, outcome, time or person is missing or wrong."""
    permissions.require_can_log_contact(actor, patient)
    errors = contact_log_check(patient, entry)
    if errors or entry.contact_at is None or entry.performed_by is None:
        raise ApplicationError("Please correct the contact.", field_errors=errors)
    return record_create(
        actor=actor,
        instance=ContactLog(
            patient=patient,
            kind=entry.kind,
            outcome=entry.outcome,
            contact_at=entry.contact_at,
            performed_by=entry.performed_by,
            note=entry.note.strip(),
            recorded_by=person_behind(actor),
        ),
        patient_id=patient.pk,
        detail={"kind": entry.kind, "outcome": entry.outcome},
    )
