from django.urls import URLPattern, URLResolver, include, path

from apps.transitions import views

app_name = "transitions"

# One resource's pages and actions, each under its own prefix below.
episode = [
    path("", views.episode_detail, name="episode"),
    path("complexity/", views.episode_complexity, name="episode_complexity"),
]
reconciliation = [
    path("", views.reconciliation_start, name="reconciliation_start"),
    path("lines/", views.medication_line_add, name="line_add"),
    path(
        "complete/",
        views.reconciliation_step,
        {"step": "complete"},
        name="reconciliation_complete",
    ),
    path("verify/", views.reconciliation_step, {"step": "verify"}, name="reconciliation_verify"),
]
medication_line = [
    path("reason/", views.medication_line_reason, name="line_reason"),
    path("remove/", views.medication_line_remove, name="line_remove"),
]
patient = [
    path("record/", views.transition_record, name="record"),
    path("section/", views.patient_section, name="patient_section"),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.board, name="board"),
    path("episodes/", views.episode_list, name="episodes"),
    path("episodes/<int:episode_id>/", include(episode)),
    path("checklist/<int:item_id>/", views.checklist_item_update, name="checklist_item"),
    path("handoffs/<int:handoff_id>/reconciliation/", include(reconciliation)),
    path("lines/<int:line_id>/", include(medication_line)),
    path(
        "follow-ups/<int:follow_up_id>/<str:which>/done/",
        views.follow_up_task_done,
        name="follow_up_done",
    ),
    path("patients/<int:patient_id>/", include(patient)),
]
