"""Reading a posted form in an action view: valid data, or a refusal naming each field."""

from collections.abc import Iterable
from typing import Any

from django import forms

from apps.core.exceptions import ApplicationError


def _labelled(form: forms.BaseForm, name: str, errors: Iterable[object]) -> str:
    label = form[name].label if name in form.fields else name
    return f"{label}: {' '.join(str(error) for error in errors)}"


def form_refusal(
    form: forms.BaseForm, message: str = "Please correct the form."
) -> ApplicationError:
    """An invalid form as the refusal every door shows (400, shown where the user clicked):
    `message` and one line per field, led by the field's label."""
    return ApplicationError(
        message,
        field_errors={
            name: [_labelled(form, name, errors)] for name, errors in form.errors.items()
        },
    )


def cleaned_or_refused(form: forms.BaseForm, message: str) -> dict[str, Any]:
    """The form's cleaned data; else its `form_refusal`."""
    if form.is_valid():
        return form.cleaned_data
    raise form_refusal(form, message)
