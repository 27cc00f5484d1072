"""The one filter form of the measures page, its CSV export and its click-throughs."""

from typing import Any

from django import forms

from apps.accounts.models import User
from apps.measures import permissions
from apps.measures.selectors import default_period
from apps.teams.models import CareTeam


class MeasureFilterForm(forms.Form):
    team = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    coordinator = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    # Computed now, even where the nightly job stored the period's figures.
    live = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, data: Any, *, user: User) -> None:
        super().__init__(data)
        team_ids = permissions.measure_team_ids_for(user)
        organisation_wide = permissions.can_view_organisation_measures(user)
        teams = CareTeam.objects.filter(pk__in=team_ids).order_by("name").values_list("pk", "name")
        everyone = "Whole organisation" if organisation_wide else "All my teams"
        self.fields["team"].choices = [("", everyone), *teams]  # type: ignore[attr-defined]
        coordinators = (
            permissions.measure_coordinators_for(user, team_ids)
            .order_by("last_name", "first_name", "pk")
            .values_list("pk", "first_name", "last_name", "username")
        )
        self.fields["coordinator"].choices = [  # type: ignore[attr-defined]
            ("", "Anyone"),
            *(
                (user_id, f"{first} {last}".strip() or username)
                for user_id, first, last, username in coordinators
            ),
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        default = default_period()
        cleaned["start"] = cleaned.get("start") or default.start
        cleaned["end"] = cleaned.get("end") or default.end
        if cleaned["end"] < cleaned["start"]:
            self.add_error("end", "The end date is before the start date.")
        return cleaned


class EnrolForm(forms.Form):
    coordinator = forms.IntegerField(min_value=1)
    on = forms.DateField(required=False, label="enrolled on")


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, strip=True)


class WorklistTeamForm(forms.Form):
    team = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, data: Any, *, user: User) -> None:
        super().__init__(data)
        teams = (
            CareTeam.objects.filter(pk__in=permissions.measure_team_ids(user))
            .order_by("name")
            .values_list("pk", "name")
        )
        self.fields["team"].choices = [("", "All my teams"), *teams]  # type: ignore[attr-defined]
