"""The FHIR R4 endpoints: capability, SMART token, read, search, $everything, Task updates.

Plain Django views (the FHIR wire rules differ from the internal API's): each
answers `application/fhir+json`, and every refusal is an OperationOutcome
with its status. People authenticate as on the API (session or token); system
clients with a SMART bearer token.
"""

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from apps.core.exceptions import NotFoundError
from apps.core.models import AuditAction
from apps.fhir import gravity
from apps.fhir.api.door import audit_read, base_url, fhir_view, type_or_error
from apps.fhir.api.outcome import (
    FHIR_JSON,
    FhirError,
    fhir_response,
)
from apps.fhir.api.search import (
    includes_for,
    paging_int,
    parse_search,
    search_page,
)
from apps.fhir.auth import SUPPORTED_SCOPES, OAuthError, fhir_caller, token_exchange
from apps.fhir.callers import FhirCaller
from apps.fhir.capability import capability_statement
from apps.fhir.permissions import (
    can_access_type,
    require_can_access_type,
    with_break_glass,
)
from apps.fhir.resources import REGISTRY, ResourceType, Source
from apps.fhir.resources.base import patient_id_of


@fhir_view(("GET", "POST", "PUT", "PATCH", "DELETE"))
def unknown(request: HttpRequest) -> HttpResponse:
    raise FhirError(404, f"Nothing is served at {request.path}.", code="not-found")


@fhir_view(("GET",))
def metadata(request: HttpRequest) -> HttpResponse:
    return fhir_response(capability_statement(base_url(request)))


@fhir_view(("GET",))
def smart_configuration(request: HttpRequest) -> HttpResponse:
    token_url = request.build_absolute_uri(reverse("fhir:token"))
    return JsonResponse(
        {
            "token_endpoint": token_url,
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
            "grant_types_supported": ["client_credentials"],
            "scopes_supported": list(SUPPORTED_SCOPES),
            "capabilities": ["client-confidential-asymmetric"],
        }
    )


@csrf_exempt
def token(request: HttpRequest) -> HttpResponse:
    """SMART Backend Services token endpoint (OAuth 2 client credentials + JWT assertion)."""
    if request.method != "POST":
        response = JsonResponse(
            {"error": "invalid_request", "error_description": "POST only."}, status=405
        )
        response["Allow"] = "POST"
        return response
    if request.content_type != "application/x-www-form-urlencoded":
        return JsonResponse(
            {
                "error": "invalid_request",
                "error_description": "Send a form (application/x-www-form-urlencoded).",
            },
            status=400,
        )
    try:
        answer = token_exchange(
            request.POST, token_url=request.build_absolute_uri(reverse("fhir:token"))
        )
    except OAuthError as error:
        return JsonResponse(
            {"error": error.error, "error_description": error.description}, status=error.status
        )
    response = JsonResponse(answer)
    response["Cache-Control"] = "no-store"
    return response


def _entry(base: str, resource: dict[str, Any], mode: str = "match") -> dict[str, Any]:
    return {
        "fullUrl": f"{base}{resource['resourceType']}/{resource['id']}",
        "resource": resource,
        "search": {"mode": mode},
    }


def _page_link(request: HttpRequest, offset: int) -> str:
    params = request.GET.copy()
    params["_offset"] = str(offset)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


def _page_links(
    request: HttpRequest, *, offset: int, count: int, total: int
) -> list[dict[str, str]]:
    """A searchset page's self, next and previous links (`_offset` and `_count` paging)."""
    links = [{"relation": "self", "url": _page_link(request, offset)}]
    if count and offset + count < total:
        links.append({"relation": "next", "url": _page_link(request, offset + count)})
    if offset > 0:
        links.append({"relation": "previous", "url": _page_link(request, max(0, offset - count))})
    return links


