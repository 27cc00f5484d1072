from django.urls import path

from apps.tasks import contact_views, views

app_name = "tasks"

urlpatterns = [
    path("", views.my_work, name="my_work"),
    path("team/", views.team_worklist, name="team_worklist"),
    path("team/reassign/", views.team_bulk_reassign, name="bulk_reassign"),
    path("tasks/<int:task_id>/", views.task_detail, name="detail"),
    path("tasks/<int:task_id>/row/", views.task_row, name="row"),
    path("tasks/<int:task_id>/start/", views.task_start, name="start"),
    path("tasks/<int:task_id>/complete/", views.task_complete, name="complete"),
    path("tasks/<int:task_id>/verify/", views.task_verify, name="verify"),
    path("tasks/<int:task_id>/hold/", views.task_hold, name="hold"),
    path("tasks/<int:task_id>/cancel/", views.task_cancel, name="cancel"),
    path("tasks/<int:task_id>/reassign/", views.task_reassign, name="reassign"),
    path("tasks/<int:task_id>/edit/", views.task_edit, name="edit"),
    path("tasks/<int:task_id>/snooze/", views.task_snooze, name="snooze"),
    path("patients/<int:patient_id>/", views.patient_tasks, name="patient_tasks"),
    path("patients/<int:patient_id>/new/", views.task_create, name="create"),
    path(
        "patients/<int:patient_id>/contacts/",
        contact_views.contact_log_section,
        name="contact_log",
    ),
    path(
        "patients/<int:patient_id>/contacts/add/",
        contact_views.contact_log_add,
        name="contact_log_add",
    ),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/badge/", views.notification_badge, name="notification_badge"),
    path("notifications/read/", views.notification_read, name="notifications_read"),
    path(
        "notifications/preferences/",
        views.notification_preferences,
        name="notification_preferences",
    ),
]
