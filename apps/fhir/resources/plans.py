"""The care plan and the work: CarePlan, Goal, and Task (the task list)."""

from django.db.models import Prefetch, QuerySet

from apps.careplans.models import CarePlan, CarePlanStatus, Goal, GoalStatus
from apps.fhir import systems
from apps.fhir.callers import FhirCaller
from apps.fhir.permissions import fhir_visible_patients, fhir_visible_tasks
from apps.fhir.resources.base import (
    Json,
    ResourceType,
    Source,
    concept,
    day,
    drop_empty,
    instant,
    meta,
    ref,
    register,
    register_about_a_patient,
    text_concept,
)
from apps.tasks.models import Task, TaskStatus

PLAN_STATUS = {
    CarePlanStatus.DRAFT: "draft",
    CarePlanStatus.ACTIVE: "active",
    CarePlanStatus.REVISED: "active",
    CarePlanStatus.RETIRED: "revoked",
}


def _plans(caller: FhirCaller) -> QuerySet[CarePlan]:
    return (
        CarePlan.objects.filter(patient__in=fhir_visible_patients(caller))
        .prefetch_related(
            Prefetch("goals", queryset=Goal.objects.only("pk", "plan_id").order_by("pk"))
        )
        .select_related("patient")
    )


def care_plan_resource(plan: CarePlan) -> Json:
    return drop_empty(
        {
            "resourceType": "CarePlan",
            "id": str(plan.pk),
            "meta": meta(plan, version=plan.version_count or None),
            "status": PLAN_STATUS[CarePlanStatus(plan.status)],
            "intent": "plan",
            "category": [concept(systems.CAREPLAN_CATEGORY, "assess-plan")],
            "title": "Individualized care plan",
            "description": plan.what_matters,
            "subject": ref("Patient", plan.patient_id),
            "created": instant(plan.created_at),
            "careTeam": [ref("CareTeam", plan.patient.care_team_id)],
            "goal": [ref("Goal", goal.pk) for goal in plan.goals.all()],
        }
    )


register_about_a_patient("CarePlan", model=CarePlan, rows=_plans, render=care_plan_resource)

GOAL_LIFECYCLE = {
    GoalStatus.PROPOSED: ("proposed", ""),
    GoalStatus.ACTIVE: ("active", "in-progress"),
    GoalStatus.ON_HOLD: ("on-hold", ""),
    GoalStatus.ACHIEVED: ("completed", "achieved"),
    GoalStatus.NOT_ACHIEVED: ("completed", "not-achieved"),
    GoalStatus.CANCELLED: ("cancelled", ""),
}


def _goals(caller: FhirCaller) -> QuerySet[Goal]:
    return Goal.objects.filter(plan__patient__in=fhir_visible_patients(caller)).select_related(
        "plan"
    )


def goal_resource(goal: Goal) -> Json:
    lifecycle, achievement = GOAL_LIFECYCLE[GoalStatus(goal.status)]
    return drop_empty(
        {
            "resourceType": "Goal",
            "id": str(goal.pk),
            "meta": meta(goal),
            "lifecycleStatus": lifecycle,
            "achievementStatus": (
                concept(systems.GOAL_ACHIEVEMENT, achievement) if achievement else None
            ),
            "category": [concept(systems.GOAL_DOMAIN, goal.domain, goal.get_domain_display())],
            "description": text_concept(goal.description),
            "subject": ref("Patient", goal.plan.patient_id),
            "target": [{"dueDate": day(goal.target_date)}],
            "note": [{"text": f"Target: {goal.target}"}],
            "expressedBy": ref("Patient", goal.plan.patient_id),
        }
    )


register(
    ResourceType(
        name="Goal",
        sources=(
            Source(
                model=Goal,
                rows=_goals,
                render=goal_resource,
                patient_field="plan__patient_id",
            ),
        ),
        includes={"Goal:patient": "Patient", "Goal:subject": "Patient"},
    )
)

TASK_STATUS = {
    TaskStatus.REQUESTED: "requested",
    TaskStatus.IN_PROGRESS: "in-progress",
    TaskStatus.ON_HOLD: "on-hold",
    TaskStatus.AWAITING_VERIFICATION: "in-progress",
    TaskStatus.DONE: "completed",
    TaskStatus.CANCELLED: "cancelled",
    TaskStatus.FAILED: "failed",
}


def work_tasks(caller: FhirCaller) -> QuerySet[Task]:
    return fhir_visible_tasks(caller)


def task_resource(task: Task) -> Json:
    return drop_empty(
        {
            "resourceType": "Task",
            "id": str(task.pk),
            "meta": meta(task),
            "status": TASK_STATUS[TaskStatus(task.status)],
            "statusReason": text_concept(task.status_reason) if task.status_reason else None,
            "businessStatus": text_concept(task.get_status_display()),
            "intent": "order",
            "priority": task.priority,
            "description": task.title,
            "for": ref("Patient", task.patient_id),
            "authoredOn": instant(task.created_at),
            "lastModified": instant(task.updated_at),
            "owner": ref("Practitioner", task.owner_id) if task.owner_id else None,
            "restriction": {"period": {"end": instant(task.due_at)}},
        }
    )


WORK_TASKS = Source(model=Task, rows=work_tasks, render=task_resource, patient_field="patient_id")
