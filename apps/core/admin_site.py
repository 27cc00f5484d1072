"""The admin site, whose home page lists what an administrator should fix first."""

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.template.response import TemplateResponse

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

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        context = {"home_warnings": admin_home_warnings(request), **(extra_context or {})}
        response: TemplateResponse = super().index(request, context)
        return response


class CaregraphAdminConfig(AdminConfig):
    default_site = "apps.core.admin_site.CaregraphAdminSite"
