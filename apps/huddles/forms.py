from typing import Any

from django import forms

from apps.core.widgets import LocalDateTimeInput
from apps.huddles.due import DUE_CHOICES
from apps.huddles.models import Weekday
from apps.tasks.models import TaskPriority
from apps.teams.models import CareTeam, TeamMembership


class TeamChoiceForm(forms.Form):
    team = forms.ModelChoiceField(queryset=CareTeam.objects.none(), empty_label=None)

    def __init__(self, *args: Any, teams: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams if teams is not None else CareTeam.objects.none()  # type: ignore[attr-defined]


class HuddleScheduleForm(TeamChoiceForm):
    title = forms.CharField(max_length=120, required=False, help_text="Defaults to the team name")
    scheduled_start = forms.DateTimeField(label="Starts at", widget=LocalDateTimeInput)
    duration_minutes = forms.IntegerField(
        label="Time box (minutes)", min_value=5, max_value=240, initial=30
    )


class HuddleSeriesForm(TeamChoiceForm):
    title = forms.CharField(max_length=120, required=False, help_text="e.g. Weekly team huddle")
    weekday = forms.TypedChoiceField(
        choices=Weekday.choices, coerce=int, initial=Weekday.TUESDAY, label="Every"
    )
    start_time = forms.TimeField(
        label="At", initial="09:00", widget=forms.TimeInput(attrs={"type": "time"})
    )
    interval_weeks = forms.TypedChoiceField(
        label="Repeat",
        choices=[
            (1, "every week"),
            (2, "every 2 weeks"),
            (3, "every 3 weeks"),
            (4, "every 4 weeks"),
        ],
        coerce=int,
        initial=1,
    )
    duration_minutes = forms.IntegerField(
        label="Time box (minutes)", min_value=5, max_value=240, initial=30
    )
    starts_on = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label="Until", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=1000, widget=forms.TextInput(attrs={"placeholder": "Why?"}))


class ItemAddForm(forms.Form):
    mrn = forms.CharField(label="Patient MRN", max_length=32)
    title = forms.CharField(label="What to discuss", max_length=200)
    note = forms.CharField(label="Note", max_length=1000, required=False)


class DecisionForm(forms.Form):
    decision = forms.CharField(
        max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reason = forms.CharField(
        label="No decision because",
        max_length=1000,
        required=False,
    )


class TaskFromItemForm(forms.Form):
    """Owner and due date in one or two clicks: pick the owner, press a due button."""

    title = forms.CharField(max_length=200)
    owner = forms.TypedChoiceField(coerce=int, label="Owner")
    due = forms.ChoiceField(
        choices=[(choice.code, choice.label) for choice in DUE_CHOICES], required=False
    )
    due_on = forms.DateField(
        label="or on", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    priority = forms.ChoiceField(choices=TaskPriority.choices, required=False)
    token = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, members: list[TeamMembership] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "Choose one owner…")] + [  # type: ignore[attr-defined]
            (member.user_id, f"{member.user.display_name} ({member.get_role_display()})")
            for member in members or []
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("due") and not cleaned.get("due_on"):
            self.add_error("due", "Choose when it is due.")
        return cleaned


class AttendanceForm(forms.Form):
    present = forms.BooleanField(required=False)
