from django.urls import path

from apps.interop import api

urlpatterns = [
    # The path is a contract with the hospitals' interface engines: no trailing slash.
    path("hl7/adt", api.AdtReceiveApi.as_view(), name="api-hl7-adt"),
]
