"""Writing care plans. Every door (htmx views, API, admin, other apps) calls these."""

from apps.careplans.services.barriers import barrier_create, barrier_remove, barrier_update
from apps.careplans.services.goals import goal_create, goal_remove, goal_update
from apps.careplans.services.interventions import (
    intervention_cancel,
    intervention_create,
    intervention_update,
)
from apps.careplans.services.plans import (
    care_plan_create,
    care_plan_retire,
    care_plan_review_request,
    care_plan_settings_get,
    care_plan_sign,
    care_plan_update,
    plan_signoff_request,
    plan_signoff_return,
)

__all__ = [
    "barrier_create",
    "barrier_remove",
    "barrier_update",
    "care_plan_create",
    "care_plan_retire",
    "care_plan_review_request",
    "care_plan_settings_get",
    "care_plan_sign",
    "care_plan_update",
    "goal_create",
    "goal_remove",
    "goal_update",
    "intervention_cancel",
    "intervention_create",
    "intervention_update",
    "plan_signoff_request",
    "plan_signoff_return",
]
