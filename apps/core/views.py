"""Small helpers shared by the htmx views of every app."""

from django import forms
from django.http import HttpRequest, HttpResponse

from apps.core.exceptions import ApplicationError


def add_errors_to_form(form: forms.BaseForm, error: ApplicationError) -> None:
    """Puts a service's refusal on the form: field messages on their fields, the rest on top."""
    placed = False
    for name, messages in error.field_errors.items():
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def healthz(request: HttpRequest) -> HttpResponse:
    """For the web container's health check: the app answers and reaches its database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
