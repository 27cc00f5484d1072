"""A form's errors as the refusal every door shows (400 with the fields' messages)."""

from django import forms

from apps.core.exceptions import ApplicationError


def form_refusal(
    form: forms.BaseForm, message: str = "Please correct the form."
) -> ApplicationError:
    """Raise it from an htmx action when the posted form is invalid: `htmx_action` shows
    the message and each field's messages where the user clicked."""
    return ApplicationError(
        message,
        field_errors={name: [str(text) for text in texts] for name, texts in form.errors.items()},
    )
