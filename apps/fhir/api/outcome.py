"""Every FHIR answer is `application/fhir+json`; every error an OperationOutcome."""

import json
from typing import Any

from django.http import HttpResponse

FHIR_JSON = "application/fhir+json"


class FhirError(Exception):
    """A refusal the FHIR door answers with an OperationOutcome and this status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str = "processing",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}


def fhir_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, separators=(",", ":")), status=status, content_type=FHIR_JSON
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def operation_outcome(message: str, *, code: str = "processing", severity: str = "error") -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": message}],
    }


def outcome_response(error: FhirError) -> HttpResponse:
    return fhir_response(
        operation_outcome(error.message, code=error.code), error.status, error.headers
    )
