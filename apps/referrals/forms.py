"""Forms parse input for the views; the services decide what is allowed."""

from typing import Any

from django import forms
from django.db.models import QuerySet

from apps.accounts.models import User
from apps.careplans.models import Goal
from apps.core.filters import FlagField
from apps.core.widgets import LocalDateTimeInput, SearchField
from apps.referrals.models import (
    OPEN_STATES,
    ConsentMethod,
    ReferralState,
    ReferralUrgency,
    ResourceOrganisation,
    ResourceService,
    ServiceType,
)
from apps.referrals.services.directory import ORGANISATION_FIELDS, SERVICE_FIELDS

BOARD_PAGE_SIZE = 50


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.get_profession_display() or 'staff'})"


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} — {obj.resource_organisation.name} ({obj.get_service_type_display()})"


class GoalChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_domain_display()}: {obj.description}"


class ReferralCreateForm(forms.Form):
    service = ServiceChoiceField(
        queryset=ResourceService.objects.none(),
        label="Refer to",
        help_text="Search the directory above to narrow the list.",
    )
    specialist_name = forms.CharField(
        required=False, max_length=200, label="Named clinician or contact (optional)"
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    goal = GoalChoiceField(
        queryset=Goal.objects.none(), required=False, label="Care plan goal it serves (optional)"
    )
    urgency = forms.ChoiceField(choices=ReferralUrgency.choices, initial=ReferralUrgency.ROUTINE)
    owner = MemberChoiceField(
        queryset=User.objects.none(), label="Owner (follows it up to closure)"
    )
    referred_by = MemberChoiceField(queryset=User.objects.none(), label="Referring person")
    consent_given = forms.BooleanField(
        required=False, label="The patient agrees to share their details with the partner"
    )
    consent_method = forms.ChoiceField(
        required=False,
        choices=[("", "—"), *ConsentMethod.choices],
        label="How consent was given",
    )

    def __init__(
        self,
        *args: Any,
        services: QuerySet[ResourceService],
        members: QuerySet[User],
        goals: QuerySet[Goal],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services  # type: ignore[attr-defined]
        self.fields["goal"].queryset = goals  # type: ignore[attr-defined]
        self.fields["owner"].queryset = members  # type: ignore[attr-defined]
        self.fields["referred_by"].queryset = members  # type: ignore[attr-defined]


class TransitionForm(forms.Form):
    to_state = forms.ChoiceField(choices=ReferralState.choices, widget=forms.HiddenInput)
    reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )
    result_summary = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        label="What happened",
    )
    result_reported_by = forms.CharField(
        required=False, max_length=200, label="Reported by (who gave the result)"
    )
    appointment_at = forms.DateTimeField(
        required=False, widget=LocalDateTimeInput, label="Appointment (optional)"
    )


class ConsentForm(forms.Form):
    consent_given = forms.BooleanField(
        required=False, label="The patient agrees to share their details with the partner"
    )
    consent_method = forms.ChoiceField(
        required=False, choices=[("", "—"), *ConsentMethod.choices], label="How"
    )


class ReassignForm(forms.Form):
    owner = MemberChoiceField(queryset=User.objects.none(), label="New owner")
    reason = forms.CharField(max_length=1000, required=False)

    def __init__(self, *args: Any, members: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = members  # type: ignore[attr-defined]


class SnoozeForm(forms.Form):
    until = forms.DateTimeField(widget=LocalDateTimeInput, label="Remind me again at")
    reason = forms.CharField(max_length=1000, required=False, label="Why it can wait")


class BoardFilterForm(forms.Form):
    state = forms.ChoiceField(
        required=False,
        choices=[("", "All open states")]
        + [(state, ReferralState(state).label) for state in OPEN_STATES],
    )
    mine = FlagField(label="Only mine")
    overdue = FlagField(label="Only overdue")
    page = forms.IntegerField(required=False, min_value=1)
    page_size = forms.IntegerField(required=False, min_value=1, max_value=200)


class DirectorySearchForm(forms.Form):
    q = SearchField(placeholder="Service, organisation, area, language…")
    service_type = forms.ChoiceField(
        required=False, choices=[("", "Any type"), *ServiceType.choices], label="Type"
    )
    language = forms.CharField(
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "Language", "autocomplete": "off"}),
    )
    area = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput())


def directory_filters(cleaned: dict[str, Any]) -> dict[str, Any]:
    """The directory search's arguments from DirectorySearchForm's cleaned data."""
    return {
        "query": cleaned.get("q") or "",
        "service_type": cleaned.get("service_type") or "",
        "language": cleaned.get("language") or "",
        "area": cleaned.get("area") or "",
    }


class ResourceOrganisationForm(forms.ModelForm):
    website = forms.URLField(required=False, assume_scheme="https", max_length=200)

    class Meta:
        model = ResourceOrganisation
        fields = list(ORGANISATION_FIELDS)
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def validate_unique(self) -> None:
        """The service reports a duplicate name itself."""


class ResourceServiceForm(forms.ModelForm):
    class Meta:
        model = ResourceService
        # What the directory service accepts, and nothing else.
        fields = list(SERVICE_FIELDS)
        widgets = {"eligibility_notes": forms.Textarea(attrs={"rows": 3})}

    def validate_unique(self) -> None:
        """The service reports a duplicate name itself."""


def board_filters(cleaned: dict[str, Any]) -> dict[str, Any]:
    """The board selector's arguments from BoardFilterForm's cleaned data (page and API)."""
    return {
        "state": cleaned.get("state") or "",
        "mine": bool(cleaned.get("mine")),
        "overdue_only": bool(cleaned.get("overdue")),
        "page": cleaned.get("page") or 1,
        "page_size": cleaned.get("page_size") or BOARD_PAGE_SIZE,
    }
