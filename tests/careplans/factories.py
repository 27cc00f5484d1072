"""Care plan test data, made through the services (so grants, tasks and versions are real)."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from apps.accounts.models import User
from apps.careplans import services
from apps.careplans.models import Barrier, CarePlan, Goal, GoalDomain, Intervention
from apps.patients.models import Patient
from apps.tasks.models import Task


def in_days(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


def make_plan(patient: Patient, actor: User, **values: object) -> CarePlan:
    return services.care_plan_create(actor=actor, patient=patient, **values)


def make_goal(
    plan: CarePlan,
    actor: User,
    *,
    owner: User | None = None,
    domain: str = GoalDomain.MEDICAL,
    description: str = "Keep my blood sugar steady",
    target: str = "HbA1c below 8% on the next test",
    target_date: date | None = None,
    **values: object,
) -> Goal:
    return services.goal_create(
        actor=actor,
        plan=plan,
        domain=domain,
        description=description,
        target=target,
        target_date=target_date or in_days(90),
        owner=owner or actor,
        **values,  # type: ignore[arg-type]
    )


def make_intervention(
    goal: Goal,
    actor: User,
    *,
    owner: User | None = None,
    description: str = "Weekly call to review glucose log",
    due_date: date | None = None,
) -> Intervention:
    return services.intervention_create(
        actor=actor,
        goal=goal,
        description=description,
        owner=owner or actor,
        due_date=due_date or in_days(7),
    )


def make_barrier(plan: CarePlan, actor: User, **values: object) -> Barrier:
    defaults: dict[str, object] = {
        "component": "opportunity",
        "sub_component": "physical_opportunity",
        "description": "No car to get to the pharmacy",
    }
    defaults.update(values)
    return services.barrier_create(actor=actor, plan=plan, **defaults)  # type: ignore[arg-type]


@dataclass
class PlanSetup:
    plan: CarePlan
    goal: Goal
    intervention: Intervention
    barrier: Barrier


def state(plan: CarePlan) -> tuple[Any, ...]:
    """Everything a write could change, to prove a refusal changed nothing."""
    plan.refresh_from_db()
    return (
        plan.status,
        plan.version_count,
        plan.what_matters,
        plan.pam_level,
        list(Goal.objects.filter(plan=plan).values_list("id", "target", "status", "owner_id")),
        list(Intervention.objects.filter(plan=plan).values_list("id", "description")),
        list(Barrier.objects.filter(plan=plan).values_list("id", "description")),
        list(Task.objects.order_by("id").values_list("id", "owner_id", "status", "due_at")),
        plan.versions.filter(signed_at__isnull=False).count(),
    )
