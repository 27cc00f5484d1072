from django.urls import path

from apps.interop import views

app_name = "interop"

urlpatterns = [
    path("matches/", views.match_queue, name="match_queue"),
    path("matches/<int:request_id>/", views.match_detail, name="match_detail"),
    path("matches/<int:request_id>/resolve/", views.match_resolve, name="match_resolve"),
    path("matches/<int:request_id>/dismiss/", views.match_dismiss, name="match_dismiss"),
]