@fhir_view(("GET",))
def search(request: HttpRequest, type_name: str) -> HttpResponse:
    resource_type = type_or_error(type_name)
    caller = fhir_caller(request)
    require_can_access_type(caller, type_name)
    query = parse_search(resource_type, request.GET)
    page = search_page(resource_type, caller, query)
    base = base_url(request)
    entries = [_entry(base, source.render(row)) for source, row in page.rows]
    if query.includes and can_access_type(caller, "Patient"):
        entries += [
            _entry(base, item, "include")
            for item in includes_for(caller, query, resource_type, page)
        ]
    links = _page_links(request, offset=query.offset, count=query.count, total=page.total)
    patient_ids = sorted(
        {pid for source, row in page.rows if (pid := patient_id_of(row, source.patient_field))}
    )
    audit_read(
        caller,
        AuditAction.LIST,
        resource_type.sources[0],
        patient_ids=patient_ids,
        detail={"resource": type_name, "count": len(page.rows)},
    )
    return fhir_response(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": page.total,
            "link": links,
            "entry": entries,
        }
    )


def _find(
    caller: FhirCaller, resource_type: ResourceType, logical_id: str
) -> tuple[Source, Any, FhirCaller]:
    """The row a logical id names among the rows the caller sees, and the caller reading
    it: a person outside the patient's teams holding a live break-the-glass access reads
    it through that access (`with_break_glass`), everyone else gets "not known"."""
    for source in resource_type.sources:
        pk = source.pk_of(logical_id)
        if pk is None:
            continue
        row = source.rows(caller).filter(pk=pk).first()
        if row is not None:
            return source, row, caller
        if caller.user is None or source.patient_field in ("", "patients"):
            continue
        about = source.model._default_manager.filter(pk=pk)
        patient_id = about.values_list(source.patient_field, flat=True).first()
        widened = with_break_glass(caller, patient_id)
        if widened is not None:
            row = source.rows(widened).filter(pk=pk).first()
            if row is not None:
                return source, row, widened
    raise NotFoundError(f"{resource_type.name}/{logical_id} is not known.")


@fhir_view(("GET", "PUT", "PATCH"))
def instance(request: HttpRequest, type_name: str, logical: str) -> HttpResponse:
    logical_id = logical
    resource_type = type_or_error(type_name)
    caller = fhir_caller(request)
    if request.method in ("PUT", "PATCH"):
        return _update(request, caller, resource_type, logical_id)
    require_can_access_type(caller, type_name)
    source, row, caller = _find(caller, resource_type, logical_id)
    resource = source.render(row)
    audit_read(
        caller,
        AuditAction.VIEW,
        source,
        object_id=row.pk,
        patient_id=patient_id_of(row, source.patient_field),
        detail={"resource": f"{type_name}/{logical_id}"},
    )
    version = resource.get("meta", {}).get("versionId")
    return fhir_response(resource, headers={"ETag": f'W/"{version}"'} if version else None)


def _json_body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise FhirError(400, "The body is not JSON.", code="structure") from error


JSON_PATCH = "application/json-patch+json"


def _patched(resource: dict[str, Any], operations: Any) -> dict[str, Any]:
    """A small JSON Patch (RFC 6902): add/replace/remove of top-level Task elements."""
    if not isinstance(operations, list) or not operations:
        raise FhirError(400, "A JSON Patch is a non-empty list of operations.", code="structure")
    patched = dict(resource)
    for operation in operations:
        if not isinstance(operation, dict):
            raise FhirError(400, "Each patch operation is an object.", code="structure")
        op, path = operation.get("op"), operation.get("path")
        if op not in ("add", "replace", "remove", "test") or not isinstance(path, str):
            raise FhirError(400, f"Patch operation {op!r} is not supported.", code="not-supported")
        name = path.removeprefix("/")
        if not name or "/" in name or name in ("id", "resourceType", "meta"):
            raise FhirError(
                422,
                f"The patch may change top-level elements only, not {path}.",
                code="business-rule",
            )
        if op == "test":
            if patched.get(name) != operation.get("value"):
                raise FhirError(422, f"Patch test failed at {path}.", code="business-rule")
        elif op == "remove":
            patched.pop(name, None)
        else:
            if "value" not in operation:
                raise FhirError(400, f"{op} at {path} needs a value.", code="structure")
            patched[name] = operation["value"]
    return patched


