"""The one shape of a page's write: parse the form, call the service, keep any refusal on
the form where the user typed it."""

from collections.abc import Callable
from typing import Any

from django import forms

from apps.core.exceptions import ApplicationError
from apps.core.views import add_errors_to_form


def form_write(form: forms.BaseForm, write: Callable[[dict[str, Any]], object]) -> bool:
    """Hands the form's cleaned data to the service call `write`; True once it has written.

    False leaves the errors on the form: its own, or the service's refusal field by
    field (nothing was written, so the page shows the form again).
    """
    if not form.is_valid():
        return False
    try:
        write(form.cleaned_data)
    except ApplicationError as error:
        add_errors_to_form(form, error)
        return False
    return True
