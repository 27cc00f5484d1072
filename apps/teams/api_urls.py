from django.urls import path

from apps.teams import api

urlpatterns = [
    path("teams/", api.MyTeamsApi.as_view(), name="api-team-list"),
]
