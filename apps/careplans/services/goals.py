"""Goals: each domain is edited by the roles that hold that domain's right."""

from datetime import date
from typing import Any

from apps.accounts.models import Actor, User
from apps.careplans import permissions
from apps.careplans.models import CarePlan, Goal, GoalDomain, GoalStatus
from apps.careplans.services._common import (
    audit,
    date_not_past_or_error,
    lock_plan,
    owner_on_team,
    plan_service,
    raise_if,
    record_version,
    text_or_error,
)
from apps.careplans.services.plans import cancel_open_tasks
from apps.careplans.states import GOAL_CLOSING_REASONS, GOAL_START_STATUSES, GOAL_STATES
from apps.core.actors import person_behind
from apps.core.changes import record_change, record_create, refuse_unknown_fields
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.tasks.models import Task

GOAL_FIELDS = ("domain", "description", "target", "target_date", "status", "owner", "patient_steps")


def _check_domain(domain: str) -> None:
    if domain not in GoalDomain.values:
        raise ApplicationError(
            "Please correct the goal.", field_errors={"domain": [f"'{domain}' is not a domain."]}
        )


def _check_lengths(errors: dict[str, list[str]], values: dict[str, Any]) -> None:
    for name in ("description", "target"):
        if len(values.get(name) or "") > 300:
            errors.setdefault(name, []).append("At most 300 characters.")


@plan_service
def goal_create(
    *,
    actor: Actor,
    plan: CarePlan,
    domain: str,
    description: str,
    target: str,
    target_date: date,
    owner: User,
    status: str = GoalStatus.PROPOSED,
    patient_steps: str = "",
) -> Goal:
    """Adds a goal with a measurable target, a date and one owner from the patient's team."""
    plan = lock_plan(plan.pk)
    _check_domain(domain)
    permissions.require_can_edit_goal_domain(actor, plan.patient, domain)
    errors: dict[str, list[str]] = {}
    description = text_or_error(errors, "description", description, "Describe the goal.")
    target = text_or_error(errors, "target", target, "Give a measurable target.")
    _check_lengths(errors, {"description": description, "target": target})
    if target_date is None:
        errors["target_date"] = ["Give a target date."]
    date_not_past_or_error(errors, "target_date", target_date)
    if status not in GOAL_START_STATUSES:
        errors["status"] = ["A new goal is proposed or active."]
    raise_if(errors, "Please correct the goal.")
    owner_on_team(plan=plan, user=owner, field="owner")
    goal = record_create(
        actor=actor,
        instance=Goal(
            plan=plan,
            domain=domain,
            description=description,
            target=target,
            target_date=target_date,
            status=status,
            owner=owner,
            patient_steps=(patient_steps or "").strip(),
            created_by=person_behind(actor),
        ),
        patient_id=plan.patient_id,
        detail={"care_plan_id": plan.pk, "domain": domain},
        message="Please correct the goal.",
    )
    record_version(plan=plan, actor=actor, summary=f"Added a {domain} goal")
    return goal


@plan_service
def goal_update(*, actor: Actor, goal: Goal, reason: str = "", **values: Any) -> Goal:
    """Changes a goal. Moving it to another domain needs the rights of both domains.

    The status moves only as the goal table allows (apps.careplans.states). A goal
    achieved, not achieved or cancelled closes the open tasks of its interventions in
    the same step, with `reason` or the table's ("Goal achieved", ...), and the plan
    version records both.
    """
    plan = lock_plan(goal.plan_id)
    goal = Goal.objects.select_related("owner").get(pk=goal.pk)
    refuse_unknown_fields(values, GOAL_FIELDS, noun="goal")
    permissions.require_can_edit_goal_domain(actor, plan.patient, goal.domain)
    if "domain" in values and values["domain"] != goal.domain:
        _check_domain(values["domain"])
        permissions.require_can_edit_goal_domain(actor, plan.patient, values["domain"])
    errors: dict[str, list[str]] = {}
    for name, message in (("description", "Describe the goal."), ("target", "Give a target.")):
        if name in values:
            values[name] = text_or_error(errors, name, values[name], message)
    if "patient_steps" in values:
        values["patient_steps"] = (values["patient_steps"] or "").strip()
    _check_lengths(errors, values)
    if "target_date" in values:
        if values["target_date"] is None:
            errors["target_date"] = ["Give a target date."]
        elif values["target_date"] != goal.target_date:
            date_not_past_or_error(errors, "target_date", values["target_date"])
    raise_if(errors, "Please correct the goal.")
    if "status" in values and values["status"] != goal.status:
        GOAL_STATES.move(goal.status, values["status"])
    if "owner" in values and values["owner"].pk != goal.owner_id:
        owner_on_team(plan=plan, user=values["owner"], field="owner")
    changed = record_change(
        actor=actor,
        instance=goal,
        values=values,
        patient_id=plan.patient_id,
        detail={"care_plan_id": plan.pk},
        message="Please correct the goal.",
    )
    if not changed:
        return goal
    if "status" in changed and goal.status in GOAL_CLOSING_REASONS:
        cancel_open_tasks(
            actor=actor,
            plan=plan,
            tasks=Task.objects.filter(care_plan_intervention__goal=goal),
            reason=(reason or "").strip() or GOAL_CLOSING_REASONS[goal.status],
        )
    record_version(plan=plan, actor=actor, summary=f"Changed a goal: {', '.join(changed)}")
    return goal


@plan_service
def goal_remove(*, actor: Actor, goal: Goal) -> None:
    """Removes a goal entered by mistake, with its interventions; their open tasks are cancelled.

    Earlier versions keep the goal; the next review shows it as removed.
    """
    plan = lock_plan(goal.plan_id)
    goal = Goal.objects.get(pk=goal.pk)
    permissions.require_can_edit_goal_domain(actor, plan.patient, goal.domain)
    cancel_open_tasks(
        actor=actor,
        plan=plan,
        tasks=Task.objects.filter(care_plan_intervention__goal=goal),
        reason="The care plan goal was removed.",
    )
    goal_id = goal.pk
    audit(actor=actor, action=AuditAction.DELETE, obj=goal, plan=plan)
    goal.delete()
    record_version(plan=plan, actor=actor, summary=f"Removed goal #{goal_id}")
