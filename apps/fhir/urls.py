"""The FHIR R4 base, mounted at /fhir/R4/."""

from django.urls import URLPattern, URLResolver, path

from apps.fhir.views_import import FhirTransactionApi

app_name = "fhir"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", FhirTransactionApi.as_view(), name="fhir-base"),
]
