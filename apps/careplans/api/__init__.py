"""REST API for care plans: input serializers parse, the same selectors and services act.

One module per aggregate (plans, items); the views are re-exported here for
api_urls and anyone importing `apps.careplans.api`.
"""

from apps.careplans.api.items import (
    BarrierCreateApi,
    BarrierDetailApi,
    GoalCreateApi,
    GoalDetailApi,
    InterventionCancelApi,
    InterventionCreateApi,
    InterventionDetailApi,
)
from apps.careplans.api.plans import (
    CarePlanDetailApi,
    CarePlanDiffApi,
    CarePlanListCreateApi,
    CarePlanRetireApi,
    CarePlanReturnApi,
    CarePlanReviewApi,
    CarePlansDueForReviewApi,
    CarePlanSignApi,
    CarePlanSignoffRequestApi,
    CarePlanSummaryPdfApi,
    CarePlanVersionDetailApi,
    CarePlanVersionListApi,
    PatientCarePlanApi,
)

__all__ = [
    "BarrierCreateApi",
    "BarrierDetailApi",
    "CarePlanDetailApi",
    "CarePlanDiffApi",
    "CarePlanListCreateApi",
    "CarePlanRetireApi",
    "CarePlanReturnApi",
    "CarePlanReviewApi",
    "CarePlanSignApi",
    "CarePlanSignoffRequestApi",
    "CarePlanSummaryPdfApi",
    "CarePlanVersionDetailApi",
    "CarePlanVersionListApi",
    "CarePlansDueForReviewApi",
    "GoalCreateApi",
    "GoalDetailApi",
    "InterventionCancelApi",
    "InterventionCreateApi",
    "InterventionDetailApi",
    "PatientCarePlanApi",
]
