from django.urls import URLPattern, URLResolver, include, path

from apps.transitions import api

# The medication reconciliation of one discharge.
reconciliation = [
    path("", api.ReconciliationApi.as_view(), name="api-reconciliation"),
    path("lines/", api.MedicationLineCreateApi.as_view(), name="api-medication-line-create"),
    path("complete/", api.ReconciliationCompleteApi.as_view(), name="api-reconciliation-complete"),
    path("verify/", api.ReconciliationVerifyApi.as_view(), name="api-reconciliation-verify"),
]

transitions: list[URLPattern | URLResolver] = [
    path("board/", api.BoardApi.as_view(), name="api-transitions-board"),
    path("episodes/", api.EpisodeListApi.as_view(), name="api-episode-list"),
    path("episodes/<int:episode_id>/", api.EpisodeDetailApi.as_view(), name="api-episode-detail"),
    path(
        "patients/<int:patient_id>/transitions/",
        api.TransitionRecordApi.as_view(),
        name="api-transition-record",
    ),
    path(
        "checklist-items/<int:item_id>/", api.ChecklistItemApi.as_view(), name="api-checklist-item"
    ),
    path("handoffs/<int:handoff_id>/reconciliation/", include(reconciliation)),
    path(
        "follow-ups/<int:follow_up_id>/<str:which>/",
        api.FollowUpContactApi.as_view(),
        name="api-follow-up-contact",
    ),
    path(
        "medication-lines/<int:line_id>/",
        api.MedicationLineApi.as_view(),
        name="api-medication-line",
    ),
]

urlpatterns: list[URLPattern | URLResolver] = [path("transitions/", include(transitions))]
