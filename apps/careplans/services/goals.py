"""Goals: each domain is edited by the roles that hold that domain's right."""

from datetime import date
from typing import Any

from django.db import transaction

from apps.accounts.models import User
from apps.careplans import permissions
from apps.careplans.models import CarePlan, Goal, GoalDomain, GoalStatus
from apps.careplans.services._common import (
    audit,
    date_not_past_or_error,
    lock_plan,
    owner_on_team,
    raise_if,
    record_version,
    text_or_error,
)
from apps.careplans.services.plans import cancel_open_tasks
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.tasks.models import Task

GOAL_FIELDS = ("domain", "description", "target", "target_date", "status", "owner", "patient_steps")
GOAL_CLOSING_STATUSES = (GoalStatus.CANCELLED,)


def _check_domain(domain: str) -> None:
    if domain not in GoalDomain.values:
        raise ApplicationError(
            "Please correct the goal.", field_errors={"domain": [f"'{domain}' is not a domain."]}
        )


def _check_lengths(errors: dict[str, list[str]], values: dict[str, Any]) -> None:
    for name in ("description", "target"):
        if len(values.get(name) or "") > 300:
            errors.setdefault(name, []).append("At most 300 characters.")


@transaction.atomic
def goal_create(
    *,
    actor: User,
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
    if status not in GoalStatus.values:
        errors["status"] = [f"'{status}' is not a goal status."]
    raise_if(errors, "Please correct the goal.")
    owner_on_team(plan=plan, user=owner, field="owner")
    goal = Goal.objects.create(
        plan=plan,
        domain=domain,
        description=description,
        target=target,
        target_date=target_date,
        status=status,
        owner=owner,
        patient_steps=(patient_steps or "").strip(),
        created_by=actor,
    )
    audit(actor=actor, action=AuditAction.CREATE, obj=goal, plan=plan, detail={"domain": domain})
    record_version(plan=plan, actor=actor, summary=f"Added a {domain} goal")
    return goal


@transaction.atomic
def goal_update(*, actor: User, goal: Goal, reason: str = "", **values: Any) -> Goal:
    """Changes a goal. Moving it to another domain needs the rights of both domains.

    Cancelling a goal cancels the open tasks of its interventions.
    """
    plan = lock_plan(goal.plan_id)
    goal = Goal.objects.select_related("owner").get(pk=goal.pk)
    unknown = set(values) - set(GOAL_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown goal fields: {', '.join(sorted(unknown))}.")
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
    if "status" in values and values["status"] not in GoalStatus.values:
        errors["status"] = [f"'{values['status']}' is not a goal status."]
    raise_if(errors, "Please correct the goal.")
    if "owner" in values and values["owner"].pk != goal.owner_id:
        owner_on_team(plan=plan, user=values["owner"], field="owner")
    changed = sorted(name for name, value in values.items() if getattr(goal, name) != value)
    if not changed:
        return goal
    for name in changed:
        setattr(goal, name, values[name])
    goal.save(update_fields=[*changed, "updated_at"])
    if "status" in changed and goal.status in GOAL_CLOSING_STATUSES:
        cancel_open_tasks(
            actor=actor,
            plan=plan,
            tasks=Task.objects.filter(care_plan_intervention__goal=goal),
            reason=(reason or "").strip() or "The care plan goal was cancelled.",
        )
    audit(actor=actor, action=AuditAction.UPDATE, obj=goal, plan=plan, detail={"fields": changed})
    record_version(plan=plan, actor=actor, summary=f"Changed a goal: {', '.join(changed)}")
    return goal


@transaction.atomic
def goal_remove(*, actor: User, goal: Goal) -> None:
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
