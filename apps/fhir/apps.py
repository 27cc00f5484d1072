from django.apps import AppConfig


class FhirConfig(AppConfig):
    """FHIR R4: records flowing into the chart, and the API partners read and update."""

    name = "apps.fhir"
    label = "fhir"
