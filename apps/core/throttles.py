"""Rate limits: the API per person and per address, and the doors worth abusing
(login, break-glass, patient creation) per scope. Over a limit the answer is 429
with Retry-After, on the API and on the pages alike.

Counts live in Django's cache (Redis when REDIS_URL is set, so every process
shares them). Rates are read from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] when a
request is checked, not when the module is imported, so a setting change applies.
"""

import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from apps.core.client_address import client_address
from apps.core.exceptions import ApplicationError
from apps.core.htmx import refusal_response
from apps.core.views import is_htmx


class _RateThrottle(SimpleRateThrottle):
    """DRF's counting, with the scope chosen per request and the rate read late."""

    def __init__(self) -> None:
        # SimpleRateThrottle reads its rate here; ours is read in allow_request.
        pass

    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(str(self.scope))
        return None if rate is None else str(rate)

    def scope_for(self, request: Any, view: Any) -> str | None:
        return self.scope

    def allow_request(self, request: Any, view: Any) -> bool:
        scope = self.scope_for(request, view)
        if scope is None:
            return True
        self.scope = scope
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


def person_scope(user: Any) -> str:
    """The rate a signed-in caller counts under, on every door: an interface account (a
    hospital's whole ADT feed) its own larger one."""
    return "interface" if getattr(user, "is_interface", False) else "user"


def retry_after(wait: float | None) -> int:
    """Whole seconds for a Retry-After header (at least one)."""
    return max(1, math.ceil(wait or 1))


class PersonRateThrottle(_RateThrottle):
    """Every API call of a signed-in person ("user"); interface accounts, which
    carry a hospital's whole ADT feed, count under their own larger "interface" rate."""

    def scope_for(self, request: Any, view: Any) -> str | None:
        user = request.user
        if not (user and user.is_authenticated):
            return None
        return person_scope(user)

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AddressRateThrottle(_RateThrottle):
    """Every unauthenticated API call, counted per client address ("anon")."""

    scope = "anon"

    def scope_for(self, request: Any, view: Any) -> str | None:
        user = request.user
        return None if user and user.is_authenticated else self.scope

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


class CallerRateThrottle(_RateThrottle):
    """Calls of a caller a door identifies itself (a FHIR system client, a person), under
    `scope`. A person's key is the API's, so one person has one budget on both doors."""

    def __init__(self, scope: str, ident: object) -> None:
        self.scope = scope
        self.ident = ident

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.ident}


class WriteRateThrottle(_RateThrottle):
    """Writes through one door: the view's `throttle_scope` (or the scope given),
    per person, or per address before sign-in. Reads are never counted here."""

    def __init__(self, scope: str | None = None) -> None:
        self.scope = scope

    def scope_for(self, request: Any, view: Any) -> str | None:
        if request.method in SAFE_METHODS:
            return None
        return self.scope or getattr(view, "throttle_scope", None)

    def get_cache_key(self, request: Any, view: Any) -> str:
        user = request.user
        if user and user.is_authenticated:
            ident = f"user-{user.pk}"
        else:
            ident = f"address-{client_address(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


def too_many_requests(request: HttpRequest, wait: float | None) -> HttpResponse:
    """The page doors' 429: the refusal shown where the user acted, with Retry-After."""
    seconds = retry_after(wait)
    message = f"Too many attempts. Try again in {seconds} seconds."
    response: HttpResponse
    if is_htmx(request):
        response = refusal_response(request, ApplicationError(message))
    else:
        response = TemplateResponse(request, "400.html", {"message": message, "lines": []}).render()
    response.status_code = 429
    response["Retry-After"] = str(seconds)
    return response


PageView = Callable[..., HttpResponse]


def rate_limited(scope: str) -> Callable[[PageView], PageView]:
    """Limits a page view's writes (POST) under `scope`, as WriteRateThrottle does for the API."""

    def decorate(view: PageView) -> PageView:
        @wraps(view)
        def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            throttle = WriteRateThrottle(scope)
            if not throttle.allow_request(request, None):
                return too_many_requests(request, throttle.wait())
            return view(request, *args, **kwargs)

        return limited

    return decorate
