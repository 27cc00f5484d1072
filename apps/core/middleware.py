from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from apps.core.context import RequestContext, request_context
from apps.core.models import AuditSource
from apps.core.refusals import audit_refused_request


def client_ip(request: HttpRequest) -> str | None:
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def source_for_path(path: str) -> str:
    if path.startswith("/api/"):
        return AuditSource.API
    if path.startswith("/admin/"):
        return AuditSource.ADMIN
    return AuditSource.UI


class RequestContextMiddleware:
    """Tells the audit trail which door (UI, API, admin) and address a request came from."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        context = RequestContext(
            source=source_for_path(request.path), ip_address=client_ip(request), path=request.path
        )
        with request_context(context):
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        # A view's PermissionDenied (the UI's 403); the API answers its own in
        # apps.core.api.exception_handler, so each refusal is audited once.
        audit_refused_request(request, exception)


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
