"""Reassigning many tasks at once: all of them or none, in a fixed number of queries."""

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User, actor_checked
from apps.core.exceptions import ApplicationError, NotFoundError
from apps.tasks import permissions
from apps.tasks.events import TaskHappening, task_events_record
from apps.tasks.models import OPEN_STATUSES, Task, TaskEventKind
from apps.tasks.notifications import notification_send
from apps.tasks.services.lifecycle import ASSIGNED_KIND
from apps.tasks.sources import TaskChange, task_source_changed
from apps.teams import permissions as team_permissions
from apps.teams.models import TeamMembership

MAX_BULK = 500


@transaction.atomic
def task_bulk_reassign(
    *, actor: User, task_ids: Sequence[int], new_owner: User, reason: str
) -> list[int]:
    """Hands the chosen open tasks to `new_owner` with one reason; returns the ids that moved.

    The lead coordinator's tool for orphaned work. Every task must be open,
    on a team the actor leads, and the new owner an active person on each
    task's team; otherwise nothing changes. Tasks the new owner already holds
    are left as they are. Rows are locked in id order, so a concurrent
    single reassignment waits instead of interleaving.
    """
    if not isinstance(actor_checked(actor), User):
        raise PermissionDenied("Only the lead coordinator may reassign the team's tasks.")
    ids = sorted({int(task_id) for task_id in task_ids})
    if not ids:
        raise ApplicationError(
            "Choose at least one task.", field_errors={"task_ids": ["Nothing was selected."]}
        )
    if len(ids) > MAX_BULK:
        raise ApplicationError(
            f"Reassign at most {MAX_BULK} tasks at a time.",
            field_errors={"task_ids": [f"At most {MAX_BULK}."]},
        )
    if not reason.strip():
        raise ApplicationError(
            "Say why the tasks change hands.", field_errors={"reason": ["A reason is required."]}
        )
    reason = reason.strip()
    rows = list(
        Task.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "status", "owner_id", "patient_id", "patient__care_team_id")
    )
    visible = team_permissions.team_permissions_for_user(actor)
    if len(rows) != len(ids) or any(
        team_permissions.VIEW_PATIENT not in visible.get(team_id, frozenset())
        for *_, team_id in rows
    ):
        raise NotFoundError("Some of these tasks do not exist.")
    team_ids = {team_id for *_, team_id in rows}
    if not all(permissions.can_lead_team(actor, team_id) for team_id in team_ids):
        raise PermissionDenied("Only the lead coordinator may reassign the team's tasks.")
    closed = [pk for pk, status, *_ in rows if status not in OPEN_STATUSES]
    if closed:
        raise ApplicationError(
            "Closed tasks cannot be reassigned.",
            field_errors={"task_ids": [f"Task {pk} is closed." for pk in closed]},
        )
    member_of = set(
        TeamMembership.objects.live()
        .filter(user_id=new_owner.pk, team_id__in=team_ids)
        .values_list("team_id", flat=True)
    )
    if member_of != team_ids:
        raise ApplicationError(
            "The new owner must be a person on every selected patient's care team.",
            field_errors={"owner": ["Choose a current member of each patient's care team."]},
        )
    moving = [
        (pk, owner_id, patient_id)
        for pk, _, owner_id, patient_id, _ in rows
        if owner_id != new_owner.pk
    ]
    if not moving:
        return []
    now = timezone.now()
    Task.objects.filter(pk__in=[pk for pk, *_ in moving]).update(
        owner_id=new_owner.pk, updated_at=now
    )
    events = task_events_record(
        actor=actor,
        happenings=(
            TaskHappening(
                task_id=pk,
                patient_id=patient_id,
                kind=TaskEventKind.REASSIGNED,
                fields=["owner"],
                from_owner_id=owner_id,
                to_owner_id=new_owner.pk,
                reason=reason,
                detail={"bulk": True},
            )
            for pk, owner_id, patient_id in moving
        ),
    )
    # The work each task came from follows, as after a single reassignment.
    moved = Task.objects.in_bulk([pk for pk, *_ in moving])
    for pk, owner_id, _ in moving:
        task_source_changed(
            TaskChange(
                actor=actor,
                task=moved[pk],
                kind=TaskEventKind.REASSIGNED,
                from_owner_id=owner_id,
            )
        )
    if new_owner.pk != actor.pk:
        count = len(moving)
        notification_send(
            recipient=new_owner,
            idempotency_key=f"task-bulk:{events[0].pk}:assigned",
            kind=ASSIGNED_KIND,
            subject=f"{count} task{'s' if count != 1 else ''} handed to you",
            body=reason,
            link=reverse("tasks:my_work"),
        )
    return [pk for pk, *_ in moving]
