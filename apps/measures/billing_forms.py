"""Forms of the chart's time and consent section and of the billing report."""

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone

from apps.accounts.models import User
from apps.measures import permissions
from apps.measures.models import MAX_ENTRY_MINUTES, Activity, ConsentMethod
from apps.measures.months import month_before, month_of
from apps.teams.models import CareTeam

STAFF_TIME_HELP = "Clinical staff time (counts for CCM); untick for a physician's own time"


class TimerStartForm(forms.Form):
    activity = forms.ChoiceField(choices=Activity.choices)
    clinical_staff_time = forms.BooleanField(
        required=False, initial=True, help_text=STAFF_TIME_HELP
    )


class TimeEntryForm(forms.Form):
    """Read with the practice's time zone active: the time typed is the practice's."""

    started_at = forms.DateTimeField(
        label="Started", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    minutes = forms.IntegerField(min_value=1, max_value=MAX_ENTRY_MINUTES)
    activity = forms.ChoiceField(choices=Activity.choices)
    clinical_staff_time = forms.BooleanField(
        required=False, initial=True, help_text=STAFF_TIME_HELP
    )
    note = forms.CharField(
        max_length=200,
        required=False,
        help_text="What was done, in a few words; no patient details needed",
    )


class ConsentForm(forms.Form):
    method = forms.ChoiceField(choices=ConsentMethod.choices)
    given_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    given_by = forms.CharField(
        max_length=120, help_text="The patient, or their representative's role (e.g. daughter)"
    )


class RevokeForm(forms.Form):
    revoked_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(max_length=200)


class BillingFilterForm(forms.Form):
    month = forms.CharField(
        required=False, widget=forms.DateInput(attrs={"type": "month"}), help_text="YYYY-MM"
    )
    team = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, data: Any, *, user: User) -> None:
        super().__init__(data)
        self.user = user
        teams = (
            CareTeam.objects.filter(pk__in=permissions.billing_team_ids(user))
            .order_by("name")
            .values_list("pk", "name")
        )
        self.fields["team"].choices = [("", "All teams"), *teams]  # type: ignore[attr-defined]

    def clean_month(self) -> date:
        """Blank: last month, the one usually being billed."""
        text = (self.cleaned_data.get("month") or "").strip()
        organisation = self.user.organisation
        if not text:
            assert organisation is not None  # noqa: S101 - the view requires one
            return month_before(month_of(organisation, timezone.now()))
        try:
            year, month = (int(part) for part in text.split("-"))
            if not 2000 <= year <= 2100:
                raise ValueError(text)
            return date(year, month, 1)
        except ValueError:
            raise forms.ValidationError("Give a month as YYYY-MM, e.g. 2026-03.") from None
