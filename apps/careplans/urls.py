from django.urls import path

from apps.careplans import views

app_name = "careplans"

# The plan page builds its per-goal and per-intervention links on the plan's URL as a
# prefix (templates/careplans/_goal.html); keep those paths below it.
urlpatterns = [
    path("review/", views.review_list, name="review_list"),
    path("patients/<int:patient_id>/", views.plan_page, name="plan"),
    path("patients/<int:patient_id>/card/", views.plan_card, name="card"),
    path("patients/<int:patient_id>/voice/", views.plan_voice, name="voice"),
    path("patients/<int:patient_id>/details/", views.plan_profile, name="profile"),
    path("patients/<int:patient_id>/goals/", views.goal_add, name="goal_add"),
    path("patients/<int:patient_id>/goals/<int:goal_id>/", views.goal_edit, name="goal_edit"),
    path(
        "patients/<int:patient_id>/goals/<int:goal_id>/remove/",
        views.goal_remove,
        name="goal_remove",
    ),
    path(
        "patients/<int:patient_id>/goals/<int:goal_id>/interventions/",
        views.intervention_add,
        name="intervention_add",
    ),
    path(
        "patients/<int:patient_id>/interventions/<int:intervention_id>/",
        views.intervention_edit,
        name="intervention_edit",
    ),
    path(
        "patients/<int:patient_id>/interventions/<int:intervention_id>/cancel/",
        views.intervention_cancel,
        name="intervention_cancel",
    ),
    path("patients/<int:patient_id>/barriers/", views.barrier_add, name="barrier_add"),
    path(
        "patients/<int:patient_id>/barriers/<int:barrier_id>/remove/",
        views.barrier_remove,
        name="barrier_remove",
    ),
    path("patients/<int:patient_id>/retire/", views.plan_retire, name="retire"),
    path("patients/<int:patient_id>/signoff/", views.plan_signoff_request, name="signoff"),
    path("patients/<int:patient_id>/review/", views.plan_review, name="review"),
    path(
        "patients/<int:patient_id>/review/return/",
        views.plan_signoff_return,
        name="signoff_return",
    ),
    path("patients/<int:patient_id>/versions/", views.plan_versions, name="versions"),
    path(
        "patients/<int:patient_id>/versions/<int:number>/diff/",
        views.version_diff,
        name="version_diff",
    ),
    path("patients/<int:patient_id>/summary/", views.plan_summary, name="summary"),
    path("patients/<int:patient_id>/summary.pdf", views.plan_summary_pdf, name="summary_pdf"),
]
