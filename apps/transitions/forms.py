from typing import Any

from django import forms
from django.utils import timezone

from apps.core.widgets import LOCAL_DATETIME_FORMATS, LocalDateTimeInput
from apps.transitions.models import (
    Complexity,
    ContactOutcome,
    EpisodeStatus,
    HandoffKind,
    HandoffSource,
    Setting,
)

BOARD_DEFAULT_DAYS = 30


MANUAL_KINDS = [
    (HandoffKind.ADMISSION, "Admission"),
    (HandoffKind.TRANSFER, "Transfer within the facility"),
    (HandoffKind.DISCHARGE, "Discharge"),
]
MANUAL_SOURCES = [
    (HandoffSource.PHONE, "Phone call"),
    (HandoffSource.FAX, "Fax"),
    (HandoffSource.MANUAL, "Other (entered by hand)"),
]


class TransitionRecordForm(forms.Form):
    """A transition that arrived by phone or fax, entered by hand."""

    kind = forms.ChoiceField(choices=MANUAL_KINDS)
    occurred_at = forms.DateTimeField(
        label="When",
        widget=LocalDateTimeInput,
        input_formats=LOCAL_DATETIME_FORMATS,
        initial=timezone.localtime,
    )
    setting = forms.ChoiceField(
        label="Where to",
        choices=[("", "— from the disposition (discharge) or hospital (admission) —")]
        + [(value, label) for value, label in Setting.choices if value != Setting.UNKNOWN],
        required=False,
    )
    facility = forms.CharField(max_length=120, required=False)
    location = forms.CharField(max_length=120, required=False, help_text="Unit, room or bed")
    visit_number = forms.CharField(
        max_length=64, required=False, help_text="The facility's visit or encounter number"
    )
    disposition = forms.CharField(
        max_length=20, required=False, help_text="Discharge disposition code, e.g. 01 home, 03 SNF"
    )
    source = forms.ChoiceField(choices=MANUAL_SOURCES, initial=HandoffSource.PHONE)
    source_reference = forms.CharField(label="Who called or faxed", max_length=120, required=False)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ChecklistItemForm(forms.Form):
    done = forms.BooleanField(required=False)
    done_at = forms.DateTimeField(
        label="When",
        required=False,
        widget=LocalDateTimeInput,
        input_formats=LOCAL_DATETIME_FORMATS,
    )
    note = forms.CharField(max_length=300, required=False)


class MedicationLineForm(forms.Form):
    name = forms.CharField(max_length=120)
    on_pre_admission = forms.BooleanField(label="Taken before admission", required=False)
    pre_dose = forms.CharField(label="Dose before", max_length=60, required=False)
    pre_route = forms.CharField(label="Route before", max_length=30, required=False)
    pre_frequency = forms.CharField(label="Frequency before", max_length=60, required=False)
    on_discharge = forms.BooleanField(label="On the discharge list", required=False)
    discharge_dose = forms.CharField(label="Dose at discharge", max_length=60, required=False)
    discharge_route = forms.CharField(label="Route at discharge", max_length=30, required=False)
    discharge_frequency = forms.CharField(
        label="Frequency at discharge", max_length=60, required=False
    )
    reason = forms.CharField(max_length=300, required=False, help_text="Why it changed or stopped")


class LineReasonForm(forms.Form):
    reason = forms.CharField(max_length=300)


class ComplexityForm(forms.Form):
    complexity = forms.ChoiceField(
        choices=[("", "From the patient's flag / default"), *Complexity.choices], required=False
    )


class ContactRecordForm(forms.Form):
    """A post-discharge contact or visit as it happened: when, who, the outcome."""

    contact_at = forms.DateTimeField(
        label="When", widget=LocalDateTimeInput, input_formats=LOCAL_DATETIME_FORMATS
    )
    # Blank: the person recording it made it.
    performed_by = forms.TypedChoiceField(
        label="Who made it", coerce=int, required=False, empty_value=None
    )
    outcome = forms.ChoiceField(
        label="Outcome", choices=[("", "— the outcome —"), *ContactOutcome.choices]
    )
    attempts = forms.IntegerField(label="Attempts", min_value=1, max_value=50, initial=1)
    note = forms.CharField(max_length=1000, required=False)

    def __init__(self, *args: Any, members: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["performed_by"]
        field.choices = [  # type: ignore[attr-defined]
            (member.user_id, member.user.display_name) for member in members
        ]


class BoardFilterForm(forms.Form):
    """The transitions board's window, for the page and the API."""

    days = forms.IntegerField(required=False, min_value=1, max_value=60)


def board_days(cleaned: dict[str, object]) -> int:
    days = cleaned.get("days")
    return days if isinstance(days, int) else BOARD_DEFAULT_DAYS


class EpisodeFilterForm(forms.Form):
    """The episode list's status filter, for the page and the API."""

    status = forms.ChoiceField(required=False, choices=[("", "Any"), *EpisodeStatus.choices])
