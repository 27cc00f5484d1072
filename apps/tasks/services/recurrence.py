"""Recurring tasks: completing one occurrence creates the next, once.

Called by the lifecycle (`_set_status`) whenever a recurring task becomes done,
from whichever door: so the next occurrence cannot be skipped or made twice.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from apps.accounts.models import Actor, User
from apps.core.actors import JobActor, person_behind
from apps.core.exceptions import ApplicationError
from apps.tasks.events import task_event_record
from apps.tasks.models import Task, TaskEventKind, TaskSource
from apps.tasks.services.lifecycle import task_create
from apps.teams.selectors import is_live_member, team_lead

# A recurring task keeps its link to the work it serves only for these sources: the others
# (a reconciliation, a referral, a discharge follow-up) are one-off steps of their workflow.
KEPT_SOURCES = (TaskSource.MANUAL, TaskSource.CARE_PLAN_GOAL)


def next_due_at(*, due_at: datetime, every_days: int, now: datetime) -> datetime:
    """The next due time on the same cadence, never in the past: a weekly call done late
    is next due on its usual weekday, not a week after it was finally made."""
    step = timedelta(days=every_days)
    following = due_at + step
    if following <= now:
        following += step * ((now - following) // step + 1)
    return following


def _next_owner(task: Task, actor: Actor) -> User | None:
    """The owner still on the team; else the person who completed it; else the lead."""
    candidates = [task.owner, person_behind(actor)]
    lead = team_lead(team_id=task.patient.care_team_id)
    if lead is not None:
        candidates.append(lead.user)
    team_id = task.patient.care_team_id
    for candidate in candidates:
        if candidate is not None and is_live_member(team_id=team_id, user=candidate):
            return candidate
    return None


def task_next_occurrence(*, actor: Actor, task: Task) -> Task:
    """Creates the occurrence after `task` (done, with `recurrence_days`); a second call
    returns the one already made. Refused when nobody on the team can own it."""
    owner = _next_owner(task, actor)
    if owner is None:
        raise ApplicationError(
            "This task repeats, and nobody on the care team can own the next one: "
            "name a lead coordinator first."
        )
    assert task.recurrence_days is not None  # noqa: S101 - the caller's condition
    kept = task.source_type in KEPT_SOURCES
    following = task_create(
        # The person behind the completion creates it; a job may create for the team.
        actor=JobActor(
            job="tasks.recurrence",
            for_user=person_behind(actor),
            organisation_id=task.patient.care_team.organisation_id,
        ),
        patient=task.patient,
        title=task.title,
        owner=owner,
        due_at=next_due_at(due_at=task.due_at, every_days=task.recurrence_days, now=timezone.now()),
        priority=task.priority,
        description=task.description,
        source_type=task.source_type if kept else TaskSource.MANUAL,
        source_id=task.source_id if kept else None,
        verification_role=task.verification_role,
        idempotency_key=f"task:{task.pk}:next",
        task_type=task.task_type,
        recurrence_days=task.recurrence_days,
    )
    task_event_record(
        actor=actor,
        task=task,
        kind=TaskEventKind.RECURRED,
        reason=f"Next one due {timezone.localtime(following.due_at):%b %d %Y, %H:%M}",
        detail={"next_task_id": following.pk},
    )
    return following
