"""Reading care plans: access follows the patient's team; every read is audited.

One module per aggregate; everything is re-exported here, so callers import
from `apps.careplans.selectors`.
"""

from apps.careplans.selectors.plans import (
    DEFAULT_SETTINGS,
    CarePlanDetail,
    GoalGroup,
    barrier_get_for_plan,
    care_plan_card_for_user,
    care_plan_content,
    care_plan_current_for_patient,
    care_plan_detail,
    care_plan_detail_for_user,
    care_plan_get_for_user,
    care_plan_list_for_user,
    care_plan_open_for_user,
    goal_get_for_plan,
    intervention_get_for_plan,
    pathways_for_patient,
)
from apps.careplans.selectors.reviews import (
    DUE_VALUES,
    DuePatient,
    DuePlan,
    DueReview,
    care_plans_due_for_review,
)
from apps.careplans.selectors.summary import (
    PLAIN_AREAS,
    PLAIN_ROLES,
    SUMMARY_GOAL_STATUSES,
    PatientSummary,
    SummaryAction,
    SummaryContact,
    SummaryGoal,
    care_plan_summary_for_user,
)
from apps.careplans.selectors.versions import (
    CarePlanReview,
    care_plan_history_for_user,
    care_plan_review,
    care_plan_review_for_user,
    care_plan_version_diff,
    care_plan_version_get,
    care_plan_versions,
)

__all__ = [
    "DEFAULT_SETTINGS",
    "DUE_VALUES",
    "PLAIN_AREAS",
    "PLAIN_ROLES",
    "SUMMARY_GOAL_STATUSES",
    "CarePlanDetail",
    "CarePlanReview",
    "DuePatient",
    "DuePlan",
    "DueReview",
    "GoalGroup",
    "PatientSummary",
    "SummaryAction",
    "SummaryContact",
    "SummaryGoal",
    "barrier_get_for_plan",
    "care_plan_card_for_user",
    "care_plan_content",
    "care_plan_current_for_patient",
    "care_plan_detail",
    "care_plan_detail_for_user",
    "care_plan_get_for_user",
    "care_plan_history_for_user",
    "care_plan_list_for_user",
    "care_plan_open_for_user",
    "care_plan_review",
    "care_plan_review_for_user",
    "care_plan_summary_for_user",
    "care_plan_version_diff",
    "care_plan_version_get",
    "care_plan_versions",
    "care_plans_due_for_review",
    "goal_get_for_plan",
    "intervention_get_for_plan",
    "pathways_for_patient",
]
