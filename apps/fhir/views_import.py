"""POST /fhir/R4/: a transaction Bundle from a partner's interface account.

The Bundle goes through the same import service as a file: every resource is
validated, matched and mapped; the transaction is all or nothing, so one
invalid resource refuses the whole Bundle (422 with an OperationOutcome naming
each entry) and nothing is written. The answer is a transaction-response
Bundle, one entry per entry sent, in order. Every answer is
`application/fhir+json`.
"""

import json
from collections.abc import Iterator, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.http import AuthenticatedRequest
from apps.core.client_address import client_address
from apps.core.context import RequestContext, request_context
from apps.core.models import AuditSource
from apps.fhir.importing import reader
from apps.fhir.importing.permissions import require_can_post_fhir_transaction
from apps.fhir.importing.service import FhirImporter

FHIR_JSON = "application/fhir+json"
ISSUE_CODES = {
    401: "login",
    403: "forbidden",
    413: "too-long",
    415: "not-supported",
    429: "throttled",
}
STATUS_LINES = {
    "created": "201 Created",
    "updated": "200 OK",
    "unchanged": "200 OK",
    "matched": "200 OK",
    "waiting": "202 Accepted",
    "skipped": "200 OK",
    "invalid": "422 Unprocessable Entity",
}


class _Body(BaseParser):
    """The body as bytes up to the Bundle limit; it is parsed as JSON here, not by DRF."""

    media_type = FHIR_JSON

    def parse(  # type: ignore[override]
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        limit = reader.max_bundle_bytes()
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise _Refusal(413, "too-long", f"The Bundle is over {limit} bytes.")
        return bytes(data)


class _JsonBody(_Body):
    media_type = "application/json"


class _Refusal(exceptions.APIException):
    def __init__(self, status_code: int, code: str, text: str) -> None:
        super().__init__(text)
        self.status_code = status_code
        self.fhir_code = code


def outcome(issues: list[tuple[str, str, str]]) -> dict[str, Any]:
    """An OperationOutcome: (severity, code, text) per issue."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {"severity": severity, "code": code, "diagnostics": text}
            for severity, code, text in issues
        ],
    }


def fhir_response(body: dict[str, Any], status_code: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(body), status=status_code, content_type=f"{FHIR_JSON}; charset=utf-8"
    )


@extend_schema(exclude=True)  # FHIR publishes its interactions in a CapabilityStatement
class FhirTransactionApi(APIView):
    parser_classes = [_Body, _JsonBody]
    # Who may send is answered as an OperationOutcome below, not by DRF's own 403 page.
    permission_classes = [AllowAny]

    def handle_exception(self, exc: Exception) -> Response:
        """DRF's answer (status, WWW-Authenticate, Retry-After) as an OperationOutcome."""
        response = super().handle_exception(exc)
        text = str(getattr(exc, "detail", "") or exc)
        code = getattr(exc, "fhir_code", "") or ISSUE_CODES.get(response.status_code, "processing")
        response.data = outcome([("error", code, text)])
        response.content_type = f"{FHIR_JSON}; charset=utf-8"
        return response

    def post(self, request: AuthenticatedRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            raise _Refusal(401, "login", "Authenticate with the interface account's token.")
        try:
            organisation_id = require_can_post_fhir_transaction(user)
        except PermissionDenied as error:
            raise _Refusal(403, "forbidden", str(error)) from error
        bundle = _bundle(request)
        entries = bundle.get("entry") or []
        context = RequestContext(
            source=AuditSource.FHIR, ip_address=client_address(request._request), path=request.path
        )
        with request_context(context):
            importer = FhirImporter(
                actor=user,
                organisation_id=organisation_id,
                source=_source(user),
                keep_outcomes=True,
            )

            def pass_of(patients: bool) -> Iterator[reader.Entry]:
                return reader.bundle_entries(entries, "Bundle", patients=patients)

            written = importer.run_all_or_nothing(pass_of)
        results = sorted(importer.outcomes or [], key=lambda o: o[0].extra.get("index", 0))
        if not written:
            issues = [
                ("error", "invalid", f"{p['position']}: {p['reason']}")
                for p in importer.report.problems
                if p["kind"] == "invalid"
            ]
            return fhir_response(outcome(issues), 422)
        return fhir_response(
            {
                "resourceType": "Bundle",
                "type": "transaction-response",
                "entry": [
                    _response_entry(entry, fhir_id, result) for entry, fhir_id, result in results
                ],
            }
        )


def _response_entry(entry: reader.Entry, fhir_id: str, result: str) -> dict[str, Any]:
    response: dict[str, Any] = {"status": STATUS_LINES[result]}
    if entry.resource_type and fhir_id and not fhir_id.startswith("urn:"):
        response["location"] = f"{entry.resource_type}/{fhir_id}"
    if result == "waiting":
        response["outcome"] = outcome(
            [("information", "informational", "Waiting for the patient to be matched.")]
        )
    elif result == "skipped":
        response["outcome"] = outcome(
            [("information", "informational", "Not a resource caregraph keeps; ignored.")]
        )
    return {"response": response}


def _source(user: Any) -> str:
    return f"fhir:{user.username}"


def _bundle(request: Request) -> dict[str, Any]:
    raw = request.data
    if not isinstance(raw, bytes) or not raw.strip():
        raise _Refusal(400, "required", "The body is empty: send a transaction Bundle.")
    try:
        document = json.loads(raw)
    except ValueError as error:
        raise _Refusal(400, "structure", "The body is not valid JSON.") from error
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        raise _Refusal(400, "structure", "Send a Bundle.")
    if document.get("type") != "transaction":
        raise _Refusal(400, "not-supported", "Send a Bundle of type transaction.")
    if not isinstance(document.get("entry", []), list):
        raise _Refusal(400, "structure", "Bundle.entry is not a list.")
    return document
