"""Interventions: each one is carried out as exactly one open Task, through apps.tasks.services.

The owner and the due time are the task's; this module never stores a copy,
so a reassignment from a worklist and one from the plan land in the same place.
"""

from datetime import date, datetime

from apps.accounts.models import Actor, User
from apps.careplans import permissions
from apps.careplans.models import CarePlan, Goal, Intervention
from apps.careplans.services._common import (
    audit,
    date_not_past_or_error,
    due_at_for,
    lock_plan,
    owner_on_team,
    person_of,
    plan_service,
    raise_if,
    record_version,
    text_or_error,
)
from apps.careplans.states import GOAL_CLOSING_REASONS
from apps.core.actors import person_behind
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.tasks.models import Task, TaskSource
from apps.tasks.services import task_cancel, task_create, task_reassign, task_update

TITLE_LIMIT = 200


def _task_description(goal: Goal) -> str:
    return f"Care plan intervention towards the goal: {goal.description}"


def _new_task(
    *, actor: Actor, plan: CarePlan, intervention: Intervention, owner: User, due_at: datetime
) -> Task:
    return task_create(
        actor=person_of(actor),
        patient=plan.patient,
        title=intervention.description,
        owner=owner,
        due_at=due_at,
        description=_task_description(intervention.goal),
        source_type=TaskSource.CARE_PLAN_INTERVENTION,
        source_id=intervention.pk,
    )


@plan_service
def intervention_create(
    *,
    actor: Actor,
    goal: Goal,
    description: str,
    owner: User,
    due_date: date,
    details: str = "",
) -> Intervention:
    """Adds an intervention to a goal and creates its task for the owner, due that day."""
    plan = lock_plan(goal.plan_id)
    goal = Goal.objects.get(pk=goal.pk)
    permissions.require_can_edit_goal_work(actor, plan.patient, goal)
    errors: dict[str, list[str]] = {}
    description = text_or_error(errors, "description", description, "Say what will be done.")
    if len(description) > TITLE_LIMIT:
        errors["description"] = [f"At most {TITLE_LIMIT} characters."]
    if due_date is None:
        errors["due_date"] = ["Give a due date."]
    date_not_past_or_error(errors, "due_date", due_date)
    if goal.status in GOAL_CLOSING_REASONS:
        errors.setdefault("goal", []).append(
            f"The goal is {goal.get_status_display().lower()}; add work to an open goal."
        )
    raise_if(errors, "Please correct the intervention.")
    owner_on_team(plan=plan, user=owner, field="owner")
    intervention = Intervention.objects.create(
        plan=plan,
        goal=goal,
        description=description,
        details=(details or "").strip(),
        created_by=person_behind(actor),
    )
    intervention.task = _new_task(
        actor=actor,
        plan=plan,
        intervention=intervention,
        owner=owner,
        due_at=due_at_for(due_date),
    )
    intervention.save(update_fields=["task", "updated_at"])
    audit(actor=actor, action=AuditAction.CREATE, obj=intervention, plan=plan)
    record_version(plan=plan, actor=actor, summary="Added an intervention")
    return intervention


@plan_service
def intervention_update(
    *,
    actor: Actor,
    intervention: Intervention,
    description: str | None = None,
    details: str | None = None,
    owner: User | None = None,
    due_date: date | None = None,
    reason: str = "",
) -> Intervention:
    """Changes an intervention and keeps its task in step, in one transaction.

    A new owner is a reassignment of the task with `reason`, under the task
    rules (the task's owner or the lead coordinator reassigns). A new title or
    due date changes the same task (task_update), so its history stays whole.
    """
    plan = lock_plan(intervention.plan_id)
    intervention = Intervention.objects.select_related("task", "goal").get(pk=intervention.pk)
    permissions.require_can_edit_goal_work(actor, plan.patient, intervention.goal)
    task = intervention.task
    if task is None:  # pragma: no cover - every intervention is created with its task
        raise ApplicationError("This intervention has no task.")
    errors: dict[str, list[str]] = {}
    if description is not None:
        description = text_or_error(errors, "description", description, "Say what will be done.")
        if len(description) > TITLE_LIMIT:
            errors["description"] = [f"At most {TITLE_LIMIT} characters."]
    new_title = description is not None and description != intervention.description
    wanted_due = due_at_for(due_date) if due_date is not None else task.due_at
    new_due = wanted_due != task.due_at
    new_owner = owner is not None and owner.pk != task.owner_id
    if new_due:
        date_not_past_or_error(errors, "due_date", due_date)
    if new_owner and not reason.strip():
        errors["reason"] = ["Say why the intervention changes hands."]
    raise_if(errors, "Please correct the intervention.")
    if (new_title or new_due or new_owner) and not intervention.is_open:
        raise ApplicationError(
            "This intervention is finished or cancelled. Add a new intervention instead."
        )
    changed: list[str] = []
    if details is not None and details.strip() != intervention.details:
        intervention.details = details.strip()
        changed.append("details")
    if new_owner and owner is not None:
        owner_on_team(plan=plan, user=owner, field="owner")
        task_reassign(actor=person_of(actor), task=task, new_owner=owner, reason=reason.strip())
        changed.append("owner")
    if new_title and description is not None:
        intervention.description = description
        changed.append("description")
    if new_due:
        changed.append("due_date")
    if new_title or new_due:
        task_update(
            actor=person_of(actor),
            task=task,
            title=intervention.description if new_title else None,
            due_at=wanted_due if new_due else None,
        )
    if not changed:
        return intervention
    intervention.save(update_fields=["description", "details", "updated_at"])
    intervention.task = Task.objects.select_related("owner").get(pk=task.pk)
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=intervention,
        plan=plan,
        detail={"fields": changed},
    )
    record_version(plan=plan, actor=actor, summary=f"Changed an intervention: {', '.join(changed)}")
    return intervention


@plan_service
def intervention_cancel(*, actor: Actor, intervention: Intervention, reason: str) -> Intervention:
    """Stops an intervention: its task is cancelled with the reason."""
    plan = lock_plan(intervention.plan_id)
    intervention = Intervention.objects.select_related("task", "goal").get(pk=intervention.pk)
    permissions.require_can_edit_goal_work(actor, plan.patient, intervention.goal)
    if not reason.strip():
        raise ApplicationError(
            "Say why the intervention stops.", field_errors={"reason": ["A reason is required."]}
        )
    if not intervention.is_open:
        return intervention
    assert intervention.task is not None  # noqa: S101 - created together
    task_cancel(actor=person_of(actor), task=intervention.task, reason=reason.strip())
    intervention.task.refresh_from_db()
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=intervention,
        plan=plan,
        detail={"fields": ["status"]},
    )
    record_version(plan=plan, actor=actor, summary="Cancelled an intervention")
    return intervention
