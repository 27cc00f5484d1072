"""Same-day triage: a screen that shows an urgent social need puts the patient on the queue.

Which answers are urgent is said once, in apps.patients.hrsn (`urgent_needs`).
`triage_screen_recorded` follows the screen service (registered from
MeasuresConfig.ready()), inside its transaction: one TriageItem per screen and
one urgent task for the team's live lead coordinator, due by the end of the day.
Recording the same screen's follow-up twice changes nothing. A team with no live
lead gets the item without a task, saying why: the queue and the team worklist
show it as work nobody owns, to fix by naming a lead.

The task's source handler closes the item when its task is done or cancelled,
whichever door (My work, the task page, the API, the admin) changed it.
"""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Actor, User
from apps.core.actors import JobActor, person_behind
from apps.core.changes import record_change, record_create
from apps.core.exceptions import ConflictError
from apps.measures import permissions
from apps.measures.models import TriageItem, TriageStatus
from apps.patients import hrsn
from apps.patients.models import SdohScreen
from apps.tasks.models import Task, TaskPriority, TaskSource, TaskStatus
from apps.tasks.services import task_create
from apps.tasks.sources import SourceLink, TaskChange, WorkProblem
from apps.teams.selectors import team_lead

TRIAGE_JOB = "measures.social_triage"
NO_LEAD = "The team has no live lead coordinator: name one, then assign this need."
_CLOSING = {TaskStatus.DONE: TriageStatus.DONE, TaskStatus.CANCELLED: TriageStatus.CANCELLED}


def triage_task_key(screen_id: int) -> str:
    return f"screen:{screen_id}:triage"


def end_of_today(now: datetime | None = None) -> datetime:
    """The end of the current local day: a same-day need is due before it ends."""
    local = timezone.localtime(now)
    return timezone.make_aware(datetime.combine(local.date(), time(23, 59)), local.tzinfo)


def needs_text(needs: list[str]) -> str:
    return ", ".join(hrsn.URGENT_LABELS[need].lower() for need in needs)


def _lead_task(actor: Actor, screen: SdohScreen, needs: list[str], lead: User) -> Task:
    # Made by the system for the person who acted: a community health worker holds no
    # right over the team's task list, but the need must be owned.
    return task_create(
        actor=JobActor(job=TRIAGE_JOB, for_user=person_behind(actor)),
        patient=screen.patient,
        title=f"Urgent social need today: {needs_text(needs)}",
        owner=lead,
        due_at=max(end_of_today(), timezone.now() + timedelta(hours=1)),
        priority=TaskPriority.URGENT,
        description=(
            f"The AHC HRSN screen of {screen.screened_on:%Y-%m-%d} shows a need that cannot "
            "wait for the next routine contact. Reach the patient today and arrange help "
            "(shelter, a safety plan, emergency food or utilities), then complete this task."
        ),
        source_type=TaskSource.SOCIAL_TRIAGE,
        source_id=screen.pk,
        idempotency_key=triage_task_key(screen.pk),
    )


@transaction.atomic
def triage_screen_recorded(actor: Actor, screen: SdohScreen) -> TriageItem | None:
    """Queues a screen with urgent needs (once per screen) with its owned task."""
    needs = screen.urgent_needs
    if not needs:
        return None
    existing = TriageItem.objects.filter(screen_id=screen.pk).first()
    if existing is not None:
        return existing
    patient = screen.patient
    lead = team_lead(team_id=patient.care_team_id)
    item = TriageItem(
        organisation_id=patient.organisation_id,
        patient=patient,
        screen=screen,
        needs=needs,
        unowned_reason="" if lead is not None else NO_LEAD,
    )
    if lead is not None:
        item.task = _lead_task(actor, screen, needs, lead.user)
    return record_create(
        actor=actor,
        instance=item,
        patient_id=patient.pk,
        detail={"needs": needs, "owned": lead is not None},
        clean=False,
    )


@transaction.atomic
def triage_assign_lead(*, actor: Actor, item: TriageItem) -> TriageItem:
    """Gives an unowned urgent need to the team's lead, once the team has one."""
    locked = (
        TriageItem.objects.select_for_update().select_related("screen__patient").get(pk=item.pk)
    )
    permissions.require_can_work_triage(actor, locked.patient)
    if locked.task_id is not None or locked.status != TriageStatus.OPEN:
        raise ConflictError("This need already has an owner.")
    lead = team_lead(team_id=locked.patient.care_team_id)
    if lead is None:
        raise ConflictError(NO_LEAD)
    task = _lead_task(actor, locked.screen, locked.needs, lead.user)
    record_change(
        actor=actor,
        instance=locked,
        values={"task": task, "unowned_reason": ""},
        patient_id=locked.patient_id,
        clean=False,
    )
    return locked


def triage_task_changed(change: TaskChange) -> None:
    """A done or cancelled triage task takes its item off the queue."""
    closing = _CLOSING.get(change.task.status)  # type: ignore[call-overload]
    if closing is None or change.from_status == change.task.status:
        return
    item = TriageItem.objects.select_for_update().filter(task_id=change.task.pk).first()
    if item is None or item.status != TriageStatus.OPEN:
        return
    record_change(
        actor=change.actor,
        instance=item,
        values={"status": closing, "closed_at": timezone.now()},
        patient_id=item.patient_id,
        clean=False,
    )


def triage_task_link(task: Task) -> SourceLink | None:
    return SourceLink(
        label="The same-day triage queue",
        url=reverse("measures:triage") + f"#triage-task-{task.pk}",
    )


def triage_problems(team_ids: list[int]) -> WorkProblem:
    """Urgent needs nobody owns (the team had no lead), for the team worklist."""
    count = TriageItem.objects.filter(
        patient__care_team_id__in=team_ids, status=TriageStatus.OPEN, task__isnull=True
    ).count()
    return WorkProblem(
        label="Urgent social needs with no owner (same-day triage queue)",
        count=count,
        link=reverse("measures:triage"),
    )
