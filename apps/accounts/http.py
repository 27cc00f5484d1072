"""Request types for views behind login: `request.user` is a real User there."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails
from rest_framework.request import Request

from apps.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User  # type: ignore[assignment]
    htmx: HtmxDetails


class AuthenticatedRequest(Request):
    user: User  # type: ignore[assignment]


def request_actor(request: HttpRequest) -> User:
    """The signed-in user behind an admin or login-protected request."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionError("a signed-in user is required")
    return user
