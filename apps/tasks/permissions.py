"""Who may act on a task. Services enforce these; pages and the API use them to offer buttons.

Rights come from the patient's care team (apps.teams.permissions): the owner
works on their own task while they still see the patient; anyone with
`manage_tasks` on the team may also work on it; the owner or the lead
coordinator (`reassign_tasks`) hands it over; verification needs a different
person holding the named role on the team.
"""

from typing import Protocol

from django.core.exceptions import PermissionDenied

from apps.accounts.models import User
from apps.core.exceptions import Refused
from apps.patients.models import Patient
from apps.patients.permissions import has_patient_permission, is_organisation_admin
from apps.tasks import states
from apps.tasks.models import Task, TaskStatus
from apps.tasks.states import task_actions_from
from apps.teams import permissions as team_permissions
from apps.teams.models import TeamMembership

VIEW_PATIENT = team_permissions.VIEW_PATIENT


class TaskLike(Protocol):
    """A Task or a worklist row: what the rights depend on."""

    @property
    def team_id(self) -> int: ...

    owner_id: int | None
    status: str
    performed_by_id: int | None
    verification_role: str


def is_task_admin(user: User, patient: Patient) -> bool:
    """Django-admin staff of the patient's organisation (the admin door; never a verifier)."""
    return is_organisation_admin(user, patient, "tasks.change_task")


def can_create_task(user: User, patient: Patient) -> bool:
    return has_patient_permission(user, patient, "manage_tasks") or is_task_admin(user, patient)


def require_can_create_task(user: User, patient: Patient) -> None:
    if not can_create_task(user, patient):
        raise Refused("You may not create tasks for this patient.", patient_id=patient.pk)


def _is_live_owner(user: User, task: TaskLike) -> bool:
    """The owner, while still on the patient's team; after leaving they lose the task too."""
    return (
        user.is_authenticated
        and user.pk == task.owner_id
        and team_permissions.has_team_permission(user, VIEW_PATIENT, task.team_id)
    )


def _refused(task: TaskLike, message: str) -> Refused:
    """A refusal that names the task and its patient, for the door's audit event."""
    return Refused(
        message,
        patient_id=getattr(task, "patient_id", None),
        object_type=Task,
        object_id=getattr(task, "pk", ""),
    )


def can_work_on_task(user: User, task: TaskLike) -> bool:
    return _is_live_owner(user, task) or team_permissions.has_team_permission(
        user, "manage_tasks", task.team_id
    )


def require_can_work_on_task(user: User, task: TaskLike) -> None:
    if not can_work_on_task(user, task):
        raise _refused(task, "You may not work on this task.")


def can_reassign_task(user: User, task: TaskLike) -> bool:
    return _is_live_owner(user, task) or team_permissions.has_team_permission(
        user, "reassign_tasks", task.team_id
    )


def require_can_reassign_task(user: User, task: TaskLike) -> None:
    if not can_reassign_task(user, task):
        raise _refused(task, "Only the owner or the lead coordinator may reassign this task.")


def can_lead_team(user: User, team_id: int) -> bool:
    return team_permissions.has_team_permission(user, "reassign_tasks", team_id)


def lead_team_ids(user: User) -> list[int]:
    """The teams whose worklist `user` runs (lead coordinator's `reassign_tasks`)."""
    return sorted(
        team_id
        for team_id, codenames in team_permissions.team_permissions_for_user(user).items()
        if "reassign_tasks" in codenames
    )


def require_lead_team_ids(user: User) -> list[int]:
    """The teams whose worklist `user` runs; refused when they lead none."""
    team_ids = lead_team_ids(user)
    if not team_ids:
        raise PermissionDenied("The team worklist is for lead coordinators.")
    return team_ids


def team_roles_for_user(user: User) -> dict[int, str]:
    """The user's role on each team they are an active member of (one query)."""
    if not user.is_authenticated:
        return {}
    return dict(
        TeamMembership.objects.open().filter(user_id=user.pk).values_list("team_id", "role")
    )


def can_verify_task(user: User, task: TaskLike, *, role_on_team: str | None) -> bool:
    """A different person than the doer, holding the named role on the patient's team.

    `role_on_team` is the user's active role on the task's team (None when not a member).
    """
    return (
        task.status == TaskStatus.AWAITING_VERIFICATION
        and bool(task.verification_role)
        and role_on_team == task.verification_role
        and user.pk != task.performed_by_id
    )


def task_actions(
    user: User, task: TaskLike, *, roles: dict[int, str] | None = None
) -> frozenset[str]:
    """The buttons to offer `user` on `task`; the services check again when pressed."""
    allowed = task_actions_from(task.status)
    if not allowed:
        return frozenset()  # closed: nothing to do, not even reassigning
    actions: set[str] = set()
    if can_work_on_task(user, task):
        actions |= allowed & {states.START, states.HOLD, states.COMPLETE, states.CANCEL}
    if can_reassign_task(user, task):
        actions.add("reassign")
    if (
        states.VERIFY in allowed
        and roles is not None
        and can_verify_task(user, task, role_on_team=roles.get(task.team_id))
    ):
        actions.add(states.VERIFY)
    return frozenset(actions)
