"""The admin site, whose home page lists what an administrator should fix first."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

# Each callable returns the warnings this request's user should see (no PHI):
# the core app's late jobs, the tasks app's failing email addresses, ...
Warnings = Callable[[HttpRequest], list[str]]
_warnings: list[Warnings] = []


def admin_home_warning_register(source: Warnings) -> None:
    """Called from an app's ready(); registering twice is harmless."""
    if source not in _warnings:
        _warnings.append(source)


def admin_home_warnings(request: HttpRequest) -> list[str]:
    return [warning for source in _warnings for warning in source(request)]


def late_job_warnings(request: HttpRequest) -> list[str]:
    from apps.core.jobruns import late_jobs

    if not request.user.is_staff:
        return []
    return [job.message for job in late_jobs()]


class CaregraphAdminSite(admin.AdminSite):
    site_header = "caregraph administration"
    site_title = "caregraph admin"

    def has_permission(self, request: HttpRequest) -> bool:
        """Staff whose session passed the second factor (apps.accounts.mfa): a stolen
        password alone never opens the admin."""
        return super().has_permission(request) and _second_factor_verified(request)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        user = request.user
        staff = user.is_authenticated and user.is_active and user.is_staff
        if staff and not _second_factor_verified(request):
            target = request.GET.get("next") or reverse("admin:index")
            return redirect(f"{reverse('accounts:mfa_verify')}?{urlencode({'next': target})}")
        return super().login(request, extra_context)

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        context = {"home_warnings": admin_home_warnings(request), **(extra_context or {})}
        response: TemplateResponse = super().index(request, context)
        return response


def _second_factor_verified(request: HttpRequest) -> bool:
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


class CaregraphAdminConfig(AdminConfig):
    default_site = "apps.core.admin_site.CaregraphAdminSite"
