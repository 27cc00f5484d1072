from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.handlers.exception import response_for_exception
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from apps.core.client_address import client_address
from apps.core.contention import contention_conflict
from apps.core.context import RequestContext, request_context
from apps.core.exceptions import ApplicationError, NotFoundError, refusal_status
from apps.core.htmx import refusal_lines, refusal_response
from apps.core.models import AuditSource
from apps.core.refusals import audit_refused_request
from apps.core.views import is_htmx


def source_for_path(path: str) -> str:
    if path.startswith("/api/"):
        return AuditSource.API
    if path.startswith("/admin/"):
        return AuditSource.ADMIN
    if path.startswith("/fhir/"):
        return AuditSource.FHIR
    return AuditSource.UI


class RequestContextMiddleware:
    """Tells the audit trail which door (UI, API, admin) and address a request came from."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        context = RequestContext(
            source=source_for_path(request.path),
            ip_address=client_address(request),
            path=request.path,
        )
        with request_context(context):
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """The page doors' one mapping of domain errors, so no view needs a decorator:
        a selector's "not found" is the 404 page, an unhandled refusal by a domain
        rule a 400 with its message, a request that met another transaction (a
        deadlock, a lock not granted) a 409 saying to try again, and a PermissionDenied
        (the UI's and the admin's 403) is audited once. The API answers its own in
        apps.core.api.exception_handler.
        """
        conflict = contention_conflict(exception)
        if conflict is not None:
            return application_error_response(request, conflict)
        audit_refused_request(request, exception)
        if isinstance(exception, NotFoundError | ObjectDoesNotExist):
            return response_for_exception(request, Http404(str(exception)))
        if isinstance(exception, ApplicationError):
            return application_error_response(request, exception)
        return None


def application_error_response(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    """A domain rule's refusal that no view turned into a form error: its status (400, 409)
    and message, as the htmx refusal fragment (shown where the user clicked) or as a page."""
    if is_htmx(request):
        return refusal_response(request, error)
    response = TemplateResponse(
        request,
        "400.html",
        {"message": error.message, "lines": refusal_lines(error)},
        status=refusal_status(error),
    )
    return response.render()


class SecurityHeadersMiddleware:
    """Headers Django does not set itself; pages with patient data are never cached."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        if not request.path.startswith(
            settings.STATIC_URL
            if settings.STATIC_URL.startswith("/")
            else "/" + settings.STATIC_URL
        ):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
