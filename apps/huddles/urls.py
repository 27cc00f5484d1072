from django.urls import path

from apps.huddles import views

app_name = "huddles"

urlpatterns = [
    path("", views.huddle_list, name="list"),
    path("schedule/", views.huddle_schedule, name="schedule"),
    path("series/<int:series_id>/end/", views.series_end, name="series_end"),
    path("patients/<int:patient_id>/", views.patient_history, name="patient_history"),
    path("<int:huddle_id>/", views.huddle_detail, name="detail"),
    path("<int:huddle_id>/preview/", views.huddle_preview, name="preview"),
    path("<int:huddle_id>/clock/", views.huddle_clock, name="clock"),
    path("<int:huddle_id>/minutes/", views.huddle_minutes, name="minutes"),
    path("<int:huddle_id>/open/", views.huddle_open, name="open"),
    path("<int:huddle_id>/cancel/", views.huddle_cancel, name="cancel"),
    path("<int:huddle_id>/close/", views.huddle_close, name="close"),
    path("<int:huddle_id>/refresh/", views.huddle_refresh, name="refresh"),
    path("<int:huddle_id>/items/", views.item_add, name="item_add"),
    path(
        "<int:huddle_id>/attendance/<int:user_id>/",
        views.attendance_set,
        name="attendance",
    ),
    path(
        "<int:huddle_id>/items/<int:item_id>/move/<str:direction>/",
        views.item_move,
        name="item_move",
    ),
    path(
        "<int:huddle_id>/items/<int:item_id>/decision/",
        views.item_decision,
        name="item_decision",
    ),
    path(
        "<int:huddle_id>/items/<int:item_id>/discuss/",
        views.item_discuss,
        name="item_discuss",
    ),
    path("<int:huddle_id>/items/<int:item_id>/skip/", views.item_skip, name="item_skip"),
    path(
        "<int:huddle_id>/items/<int:item_id>/reopen/",
        views.item_reopen,
        name="item_reopen",
    ),
    path(
        "<int:huddle_id>/items/<int:item_id>/tasks/",
        views.item_task_create,
        name="item_task_create",
    ),
]
