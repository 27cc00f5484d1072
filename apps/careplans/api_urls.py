from django.urls import path

from apps.careplans import api

PLAN = "care-plans/<int:plan_id>/"

urlpatterns = [
    path("care-plans/", api.CarePlanListCreateApi.as_view(), name="api-careplan-list"),
    path(
        "care-plans/due-for-review/",
        api.CarePlansDueForReviewApi.as_view(),
        name="api-careplan-due-for-review",
    ),
    path(
        "patients/<int:patient_id>/care-plan/",
        api.PatientCarePlanApi.as_view(),
        name="api-patient-careplan",
    ),
    path(PLAN, api.CarePlanDetailApi.as_view(), name="api-careplan-detail"),
    path(PLAN + "retire/", api.CarePlanRetireApi.as_view(), name="api-careplan-retire"),
    path(PLAN + "goals/", api.GoalCreateApi.as_view(), name="api-careplan-goals"),
    path(PLAN + "goals/<int:goal_id>/", api.GoalDetailApi.as_view(), name="api-careplan-goal"),
    path(
        PLAN + "interventions/",
        api.InterventionCreateApi.as_view(),
        name="api-careplan-interventions",
    ),
    path(
        PLAN + "interventions/<int:intervention_id>/",
        api.InterventionDetailApi.as_view(),
        name="api-careplan-intervention",
    ),
    path(
        PLAN + "interventions/<int:intervention_id>/cancel/",
        api.InterventionCancelApi.as_view(),
        name="api-careplan-intervention-cancel",
    ),
    path(PLAN + "barriers/", api.BarrierCreateApi.as_view(), name="api-careplan-barriers"),
    path(
        PLAN + "barriers/<int:barrier_id>/",
        api.BarrierDetailApi.as_view(),
        name="api-careplan-barrier",
    ),
    path(PLAN + "review/", api.CarePlanReviewApi.as_view(), name="api-careplan-review"),
    path(PLAN + "sign/", api.CarePlanSignApi.as_view(), name="api-careplan-sign"),
    path(
        PLAN + "signoff-request/",
        api.CarePlanSignoffRequestApi.as_view(),
        name="api-careplan-signoff-request",
    ),
    path(PLAN + "return/", api.CarePlanReturnApi.as_view(), name="api-careplan-return"),
    path(PLAN + "versions/", api.CarePlanVersionListApi.as_view(), name="api-careplan-versions"),
    path(
        PLAN + "versions/<int:number>/",
        api.CarePlanVersionDetailApi.as_view(),
        name="api-careplan-version",
    ),
    path(PLAN + "diff/", api.CarePlanDiffApi.as_view(), name="api-careplan-diff"),
    path(
        PLAN + "summary.pdf", api.CarePlanSummaryPdfApi.as_view(), name="api-careplan-summary-pdf"
    ),
]
