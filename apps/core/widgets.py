"""The browser inputs every page uses the same way: a date, a local date and time, a search box."""

from typing import Any

from django import forms
from django.utils import timezone

LOCAL_DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
# What a datetime-local input sends, and what people type where it is not supported.
LOCAL_DATETIME_FORMATS = [LOCAL_DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class DateInput(forms.DateInput):
    input_type = "date"


class LocalDateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker, in the organisation's wall time."""

    input_type = "datetime-local"

    def format_value(self, value: Any) -> Any:
        # The field hands over local wall time (naive); a raw aware value is converted here.
        if hasattr(value, "strftime"):
            if timezone.is_aware(value):
                value = timezone.localtime(value)
            return value.strftime(LOCAL_DATETIME_FORMAT)
        return value


class SearchField(forms.CharField):
    """A list's free-text search box; `placeholder` says what it searches."""

    def __init__(self, *, placeholder: str, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("label", "Search")
        attrs = {"type": "search", "placeholder": placeholder, "autocomplete": "off"}
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(**kwargs)
