"""Forms parse input for the htmx views; the services decide."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils import timezone

from apps.accounts.models import User
from apps.careplans.models import (
    AgreedBy,
    AgreementMethod,
    CarePlan,
    ComB,
    ComBSubComponent,
    Goal,
    GoalDomain,
    GoalStatus,
    Intervention,
    Pathway,
)
from apps.careplans.states import goal_status_choices
from apps.core.widgets import DateInput, LocalDateTimeInput
from apps.teams.models import TeamMembership


def _blank(choices: Iterable[tuple[str, str]], label: str = "—") -> list[tuple[str, str]]:
    return [("", label), *choices]


class MemberChoiceField(forms.ChoiceField):
    """A person on the patient's team, chosen from memberships already loaded (no query)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[], **kwargs)
        self._users: dict[str, User] = {}

    def set_members(self, members: list[TeamMembership]) -> None:
        self._users = {str(member.user_id): member.user for member in members}
        self.choices = [("", "Choose a person")] + [
            (str(member.user_id), f"{member.user.display_name} ({member.get_role_display()})")
            for member in members
        ]

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        user = self._users.get(str(value))
        if user is None:
            raise forms.ValidationError("Choose a current member of the patient's care team.")
        return user

    def validate(self, value: Any) -> None:
        if value is None and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")

    def prepare_value(self, value: Any) -> Any:
        return getattr(value, "pk", value)


def _set_members(form: forms.Form, members: list[TeamMembership]) -> None:
    field = form.fields["owner"]
    assert isinstance(field, MemberChoiceField)  # noqa: S101 - declared below
    field.set_members(members)


class CarePlanVoiceForm(forms.Form):
    """The patient's voice and their agreement."""

    what_matters = forms.CharField(
        label="What matters most to the patient (their words)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    priorities = forms.CharField(
        label="Priorities, most important first (one per line)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    agreed_by = forms.ChoiceField(
        label="Agreed by", required=False, choices=_blank(AgreedBy.choices, "Not yet agreed")
    )
    agreement_method = forms.ChoiceField(
        label="How", required=False, choices=_blank(AgreementMethod.choices)
    )
    agreed_at = forms.DateTimeField(label="When", required=False, widget=LocalDateTimeInput)
    caregiver_name = forms.CharField(label="Caregiver's name", required=False, max_length=120)

    @classmethod
    def for_plan(cls, plan: CarePlan, data: Any = None) -> "CarePlanVoiceForm":
        return cls(
            data,
            prefix="voice",
            initial={name: getattr(plan, name) for name in cls.base_fields},
        )


class CarePlanProfileForm(forms.Form):
    """Activation, literacy, and the links the plan follows (never copies)."""

    pam_level = forms.TypedChoiceField(
        label="Patient activation (PAM level)",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Not assessed"), *[(str(level), f"Level {level}") for level in range(1, 5)]],
    )
    health_literacy_limited = forms.BooleanField(
        label="Limited health literacy: use plain language and teach-back", required=False
    )
    pathways = forms.ModelMultipleChoiceField(
        label="Clinical pathways followed",
        queryset=Pathway.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    advance_directive_reference = forms.CharField(
        label="Advance directive on file (where it is filed: URL or document id)",
        required=False,
        max_length=300,
    )
    advance_directive_date = forms.DateField(
        label="Advance directive dated", required=False, widget=DateInput
    )

    def __init__(self, *args: Any, pathways: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pathways"].queryset = pathways  # type: ignore[attr-defined]

    @classmethod
    def for_plan(
        cls, plan: CarePlan, pathways: Any, current: list[Pathway], data: Any = None
    ) -> "CarePlanProfileForm":
        initial: dict[str, Any] = {
            name: getattr(plan, name) for name in cls.base_fields if name != "pathways"
        }
        initial["pathways"] = [pathway.pk for pathway in current]
        return cls(data, prefix="profile", initial=initial, pathways=pathways)


class GoalForm(forms.Form):
    domain = forms.ChoiceField(choices=GoalDomain.choices)
    description = forms.CharField(label="Goal (in the patient's words)", max_length=300)
    target = forms.CharField(
        label="Measurable target",
        max_length=300,
        help_text="Plain words: it is printed on the patient's summary",
    )
    target_date = forms.DateField(label="Target date", widget=DateInput)
    status = forms.ChoiceField(choices=GoalStatus.choices, initial=GoalStatus.PROPOSED)
    owner = MemberChoiceField(label="Owner")
    patient_steps = forms.CharField(
        label="What the patient will do (plain words)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        *args: Any,
        members: list[TeamMembership],
        domains: Iterable[str],
        current_status: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_members(self, members)
        allowed = set(domains)
        self.fields["domain"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in GoalDomain.choices if value in allowed
        ]
        # Offer only the moves the goal table allows from where the goal is now.
        self.fields["status"].choices = goal_status_choices(current_status)  # type: ignore[attr-defined]

    @classmethod
    def for_goal(
        cls, goal: Goal, members: list[TeamMembership], domains: Iterable[str], data: Any = None
    ) -> "GoalForm":
        initial = {name: getattr(goal, name) for name in cls.base_fields if name != "owner"}
        initial["owner"] = goal.owner_id
        return cls(
            data,
            prefix=f"goal-{goal.pk}",
            initial=initial,
            members=members,
            domains={goal.domain, *domains},
            current_status=goal.status,
        )


class InterventionForm(forms.Form):
    description = forms.CharField(label="What will be done", max_length=200)
    owner = MemberChoiceField(label="Owner")
    due_date = forms.DateField(label="Due", widget=DateInput)
    details = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, members: list[TeamMembership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_members(self, members)


class InterventionEditForm(InterventionForm):
    reason = forms.CharField(label="Reason for a new owner", required=False, max_length=300)

    @classmethod
    def for_intervention(
        cls, intervention: Intervention, members: list[TeamMembership], data: Any = None
    ) -> "InterventionEditForm":
        due = timezone.localtime(intervention.due_at).date() if intervention.due_at else None
        return cls(
            data,
            prefix=f"intervention-{intervention.pk}",
            members=members,
            initial={
                "description": intervention.description,
                "owner": intervention.owner_id,
                "due_date": due,
                "details": intervention.details,
            },
        )


class InterventionCancelForm(forms.Form):
    reason = forms.CharField(label="Why does it stop?", max_length=300)


class InterventionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(getattr(obj, "description", obj))


class BarrierForm(forms.Form):
    component = forms.ChoiceField(label="COM-B component", choices=ComB.choices)
    sub_component = forms.ChoiceField(
        label="Sub-component", required=False, choices=_blank(ComBSubComponent.choices)
    )
    description = forms.CharField(label="Barrier", max_length=300)
    intervention = InterventionChoiceField(
        label="Addressed by",
        queryset=Intervention.objects.none(),
        required=False,
        empty_label="Not addressed yet",
    )

    def __init__(self, *args: Any, plan: CarePlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["intervention"].queryset = plan.interventions.order_by("id")  # type: ignore[attr-defined]


class SignForm(forms.Form):
    fingerprint = forms.CharField(widget=forms.HiddenInput, max_length=64)


class RetireForm(forms.Form):
    reason = forms.CharField(label="Why is the plan retired?", max_length=200)


class SignoffRequestForm(forms.Form):
    reason = forms.CharField(
        label="What should the PCP look at?",
        max_length=200,
        help_text="For example: new social goal after the housing screen",
    )


class ReturnForm(forms.Form):
    comments = forms.CharField(
        label="What should change before you sign?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
