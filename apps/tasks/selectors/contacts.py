"""What a logged contact may complete: the patient's open call (or visit) tasks."""

from apps.accounts.models import User
from apps.patients.models import ContactLogKind, Patient
from apps.tasks import permissions
from apps.tasks.models import Task, TaskType
from apps.tasks.sources import contact_completers

# Which kind of task a contact of each kind is: a message that reaches the patient is
# the interactive contact a call task asks for.
TASK_TYPE_OF_CONTACT = {
    ContactLogKind.CALL: TaskType.PHONE_CALL,
    ContactLogKind.MESSAGE: TaskType.PHONE_CALL,
    ContactLogKind.VISIT: TaskType.HOME_VISIT,
}


def contact_tasks_offered(*, user: User, patient: Patient, kind: str) -> list[Task]:
    """The patient's open tasks a reached contact of `kind` may complete, that `user` may
    complete: oldest due first."""
    completers = contact_completers()
    ids = {
        task_id for completer in completers.values() for task_id in completer.offers(patient, kind)
    }
    task_type = TASK_TYPE_OF_CONTACT.get(kind)  # type: ignore[call-overload]
    generic = (
        Task.objects.open()
        .filter(patient=patient, task_type=task_type)
        .exclude(source_type__in=list(completers))
        .values_list("pk", flat=True)
        if task_type
        else []
    )
    ids.update(generic)
    tasks = (
        Task.objects.open()
        .filter(pk__in=ids, patient=patient)
        .select_related("owner", "patient")
        .order_by("due_at", "pk")
    )
    return [task for task in tasks if permissions.can_work_on_task(user, task)]


def contact_tasks_offered_any_kind(*, user: User, patient: Patient) -> list[Task]:
    """Every task a reached contact of some kind may complete (the chart's form lists
    them all; the service checks the one logged), soonest due first."""
    seen: dict[int, Task] = {}
    for kind in ContactLogKind.values:
        for task in contact_tasks_offered(user=user, patient=patient, kind=kind):
            seen.setdefault(task.pk, task)
    return sorted(seen.values(), key=lambda task: (task.due_at is None, task.due_at, task.pk))
