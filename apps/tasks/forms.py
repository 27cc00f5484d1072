"""Forms parse the pages' input; the services decide. Owner choices are the team's members."""

from collections.abc import Iterable
from datetime import date, datetime

from django import forms

from apps.accounts.models import Role
from apps.core.api_fields import EARLIEST_YEAR, LATEST_YEAR, RANGE_MESSAGE
from apps.core.filters import FlagField
from apps.core.widgets import LOCAL_DATETIME_FORMATS, DateInput, LocalDateTimeInput
from apps.patients.models import ContactLogKind, ContactLogOutcome
from apps.tasks.models import (
    MAX_RECURRENCE_DAYS,
    NotificationDelivery,
    TaskPriority,
    TaskSource,
    TaskType,
)
from apps.tasks.preferences import PreferenceRow
from apps.tasks.selectors import TEAM_PAGE_SIZE, TeamWorklistFilters
from apps.tasks.selectors.rows import TASK_SORTS, TaskListFilters
from apps.tasks.sources import LinkTarget
from apps.teams.models import TeamMembership


def plausible_date(value: date | datetime | None) -> None:
    """The API's limit on clinical dates (apps.core.api_fields), for the pages' date fields:
    a year outside it is a typing error, refused on the field instead of failing the save."""
    if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise forms.ValidationError(RANGE_MESSAGE, code="date_out_of_range")


def member_choices(
    members: Iterable[TeamMembership], *, exclude_user_id: int | None = None
) -> list[tuple[str, str]]:
    """One choice per person (a person on two teams appears once, with their first role)."""
    choices: list[tuple[str, str]] = [("", "Choose a person…")]
    seen: set[int] = set()
    for membership in members:
        if membership.user_id == exclude_user_id or membership.user_id in seen:
            continue
        seen.add(membership.user_id)
        label = f"{membership.user.display_name} ({membership.get_role_display()})"
        choices.append((str(membership.user_id), label))
    return choices


class IntegerListField(forms.Field):
    """Repeated inputs of the same name (checkboxes) as a list of ids."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: object) -> list[int]:
        if not value:
            return []
        items = list(value) if isinstance(value, list | tuple) else [value]
        try:
            return [int(str(item)) for item in items]
        except (TypeError, ValueError) as error:
            raise forms.ValidationError("Choose tasks from the list.") from error


class TaskListFilterFields(forms.Form):
    """Search, narrow and order a worklist: the same fields on My work and the team
    worklist, on their pages and in their APIs."""

    q = forms.CharField(required=False, max_length=100, label="Search tasks")
    priority = forms.ChoiceField(
        choices=[("", "Any priority"), *TaskPriority.choices], required=False
    )
    task_type = forms.ChoiceField(
        choices=[("", "Any type"), *TaskType.choices], required=False, label="Type"
    )
    sort = forms.ChoiceField(
        choices=[(key, label) for key, (label, _) in TASK_SORTS.items()],
        required=False,
        label="Sort by",
    )


def task_list_filters(data: dict[str, object]) -> TaskListFilters:
    """The listing filters from a valid form's cleaned data (or {} for the defaults)."""
    return TaskListFilters(
        query=str(data.get("q") or "").strip(),
        priority=str(data.get("priority") or ""),
        task_type=str(data.get("task_type") or ""),
        sort=str(data.get("sort") or "due"),
    )


class MyWorkViewForm(TaskListFilterFields):
    """What My work shows: everything, or only the checks waiting for me; searched,
    narrowed and sorted; with the snoozed tasks when asked."""

    show = forms.ChoiceField(
        required=False,
        choices=[("", "All my work"), ("verifications", "Awaiting my verification")],
    )
    snoozed = FlagField(label="Show snoozed tasks")


class TaskCreateForm(forms.Form):
    title = forms.CharField(max_length=200)
    owner = forms.TypedChoiceField(coerce=int, label="Owner (one accountable person)")
    task_type = forms.ChoiceField(
        choices=[("", "Other"), *TaskType.choices], required=False, label="Type"
    )
    due_at = forms.DateTimeField(
        label="Due",
        required=False,
        input_formats=LOCAL_DATETIME_FORMATS,
        widget=LocalDateTimeInput,
        validators=[plausible_date],
        help_text="Leave blank to use the type's usual time: a call in 2 days, a visit in 7.",
    )
    recurrence_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_RECURRENCE_DAYS,
        label="Repeat every (days)",
        help_text="7 for weekly. Completing one creates the next. Blank for a one-off task.",
    )
    priority = forms.ChoiceField(choices=TaskPriority.choices, initial=TaskPriority.ROUTINE)
    verification_role = forms.ChoiceField(
        choices=[("", "No second check"), *Role.choices],
        required=False,
        label="Verified by a second person in the role",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    goal = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        label="Serves the care-plan goal",
    )

    def __init__(
        self,
        *args: object,
        members: Iterable[TeamMembership] = (),
        goals: Iterable[LinkTarget] = (),
        **kwargs: object,
    ):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["owner"].choices = member_choices(members)  # type: ignore[attr-defined]
        self.fields["goal"].choices = [  # type: ignore[attr-defined]
            ("", "No goal"),
            *((str(goal.id), goal.label) for goal in goals),
        ]


