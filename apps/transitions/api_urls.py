from django.urls import path

from apps.transitions import api

urlpatterns = [
    path("transitions/board/", api.BoardApi.as_view(), name="api-transitions-board"),
    path("transitions/episodes/", api.EpisodeListApi.as_view(), name="api-episode-list"),
    path(
        "transitions/episodes/<int:episode_id>/",
        api.EpisodeDetailApi.as_view(),
        name="api-episode-detail",
    ),
    path(
        "transitions/patients/<int:patient_id>/transitions/",
        api.TransitionRecordApi.as_view(),
        name="api-transition-record",
    ),
    path(
        "transitions/checklist-items/<int:item_id>/",
        api.ChecklistItemApi.as_view(),
        name="api-checklist-item",
    ),
    path(
        "transitions/handoffs/<int:handoff_id>/reconciliation/",
        api.ReconciliationApi.as_view(),
        name="api-reconciliation",
    ),
    path(
        "transitions/handoffs/<int:handoff_id>/reconciliation/lines/",
        api.MedicationLineCreateApi.as_view(),
        name="api-medication-line-create",
    ),
    path(
        "transitions/handoffs/<int:handoff_id>/reconciliation/complete/",
        api.ReconciliationCompleteApi.as_view(),
        name="api-reconciliation-complete",
    ),
    path(
        "transitions/handoffs/<int:handoff_id>/reconciliation/verify/",
        api.ReconciliationVerifyApi.as_view(),
        name="api-reconciliation-verify",
    ),
    path(
        "transitions/follow-ups/<int:follow_up_id>/<str:which>/",
        api.FollowUpContactApi.as_view(),
        name="api-follow-up-contact",
    ),
    path(
        "transitions/medication-lines/<int:line_id>/",
        api.MedicationLineApi.as_view(),
        name="api-medication-line",
    ),
]
