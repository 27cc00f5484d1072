from django.apps import AppConfig


class FhirConfig(AppConfig):
    """FHIR R4: records flowing into the chart, and the API partners read and update."""

    name = "apps.fhir"
    label = "fhir"

    def ready(self) -> None:
        from apps.core.request_shape import shape_refusal_register
        from apps.fhir.api.outcome import FhirError, outcome_response

        shape_refusal_register(
            "/fhir/", lambda problem: outcome_response(FhirError(400, problem, code="invalid"))
        )
