from django.urls import path

from apps.huddles import api

urlpatterns = [
    path("huddles/", api.HuddleListCreateApi.as_view(), name="api-huddle-list"),
    path("huddles/<int:huddle_id>/", api.HuddleDetailApi.as_view(), name="api-huddle-detail"),
    path(
        "huddles/<int:huddle_id>/agenda-preview/",
        api.HuddlePreviewApi.as_view(),
        name="api-huddle-preview",
    ),
    path("huddles/<int:huddle_id>/open/", api.HuddleOpenApi.as_view(), name="api-huddle-open"),
    path(
        "huddles/<int:huddle_id>/refresh/",
        api.HuddleRefreshApi.as_view(),
        name="api-huddle-refresh",
    ),
    path("huddles/<int:huddle_id>/close/", api.HuddleCloseApi.as_view(), name="api-huddle-close"),
    path(
        "huddles/<int:huddle_id>/cancel/", api.HuddleCancelApi.as_view(), name="api-huddle-cancel"
    ),
    path(
        "huddles/<int:huddle_id>/attendance/",
        api.HuddleAttendanceApi.as_view(),
        name="api-huddle-attendance",
    ),
    path(
        "huddles/<int:huddle_id>/minutes/",
        api.HuddleMinutesApi.as_view(),
        name="api-huddle-minutes",
    ),
    path("huddles/<int:huddle_id>/items/", api.HuddleItemAddApi.as_view(), name="api-huddle-items"),
    path(
        "huddles/<int:huddle_id>/items/order/",
        api.HuddleReorderApi.as_view(),
        name="api-huddle-reorder",
    ),
    path(
        "huddles/<int:huddle_id>/items/<int:item_id>/tasks/",
        api.HuddleItemTaskApi.as_view(),
        name="api-huddle-item-tasks",
    ),
    path(
        "huddles/<int:huddle_id>/items/<int:item_id>/<str:action>/",
        api.HuddleItemActionApi.as_view(),
        name="api-huddle-item-action",
    ),
    path("huddle-series/", api.SeriesListCreateApi.as_view(), name="api-huddle-series"),
    path(
        "huddle-series/<int:series_id>/end/",
        api.SeriesEndApi.as_view(),
        name="api-huddle-series-end",
    ),
]
