"""Huddle test data, made through the real services."""

from datetime import datetime, timedelta

from django.utils import timezone

from apps.accounts.models import User
from apps.huddles import services
from apps.huddles.models import Huddle
from apps.patients.models import Patient
from apps.tasks.models import Task, TaskPriority
from apps.tasks.services import task_create
from apps.teams.models import CareTeam
from tests.factories import SETUP


def make_task(
    patient: Patient,
    owner: User,
    *,
    due_in: timedelta = timedelta(days=3),
    title: str = "Call the patient",
    priority: str = TaskPriority.ROUTINE,
) -> Task:
    return task_create(
        actor=SETUP,
        patient=patient,
        title=title,
        owner=owner,
        due_at=timezone.now() + due_in,
        priority=priority,
    )


def make_huddle(
    team: CareTeam, actor: User, *, start: datetime | None = None, duration: int = 30
) -> Huddle:
    return services.huddle_schedule(
        actor=actor,
        team=team,
        scheduled_start=start or timezone.now() + timedelta(hours=1),
        duration_minutes=duration,
    )


def open_huddle(team: CareTeam, actor: User) -> Huddle:
    huddle = make_huddle(team, actor)
    return services.huddle_open(actor=actor, huddle=huddle)


def run_and_close(huddle: Huddle, actor: User) -> Huddle:
    """Marks the actor present and closes the huddle, leaving items as they are."""
    services.huddle_attendance_set(actor=actor, huddle=huddle, user_id=actor.pk, present=True)
    return services.huddle_close(actor=actor, huddle=huddle, carry_over=True)
