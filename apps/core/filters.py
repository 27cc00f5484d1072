"""List filters: one Form per list, read the same way by its page and its API."""

from typing import Any

from django import forms

from apps.core.exceptions import ApplicationError

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


class FlagInput(forms.CheckboxInput):
    """A checkbox that also reads the API's spellings: "true", "1", "yes" are on, the rest off."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> bool:
        value = data.get(name)
        return value is not None and str(value).strip().lower() in TRUE_WORDS


class FlagField(forms.BooleanField):
    widget = FlagInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


def field_errors(form: forms.Form) -> dict[str, list[str]]:
    return {name: [str(message) for message in messages] for name, messages in form.errors.items()}


def filters_or_error(form: forms.Form) -> dict[str, Any]:
    """The form's cleaned filters, or an ApplicationError naming each bad value (a 400)."""
    if not form.is_valid():
        raise ApplicationError("Please correct the filters.", field_errors=field_errors(form))
    return form.cleaned_data
