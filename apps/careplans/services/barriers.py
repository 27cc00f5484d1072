"""Barriers, classified by COM-B, each pointing at the intervention that addresses it."""

from typing import Any

from apps.accounts.models import Actor
from apps.careplans import permissions
from apps.careplans.models import SUB_COMPONENTS, Barrier, CarePlan, ComB, Intervention
from apps.careplans.services._common import (
    audit,
    lock_plan,
    plan_service,
    raise_if,
    record_version,
    text_or_error,
)
from apps.core.actors import person_behind
from apps.core.changes import record_change, refuse_unknown_fields
from apps.core.models import AuditAction

BARRIER_FIELDS = ("component", "sub_component", "description", "intervention")


def _with_goal(intervention: Intervention | None) -> Intervention | None:
    """The intervention as stored (its goal read fresh), for the domain check."""
    if intervention is None or intervention.pk is None:
        return intervention
    return Intervention.objects.select_related("goal").filter(pk=intervention.pk).first()


def _validate(plan: CarePlan, values: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    component = values["component"]
    sub_component = values.get("sub_component") or ""
    if component not in ComB.values:
        errors["component"] = [f"'{component}' is not a COM-B component."]
    elif sub_component and sub_component not in SUB_COMPONENTS[component]:
        errors["sub_component"] = [f"Choose a sub-component of {ComB(component).label.lower()}."]
    values["description"] = text_or_error(
        errors, "description", values["description"], "Describe the barrier."
    )
    if len(values["description"]) > 300:
        errors["description"] = ["At most 300 characters."]
    intervention: Intervention | None = values.get("intervention")
    if intervention is not None and intervention.plan_id != plan.pk:
        errors["intervention"] = ["Choose an intervention of this plan."]
    raise_if(errors, "Please correct the barrier.")


@plan_service
def barrier_create(
    *,
    actor: Actor,
    plan: CarePlan,
    component: str,
    description: str,
    sub_component: str = "",
    intervention: Intervention | None = None,
) -> Barrier:
    plan = lock_plan(plan.pk)
    permissions.require_can_edit_barrier(actor, plan.patient, [_with_goal(intervention)])
    values: dict[str, Any] = {
        "component": component,
        "sub_component": sub_component or "",
        "description": description,
        "intervention": intervention,
    }
    _validate(plan, values)
    barrier = Barrier.objects.create(plan=plan, created_by=person_behind(actor), **values)
    audit(actor=actor, action=AuditAction.CREATE, obj=barrier, plan=plan)
    record_version(plan=plan, actor=actor, summary=f"Added a {component} barrier")
    return barrier


@plan_service
def barrier_update(*, actor: Actor, barrier: Barrier, **values: Any) -> Barrier:
    plan = lock_plan(barrier.plan_id)
    barrier = Barrier.objects.select_related("intervention__goal").get(pk=barrier.pk)
    permissions.require_can_edit_barrier(
        actor, plan.patient, [barrier.intervention, _with_goal(values.get("intervention"))]
    )
    refuse_unknown_fields(values, BARRIER_FIELDS, noun="barrier")
    merged = {name: values.get(name, getattr(barrier, name)) for name in BARRIER_FIELDS}
    merged["sub_component"] = merged["sub_component"] or ""
    _validate(plan, merged)
    changed = record_change(
        actor=actor,
        instance=barrier,
        values={name: merged[name] for name in values},
        patient_id=plan.patient_id,
        detail={"care_plan_id": plan.pk},
        message="Please correct the barrier.",
    )
    if not changed:
        return barrier
    record_version(plan=plan, actor=actor, summary=f"Changed a barrier: {', '.join(changed)}")
    return barrier


@plan_service
def barrier_remove(*, actor: Actor, barrier: Barrier) -> None:
    plan = lock_plan(barrier.plan_id)
    barrier = Barrier.objects.select_related("intervention__goal").get(pk=barrier.pk)
    permissions.require_can_edit_barrier(actor, plan.patient, [barrier.intervention])
    audit(actor=actor, action=AuditAction.DELETE, obj=barrier, plan=plan)
    barrier.delete()
    record_version(plan=plan, actor=actor, summary="Removed a barrier")
