"""The FHIR door's wire rules: methods, Accept, errors as OperationOutcomes, audits."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from apps.core.audit import audit_record
from apps.core.exceptions import ApplicationError, NotFoundError
from apps.core.models import AuditAction, AuditSource
from apps.fhir import gravity
from apps.fhir.api.outcome import (
    FhirError,
    outcome_response,
)
from apps.fhir.callers import FhirCaller
from apps.fhir.resources import REGISTRY, ResourceType, Source

View = Callable[..., HttpResponseBase]
ACCEPTABLE = (
    "application/fhir+json",
    "application/json",
    "application/*",
    "*/*",
    "application/json+fhir",
)


NDJSON_ACCEPTABLE = ("application/fhir+ndjson", "application/ndjson", *ACCEPTABLE)


def _acceptable(request: HttpRequest, acceptable: tuple[str, ...]) -> bool:
    accept = request.headers.get("Accept", "")
    if not accept.strip():
        return True
    return any(part.split(";")[0].strip().lower() in acceptable for part in accept.split(","))


def fhir_view(
    methods: tuple[str, ...], acceptable: tuple[str, ...] = ACCEPTABLE
) -> Callable[[View], View]:
    """The FHIR door's wire rules around a view: method, Accept, and errors as outcomes."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                if request.method not in methods:
                    raise FhirError(
                        405,
                        f"{request.method} is not supported here.",
                        code="not-supported",
                        headers={"Allow": ", ".join(methods)},
                    )
                if not _acceptable(request, acceptable):
                    raise FhirError(
                        406, "Only application/fhir+json is served.", code="not-supported"
                    )
                return view(request, *args, **kwargs)
            except FhirError as error:
                return outcome_response(error)
            except ApplicationError as error:
                if isinstance(error, gravity.PreconditionFailed):
                    return outcome_response(FhirError(412, error.message, code="conflict"))
                if isinstance(error, gravity.MalformedTask):
                    return outcome_response(FhirError(400, error.message, code="structure"))
                if isinstance(error, gravity.UnprocessableUpdate):
                    return outcome_response(FhirError(422, error.message, code="business-rule"))
                if isinstance(error, NotFoundError):
                    return outcome_response(FhirError(404, error.message, code="not-found"))
                return outcome_response(FhirError(400, error.message, code="invalid"))
            except PermissionDenied as error:
                audit_denied(request, error)
                return outcome_response(
                    FhirError(403, str(error) or "Forbidden.", code="forbidden")
                )

        return wrapper

    return decorate


def audit_denied(request: HttpRequest, error: PermissionDenied) -> None:
    """One DENIED event for a refused caller (person or client), as on every other door."""
    caller = getattr(request, "fhir_caller", None)
    if caller is None:
        return
    object_type = getattr(error, "object_type", "") or "request"
    audit_record(
        actor=caller.actor,
        action=AuditAction.DENIED,
        object_type=object_type,
        object_id=getattr(error, "object_id", "") or "",
        patient_id=getattr(error, "patient_id", None),
        source=AuditSource.FHIR,
        detail={**caller.detail, "method": request.method, "reason": str(error)[:200]},
    )


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("fhir:metadata")).removesuffix("metadata")


def type_or_error(type_name: str) -> ResourceType:
    resource_type = REGISTRY.get(type_name)
    if resource_type is None:
        raise FhirError(404, f"Resource type {type_name!r} is not supported.", code="not-supported")
    return resource_type


def audit_read(caller: FhirCaller, action: str, source: Source, **values: Any) -> None:
    """One event for a read; flagged when it went through a break-the-glass access."""
    detail = {**caller.detail, **values.pop("detail", {})}
    audit_record(
        actor=caller.actor,
        action=action,
        object_type=source.model,
        source=AuditSource.FHIR,
        detail=detail,
        break_glass=bool(caller.break_glass),
        **values,
    )