def _update(
    request: HttpRequest, caller: FhirCaller, resource_type: ResourceType, logical_id: str
) -> HttpResponse:
    """PUT or PATCH of a referral's Task by the partner it was sent to."""
    referral_pk = gravity.referral_pk(logical_id) if resource_type.name == "Task" else None
    if referral_pk is None:
        raise FhirError(
            405,
            f"{resource_type.name}/{logical_id} cannot be updated through FHIR; only a referral's "
            "Task (Task/referral-<id>) is updated by its partner.",
            code="not-supported",
            headers={"Allow": "GET"},
        )
    require_can_access_type(caller, "Task", "write")
    expected = JSON_PATCH if request.method == "PATCH" else FHIR_JSON
    if request.content_type not in (
        expected,
        "application/json" if request.method == "PUT" else expected,
    ):
        raise FhirError(415, f"Send the {request.method} body as {expected}.", code="not-supported")
    body = _json_body(request)
    source, row, _reader = _find(caller, resource_type, logical_id)
    if request.method == "PATCH":
        body = _patched(source.render(row), body)
    update = gravity.task_update_read(body, logical_id=logical_id)
    referral = gravity.referral_task_update(
        caller=caller, referral=row, update=update, if_match=request.headers.get("If-Match", "")
    )
    resource = source.render(source.rows(caller).get(pk=referral.pk))
    return fhir_response(resource, headers={"ETag": f'W/"{referral.state_sequence}"'})


EVERYTHING_SKIPS = ("Patient", "CareTeam", "Practitioner", "PractitionerRole", "Organization")
# A page of $everything: the patient first, then each type's resources in a fixed order.
EVERYTHING_COUNT = 500
EVERYTHING_MAX_COUNT = 2000


def _everything_page(request: HttpRequest) -> tuple[int, int]:
    """`_count` and `_offset` of a $everything page (a bad one is a 400)."""
    count, offset = EVERYTHING_COUNT, 0
    if "_count" in request.GET:
        count = paging_int(request.GET, "_count", 1, EVERYTHING_MAX_COUNT)
    if "_offset" in request.GET:
        offset = paging_int(request.GET, "_offset", 0, 10_000_000)
    return count, offset


@fhir_view(("GET",))
def everything(request: HttpRequest, logical: str) -> HttpResponse:
    """Patient/{id}/$everything: the patient and every resource about them, as a Bundle
    paged by `_count` (default EVERYTHING_COUNT) and `_offset`, with next/previous links.
    One count per source and rows only for the sources the page reaches."""
    logical_id = logical
    caller = fhir_caller(request)
    require_can_access_type(caller, "Patient")
    count, offset = _everything_page(request)
    patient_type = REGISTRY["Patient"]
    source, patient, caller = _find(caller, patient_type, logical_id)
    base = base_url(request)
    sources = [
        (type_source, type_source.rows(caller).filter(**{type_source.patient_field: patient.pk}))
        for name, resource_type in REGISTRY.items()
        if name not in EVERYTHING_SKIPS and can_access_type(caller, name)
        for type_source in resource_type.sources
    ]
    sizes = [rows.count() for _source, rows in sources]
    total = 1 + sum(sizes)
    entries = [_entry(base, source.render(patient))] if offset == 0 else []
    start, end = max(offset - 1, 0), offset + count - 1  # positions after the patient
    seen = 0
    for (type_source, rows), size in zip(sources, sizes, strict=True):
        low, high = max(start - seen, 0), min(end - seen, size)
        if low < high:
            entries += [
                _entry(base, type_source.render(row)) for row in rows.order_by("pk")[low:high]
            ]
        seen += size
    audit_read(
        caller,
        AuditAction.VIEW,
        source,
        object_id=patient.pk,
        patient_id=patient.pk,
        detail={
            "resource": f"Patient/{patient.pk}",
            "operation": "$everything",
            "offset": offset,
            "count": len(entries),
        },
    )
    links = _page_links(request, offset=offset, count=count, total=total)
    return fhir_response(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": total,
            "link": links,
            "entry": entries,
        }
    )
