"""Forms shared by the lists of every app that can be narrowed to one of the user's teams."""

from typing import Any

from django import forms
from django.db.models import QuerySet

from apps.teams.models import CareTeam


class TeamFilterForm(forms.Form):
    """`team_id`: one of the user's teams (the queryset the caller passes), or all of them."""

    team_id = forms.ModelChoiceField(
        queryset=CareTeam.objects.none(), required=False, empty_label="All my teams"
    )

    def __init__(self, *args: Any, teams: QuerySet[CareTeam], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team_id"].queryset = teams  # type: ignore[attr-defined]


def chosen_team_id(cleaned: dict[str, Any]) -> int | None:
    team = cleaned.get("team_id")
    return team.pk if team is not None else None
