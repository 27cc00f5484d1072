"""Logging a contact from the chart and, in the same step, completing the call it was.

A reached contact offers to complete the patient's open call (or visit) tasks: a
task of the matching type, and the tasks a higher app says a contact closes
(a post-discharge follow-up call, registered in apps.transitions). Those apps
document their own record (the follow-up's when, who and outcome) from the log.
"""

from django.db import transaction

from apps.accounts.models import Actor
from apps.core.actors import person_behind
from apps.core.exceptions import ApplicationError
from apps.patients.models import ContactLog, ContactLogKind, ContactLogOutcome, Patient
from apps.patients.services.contacts import ContactEntry, contact_log_record
from apps.tasks.models import Task
from apps.tasks.selectors.contacts import contact_tasks_offered
from apps.tasks.services.lifecycle import task_complete
from apps.tasks.sources import contact_completers


@transaction.atomic
def contact_log_record_completing(
    *, actor: Actor, patient: Patient, entry: ContactEntry, complete_task_ids: list[int]
) -> tuple[ContactLog, list[Task]]:
    """Logs the contact and completes the chosen tasks, all or nothing.

    Only a reached contact completes work; each task must be one the log
    offered (this patient's, open, of the contact's kind, the actor's to
    complete). The task services check and record each completion.
    """
    log = contact_log_record(actor=actor, patient=patient, entry=entry)
    if not complete_task_ids:
        return log, []
    if entry.outcome != ContactLogOutcome.REACHED:
        raise ApplicationError(
            "Only a contact that reached the patient completes a task.",
            field_errors={"complete_tasks": ["Leave the tasks open: the patient was not reached."]},
        )
    person = person_behind(actor)
    offered = {
        task.pk: task
        for task in (
            contact_tasks_offered(user=person, patient=patient, kind=entry.kind)
            if person is not None
            else []
        )
    }
    if not set(complete_task_ids) <= set(offered):
        raise ApplicationError(
            "A chosen task cannot be completed from this contact.",
            field_errors={"complete_tasks": ["Choose from the open tasks listed."]},
        )
    completers = contact_completers()
    done = []
    for task_id in complete_task_ids:
        task = offered[task_id]
        completer = completers.get(task.source_type)
        if completer is not None:
            completer.complete(actor, task, log)
        else:
            label = ContactLogKind(entry.kind).label
            note = " — ".join(part for part in (f"{label}: reached", log.note) if part)
            task_complete(actor=actor, task=task, note=note)
        done.append(task)
    return log, done