def goal_source(goal_id: int | None) -> tuple[str, int | None]:
    """A chosen goal as the task's (source_type, source_id): the page's and the API's `goal`."""
    if goal_id is None:
        return TaskSource.MANUAL, None
    return TaskSource.CARE_PLAN_GOAL, goal_id


class TaskEditForm(forms.Form):
    """What a task is about and when it is due; the owner changes only by reassignment."""

    title = forms.CharField(max_length=200)
    due_at = forms.DateTimeField(
        label="Due",
        input_formats=LOCAL_DATETIME_FORMATS,
        widget=LocalDateTimeInput,
        validators=[plausible_date],
    )
    priority = forms.ChoiceField(choices=TaskPriority.choices)
    recurrence_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_RECURRENCE_DAYS,
        label="Repeat every (days)",
        help_text="Blank: this is the last one (completing it creates no next one).",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Details"
    )


class SnoozeForm(forms.Form):
    until = forms.DateField(label="Snooze until", widget=DateInput, validators=[plausible_date])
    reason = forms.CharField(max_length=500, label="Why it waits")


class ReassignForm(forms.Form):
    owner = forms.TypedChoiceField(coerce=int, label="New owner")
    reason = forms.CharField(
        max_length=500, widget=forms.TextInput(attrs={"placeholder": "Why it changes hands"})
    )

    def __init__(
        self,
        *args: object,
        members: Iterable[TeamMembership] = (),
        current_owner_id: int | None = None,
        **kwargs: object,
    ):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["owner"].choices = member_choices(  # type: ignore[attr-defined]
            members, exclude_user_id=current_owner_id
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=1000, widget=forms.TextInput())


class CompleteForm(forms.Form):
    note = forms.CharField(
        max_length=1000,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Optional note"}),
    )


class TeamFilterForm(TaskListFilterFields):
    owner = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    role = forms.ChoiceField(choices=[("", "Any role"), *Role.choices], required=False)
    patient = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput())
    overdue = FlagField(label="Overdue only")
    orphaned = FlagField(label="Orphaned only")
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput())
    page_size = forms.IntegerField(
        required=False, min_value=1, max_value=200, widget=forms.HiddenInput()
    )

    def __init__(self, *args: object, members: Iterable[TeamMembership] = (), **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choices = member_choices(members)
        choices[0] = ("", "Any owner")
        self.fields["owner"].choices = choices  # type: ignore[attr-defined]


def team_filters(form: TeamFilterForm) -> tuple[TeamWorklistFilters, int, int]:
    """The team worklist's (filters, page, page size) from a valid TeamFilterForm, or the
    defaults from an unbound one: the page and the API read the same form."""
    data = form.cleaned_data if form.is_bound else {}
    filters = TeamWorklistFilters(
        owner_id=data.get("owner"),
        role=data.get("role") or "",
        patient_id=data.get("patient"),
        overdue=bool(data.get("overdue")),
        orphaned=bool(data.get("orphaned")),
        listing=task_list_filters(data),
    )
    return filters, data.get("page") or 1, data.get("page_size") or TEAM_PAGE_SIZE


class BulkReassignForm(forms.Form):
    task_ids = IntegerListField(label="Tasks", required=False)
    owner = forms.TypedChoiceField(coerce=int, label="New owner")
    reason = forms.CharField(
        max_length=500, widget=forms.TextInput(attrs={"placeholder": "Why they change hands"})
    )

    def __init__(self, *args: object, members: Iterable[TeamMembership] = (), **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["owner"].choices = member_choices(members)  # type: ignore[attr-defined]


class NotificationPreferencesForm(forms.Form):
    """One group of choices per kind of notification (warnings cannot be switched off)."""

    def __init__(self, *args: object, rows: Iterable[PreferenceRow] = (), **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for row in rows:
            choices = [
                (value, label)
                for value, label in NotificationDelivery.choices
                if row.may_switch_off or value != NotificationDelivery.OFF
            ]
            self.fields[row.kind] = forms.ChoiceField(
                label=row.label,
                choices=choices,
                initial=row.delivery,
                widget=forms.RadioSelect,
                help_text="" if row.may_switch_off else "A warning: it cannot be switched off.",
            )


class ContactLogForm(forms.Form):
    """A call, visit or message on the chart's contact log; a reached one may complete
    the open call (or visit) tasks offered with it."""

    kind = forms.ChoiceField(label="Kind", choices=ContactLogKind.choices)
    outcome = forms.ChoiceField(
        label="Outcome", choices=[("", "— the outcome —"), *ContactLogOutcome.choices]
    )
    contact_at = forms.DateTimeField(
        label="When",
        widget=LocalDateTimeInput,
        input_formats=LOCAL_DATETIME_FORMATS,
        validators=[plausible_date],
    )
    # Blank: the person logging it made the contact.
    performed_by = forms.TypedChoiceField(
        label="Who made it", coerce=int, required=False, empty_value=None
    )
    note = forms.CharField(
        label="Note", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    complete_tasks = forms.TypedMultipleChoiceField(
        label="Complete with this contact (reached only)",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: object,
        members: Iterable[TeamMembership] = (),
        offered: Iterable[tuple[int, str]] = (),
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["performed_by"].choices = member_choices(members)  # type: ignore[attr-defined]
        self.fields["complete_tasks"].choices = list(offered)  # type: ignore[attr-defined]
