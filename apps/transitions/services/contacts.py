"""Documenting a post-discharge contact or visit: when, who and the outcome, then the task.

The follow-up's contact and visit tasks close only through a documented
record: the task services ask this app (apps.transitions.task_sources) and
refuse completing a follow-up task that has none, whichever door it came
through. Measures count only documented contacts.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.core.changes import record_create
from apps.core.exceptions import ApplicationError
from apps.patients.models import ContactLog, ContactLogKind, ContactLogOutcome, Patient
from apps.patients.services.contacts import ContactEntry, contact_log_record
from apps.tasks.models import ACTIONABLE_STATUSES, Task
from apps.tasks.services import task_complete
from apps.teams.selectors import is_live_member
from apps.transitions.models import (
    ContactKind,
    ContactOutcome,
    FollowUp,
    FollowUpContact,
)

# How a follow-up's contact reads on the chart's log: a declined contact reached the
# patient (the follow-up keeps "declined"); "not reached" is unanswered tries.
LOG_KIND_OF: dict[str, str] = {
    ContactKind.CONTACT: ContactLogKind.CALL,
    ContactKind.VISIT: ContactLogKind.VISIT,
}
LOG_OUTCOME_OF: dict[str, str] = {
    ContactOutcome.REACHED: ContactLogOutcome.REACHED,
    ContactOutcome.DECLINED: ContactLogOutcome.REACHED,
    ContactOutcome.NOT_REACHED: ContactLogOutcome.NO_ANSWER,
}

# Clocks of phones and laptops drift a little; a contact an hour ahead is a typo.
FUTURE_TOLERANCE = timedelta(minutes=10)
# "Not reached" is an outcome only after repeated tries (a single missed call is not).
NOT_REACHED_MIN_ATTEMPTS = 2


@dataclass(frozen=True)
class ContactDetails:
    """What the person recording a contact or visit says happened."""

    contact_at: datetime | None
    performed_by: User | None
    outcome: str
    attempts: int | None = 1
    note: str = ""


def follow_up_task_of(follow_up: FollowUp, kind: str) -> Task | None:
    return follow_up.contact_task if kind == ContactKind.CONTACT else follow_up.visit_task


def _check(follow_up: FollowUp, details: ContactDetails) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    when = details.contact_at
    if when is None or timezone.is_naive(when):
        errors["contact_at"] = ["Give the date and time the contact happened."]
    elif when > timezone.now() + FUTURE_TOLERANCE:
        errors["contact_at"] = ["The contact cannot be in the future."]
    elif when < follow_up.discharged_at.replace(second=0, microsecond=0):
        # Forms give minutes: a call in the minute of the discharge is after it.
        errors["contact_at"] = ["A post-discharge contact happens after the discharge."]
    team_id = follow_up.episode.patient.care_team_id
    if details.performed_by is None:
        errors["performed_by"] = [
            "Choose who made the contact: a current member of the patient's care team."
        ]
    elif not is_live_member(team_id=team_id, user=details.performed_by):
        errors["performed_by"] = ["Choose a current member of the patient's care team."]
    if details.outcome not in ContactOutcome.values:
        errors["outcome"] = ["Choose the outcome: reached, not reached, or declined."]
    attempts = details.attempts
    if attempts is None or attempts < 1:
        errors["attempts"] = ["Give the number of attempts (at least one)."]
    elif details.outcome == ContactOutcome.NOT_REACHED and attempts < NOT_REACHED_MIN_ATTEMPTS:
        errors["attempts"] = [
            f"Not reached is recorded after at least {NOT_REACHED_MIN_ATTEMPTS} attempts."
        ]
    return errors


@transaction.atomic
def follow_up_contact_record(
    *,
    actor: User,
    follow_up: FollowUp,
    kind: str,
    details: ContactDetails,
    contact_log: ContactLog | None = None,
) -> FollowUpContact:
    """Documents the contact (or visit) and completes its task, in one step.

    A person records it (the task's performer); who made the contact may be
    another member of the team. Refused with field messages, nothing written, when
    the time, the person or the outcome is missing or wrong; the task services
    check the actor's right to complete the task.
    """
    if kind not in ContactKind.values:
        raise ApplicationError(
            "Record a contact or a visit.", field_errors={"kind": ["Contact or visit."]}
        )
    follow_up = (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("episode__patient", "contact_task", "visit_task")
        .get(pk=follow_up.pk)
    )
    task = follow_up_task_of(follow_up, kind)
    if task is None:
        raise ApplicationError("The follow-up tasks are not made yet.")
    if task.status not in ACTIONABLE_STATUSES:
        raise ApplicationError(f"The {ContactKind(kind).label.lower()} task is already closed.")
    errors = _check(follow_up, details)
    when, attempts = details.contact_at, details.attempts
    if errors or when is None or attempts is None:
        raise ApplicationError(
            "Say when it happened, who did it and the outcome.", field_errors=errors
        )
    if contact_log is None:
        # Documented from the follow-up page: the contact goes on the chart's log too,
        # so the log is the one list of every contact with the patient.
        contact_log = contact_log_record(
            actor=actor,
            patient=follow_up.episode.patient,
            entry=ContactEntry(
                kind=LOG_KIND_OF[kind],
                outcome=LOG_OUTCOME_OF[details.outcome],
                contact_at=when,
                performed_by=details.performed_by,
                note=details.note,
            ),
        )
    record = record_create(
        actor=actor,
        instance=FollowUpContact(
            contact_log=contact_log,
            follow_up=follow_up,
            task=task,
            kind=kind,
            contact_at=when,
            performed_by=details.performed_by,
            outcome=details.outcome,
            attempts=attempts,
            note=details.note.strip(),
            recorded_by=actor,
        ),
        patient_id=follow_up.episode.patient_id,
        detail={"kind": kind, "outcome": details.outcome},
    )
    task_complete(
        actor=actor,
        task=task,
        note=" — ".join(
            part
            for part in (str(ContactOutcome(details.outcome).label), details.note.strip())
            if part
        ),
    )
    return record


def follow_up_task_completion_check(task: Task) -> None:
    """Refuses closing a follow-up's contact or visit task without its documentation."""
    follow_up = (
        FollowUp.objects.filter(contact_task_id=task.pk).first()
        or FollowUp.objects.filter(visit_task_id=task.pk).first()
    )
    if follow_up is None:
        return
    if FollowUpContact.objects.filter(task_id=task.pk).exists():
        return
    kind = ContactKind.CONTACT if follow_up.contact_task_id == task.pk else ContactKind.VISIT
    message = (
        f"Record the {ContactKind(kind).label.lower()} on the follow-up: when it happened, "
        "who did it and the outcome (reached, not reached after repeated attempts, declined)."
    )
    raise ApplicationError(
        message,
        field_errors={
            "contact_at": ["When did it happen?"],
            "performed_by": ["Who did it?"],
            "outcome": ["What was the outcome?"],
        },
    )


def follow_up_of_task(task: Task) -> tuple[FollowUp, str] | None:
    """The follow-up whose contact or visit task `task` is, and which of the two."""
    follow_up = FollowUp.objects.filter(contact_task_id=task.pk).first()
    if follow_up is not None:
        return follow_up, ContactKind.CONTACT
    follow_up = FollowUp.objects.filter(visit_task_id=task.pk).first()
    return (follow_up, ContactKind.VISIT) if follow_up is not None else None


def follow_up_tasks_for_contact(patient: Patient, kind: str) -> list[int]:
    """The open follow-up tasks a reached contact of this kind (chart's log) completes:
    a call or a message is the interactive contact, a visit the face-to-face one."""
    follow_ups = FollowUp.objects.filter(episode__patient=patient)
    if kind == ContactLogKind.VISIT:
        ids = follow_ups.values_list("visit_task_id", flat=True)
    else:
        ids = follow_ups.values_list("contact_task_id", flat=True)
    return list(
        Task.objects.filter(
            pk__in=[i for i in ids if i], status__in=ACTIONABLE_STATUSES
        ).values_list("pk", flat=True)
    )


def follow_up_complete_from_contact(actor: User, task: Task, contact: ContactLog) -> None:
    """Documents the follow-up from a reached contact on the chart's log and completes its
    task: the same record (and the same checks) as the follow-up page's."""
    found = follow_up_of_task(task)
    if found is None:
        raise ApplicationError("This task is not a post-discharge follow-up.")
    follow_up, kind = found
    follow_up_contact_record(
        actor=actor,
        follow_up=follow_up,
        kind=kind,
        details=ContactDetails(
            contact_at=contact.contact_at,
            performed_by=contact.performed_by,
            outcome=ContactOutcome.REACHED,
            attempts=1,
            note=contact.note,
        ),
        contact_log=contact,
    )
