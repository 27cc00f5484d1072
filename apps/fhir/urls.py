"""The FHIR R4 base, mounted at /fhir/R4/."""

from django.urls import URLPattern, URLResolver

app_name = "fhir"

urlpatterns: list[URLPattern | URLResolver] = []
