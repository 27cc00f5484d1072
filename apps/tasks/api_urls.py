from django.urls import path

from apps.tasks import api

urlpatterns = [
    path("tasks/", api.TaskCreateApi.as_view(), name="api-task-create"),
    path("tasks/my-work/", api.MyWorkApi.as_view(), name="api-task-my-work"),
    path("tasks/team/", api.TeamWorklistApi.as_view(), name="api-task-team"),
    path("tasks/bulk-reassign/", api.TaskBulkReassignApi.as_view(), name="api-task-bulk-reassign"),
    path("notifications/", api.NotificationListApi.as_view(), name="api-notifications"),
    path("notifications/read/", api.NotificationsReadApi.as_view(), name="api-notifications-read"),
    path("tasks/<int:task_id>/", api.TaskDetailApi.as_view(), name="api-task-detail"),
    path("tasks/<int:task_id>/start/", api.TaskStartApi.as_view(), name="api-task-start"),
    path("tasks/<int:task_id>/complete/", api.TaskCompleteApi.as_view(), name="api-task-complete"),
    path("tasks/<int:task_id>/verify/", api.TaskVerifyApi.as_view(), name="api-task-verify"),
    path("tasks/<int:task_id>/snooze/", api.TaskSnoozeApi.as_view(), name="api-task-snooze"),
    path("tasks/<int:task_id>/unsnooze/", api.TaskUnsnoozeApi.as_view(), name="api-task-unsnooze"),
    path("tasks/<int:task_id>/hold/", api.TaskHoldApi.as_view(), name="api-task-hold"),
    path("tasks/<int:task_id>/cancel/", api.TaskCancelApi.as_view(), name="api-task-cancel"),
    path("tasks/<int:task_id>/reassign/", api.TaskReassignApi.as_view(), name="api-task-reassign"),
]
