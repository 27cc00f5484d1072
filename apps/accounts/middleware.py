import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

SESSION_KEY = "caregraph_last_activity"
SESSION_TOUCH_SECONDS = 60


class SessionIdleTimeoutMiddleware:
    """Logs a browser session out after SESSION_IDLE_TIMEOUT_MINUTES without a request.

    API calls with a token carry no session and are not affected.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            last = request.session.get(SESSION_KEY)
            limit = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
            if last is not None and now - int(last) > limit:
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                response = redirect(f"{reverse(settings.LOGIN_URL)}?timeout=1")
                if request.headers.get("HX-Request"):
                    response["HX-Redirect"] = response["Location"]
                return response
            # Writing the session costs a database round trip: once a minute is enough.
            if last is None or now - int(last) >= SESSION_TOUCH_SECONDS:
                request.session[SESSION_KEY] = now
        return self.get_response(request)


# Pages an unverified session may still open: the second-factor pages themselves,
# signing out, and static files.
SECOND_FACTOR_OPEN_PREFIXES = (
    "/accounts/mfa/",
    "/accounts/logout/",
    "/accounts/login/",
    "/static/",
)


class SecondFactorMiddleware:
    """A person who must use a second factor (staff, superusers, members of an organisation
    that requires it) can use a signed-in session only once it is verified: until then
    pages send them to the verify (or enrol) page and API calls answer 403.

    Token-authenticated API calls carry no session and are not affected here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from apps.accounts.mfa import second_factor_required, session_verified

        if (
            request.user.is_authenticated
            and not request.path.startswith(SECOND_FACTOR_OPEN_PREFIXES)
            and not session_verified(request)
            and second_factor_required(request.user)
        ):
            if request.path.startswith(("/api/", "/fhir/")):
                return JsonResponse(
                    {"detail": "Verify your second factor in the browser first."}, status=403
                )
            target = (
                f"{reverse('accounts:mfa_verify')}?{urlencode({'next': request.get_full_path()})}"
            )
            response = redirect(target)
            if request.headers.get("HX-Request"):
                response["HX-Redirect"] = target
            return response
        return self.get_response(request)
