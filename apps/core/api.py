"""Shared API plumbing: domain errors become 400s with field messages, never 500s."""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.contention import contention_conflict
from apps.core.exceptions import ApplicationError, NotFoundError, refusal_status
from apps.core.refusals import audit_refused_request


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = contention_conflict(exc) or exc
    if isinstance(exc, NotFoundError | ObjectDoesNotExist):
        exc = Http404()
    elif isinstance(exc, ApplicationError):
        return Response(
            {"detail": exc.message, "errors": exc.field_errors},
            status=refusal_status(exc),
        )
    elif isinstance(exc, PermissionDenied | exceptions.PermissionDenied):
        audit_refused_request(context["request"], exc)
    elif isinstance(exc, DjangoValidationError):
        errors = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(errors)
    return drf_exception_handler(exc, context)
