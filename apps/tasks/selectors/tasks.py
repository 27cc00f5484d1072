"""One task (its page, its history, its row) and one patient's tasks. Access-checked, audited.

A user sees a task only while its patient is on one of their teams, or through
a live break-the-glass access; anything else is "not found", like a missing one.
"""

from datetime import datetime

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.exceptions import NotFoundError
from apps.core.models import AuditAction
from apps.patients import permissions as patient_permissions
from apps.patients.models import Patient
from apps.tasks import permissions
from apps.tasks.models import (
    OPEN_STATUSES,
    Task,
    TaskEvent,
)
from apps.tasks.selectors.rows import TaskRow, _audit_list, _rows, _visible_tasks, _with_actions
from apps.teams.models import TeamMembership
from apps.teams.selectors import team_active_members


def task_get_for_user(*, user: User, task_id: int | str) -> Task:
    """The task, if its patient is on the user's teams (or under live break-the-glass).

    Anything else, including another team's task, is "not found" like a missing
    one, and the attempt is audited as denied.
    """
    try:
        pk = int(task_id)
    except (TypeError, ValueError) as error:
        raise NotFoundError("No such task.") from error
    task = (
        Task.objects.select_related(
            "patient", "patient__care_team", "owner", "performed_by", "verified_by", "created_by"
        )
        .filter(pk=pk)
        .first()
        if user.is_authenticated
        else None
    )
    on_team = task is not None and patient_permissions.can_view_patient(user, task.patient)
    break_glass = (
        task is not None and not on_team and patient_permissions.has_break_glass(user, task.patient)
    )
    audit_record(
        actor=user,
        action=AuditAction.VIEW if on_team or break_glass else AuditAction.DENIED,
        object_type=Task,
        object_id=pk,
        patient_id=task.patient_id if task else None,
        break_glass=break_glass,
    )
    if task is None or not (on_team or break_glass):
        raise NotFoundError("No such task.")
    return task


def task_history(*, task: Task) -> list[TaskEvent]:
    """Every event of the task, oldest first, with the people involved."""
    return list(
        TaskEvent.objects.filter(task_id=task.pk)
        .select_related("actor", "from_owner", "to_owner")
        .order_by("occurred_at", "pk")
    )


def task_row_for_user(*, user: User, task_id: int, now: datetime | None = None) -> TaskRow:
    """One worklist row, for redrawing it after an inline action (not audited: the action was)."""
    now = now or timezone.now()
    rows = _rows(_team_tasks_any(user).filter(pk=task_id), now=now, with_role=True)
    if not rows:
        raise NotFoundError("No such task.")
    _with_actions(user, rows, permissions.team_roles_for_user(user))
    return rows[0]


def _team_tasks_any(user: User) -> QuerySet[Task]:
    # The owner's role while they are a live member; none marks the task orphaned.
    role_on_team = (
        TeamMembership.objects.live()
        .filter(team_id=OuterRef("patient__care_team_id"), user_id=OuterRef("owner_id"))
        .values("role")[:1]
    )
    return _visible_tasks(user).annotate(owner_role=Subquery(role_on_team))


def task_list_for_patient(
    *, user: User, patient: Patient, now: datetime | None = None
) -> list[TaskRow]:
    """The patient's open tasks, soonest first. `patient` comes from patient_get_for_user."""
    now = now or timezone.now()
    rows = _rows(
        _team_tasks_any(user)
        .filter(patient_id=patient.pk, status__in=OPEN_STATUSES)
        .order_by("due_at", "pk"),
        now=now,
        with_role=True,
    )
    _with_actions(user, rows, permissions.team_roles_for_user(user))
    _audit_list(user, rows, "patient_tasks")
    return rows


def task_owner_choices(*, team_id: int) -> list[TeamMembership]:
    """Who can own a task of this team: its live members, lead first."""
    return list(team_active_members(team_ids=[team_id]))


def user_get(*, user_id: int | str | None) -> User | None:
    """A user by id, for the services to judge (they refuse anyone not on the team)."""
    try:
        pk = int(user_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return User.objects.filter(pk=pk).first()
