from django.urls import path

from apps.transitions import views

app_name = "transitions"

urlpatterns = [
    path("", views.board, name="board"),
    path("episodes/", views.episode_list, name="episodes"),
    path("episodes/<int:episode_id>/", views.episode_detail, name="episode"),
    path(
        "episodes/<int:episode_id>/complexity/",
        views.episode_complexity,
        name="episode_complexity",
    ),
    path("checklist/<int:item_id>/", views.checklist_item_update, name="checklist_item"),
    path(
        "handoffs/<int:handoff_id>/reconciliation/",
        views.reconciliation_start,
        name="reconciliation_start",
    ),
    path(
        "handoffs/<int:handoff_id>/reconciliation/lines/",
        views.medication_line_add,
        name="line_add",
    ),
    path(
        "handoffs/<int:handoff_id>/reconciliation/complete/",
        views.reconciliation_complete,
        name="reconciliation_complete",
    ),
    path(
        "handoffs/<int:handoff_id>/reconciliation/verify/",
        views.reconciliation_verify,
        name="reconciliation_verify",
    ),
    path("lines/<int:line_id>/reason/", views.medication_line_reason, name="line_reason"),
    path("lines/<int:line_id>/remove/", views.medication_line_remove, name="line_remove"),
    path(
        "follow-ups/<int:follow_up_id>/<str:which>/done/",
        views.follow_up_task_done,
        name="follow_up_done",
    ),
    path("patients/<int:patient_id>/record/", views.transition_record, name="record"),
    path("patients/<int:patient_id>/section/", views.patient_section, name="patient_section"),
]
