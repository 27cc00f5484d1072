"""Admin for tasks: every change goes through the task services, so the same rules hold.

The owner can be changed (with a reason, recorded in the history) but never
cleared; status moves only through the services; verification is an action
that the doer can never perform on their own work.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from apps.accounts.admin_base import OwnOrganisationAdminMixin
from apps.accounts.http import request_actor
from apps.accounts.models import User
from apps.core.admin import AuditedReadsAdminMixin, ReadOnlyAdminMixin
from apps.core.exceptions import ApplicationError
from apps.core.refusals import audit_refused_request
from apps.tasks import services
from apps.tasks.models import (
    OPEN_STATUSES,
    EmailAddressStatus,
    Notification,
    Task,
    TaskEvent,
    TaskSettings,
)
from apps.teams.models import TeamMembership

DETAIL_FIELDS = ("title", "description", "due_at", "priority")
# Shown, never edited here: only the task services write them.
RECORDED_FIELDS = (
    "status",
    "status_reason",
    "verification_role",
    "performed_by",
    "performed_at",
    "verified_by",
    "verified_at",
    "source_type",
    "source_id",
    "reminded_at",
    "escalated_at",
)


class TaskEventInline(admin.TabularInline):
    model = TaskEvent
    fields = ("occurred_at", "kind", "actor", "from_owner", "to_owner", "to_status", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TaskAdminForm(forms.ModelForm):
    reassign_reason = forms.CharField(
        required=False,
        max_length=500,
        help_text="Required when you change the owner; kept in the task's history.",
    )

    class Meta:
        model = Task
        fields = [
            "patient",
            "title",
            "description",
            "due_at",
            "priority",
            "owner",
            "verification_role",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "owner" in self.fields:
            # One accountable owner, always: the admin cannot clear it.
            self.fields["owner"].required = True
            if self.instance.pk:
                # The choice list follows the one rule (live members of the patient's team);
                # the current owner stays listed so an unchanged form still saves.
                live = TeamMembership.objects.live().filter(
                    team_id=self.instance.patient.care_team_id
                )
                self.fields["owner"].queryset = User.objects.filter(  # type: ignore[attr-defined]
                    Q(pk__in=live.values("user_id")) | Q(pk=self.instance.owner_id)
                ).order_by("last_name", "first_name", "pk")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        patient = data.get("patient") or (self.instance.patient if self.instance.pk else None)
        owner = data.get("owner")
        if patient is not None and owner is not None and "owner" in self.changed_data:
            try:
                services.task_owner_validate(patient=patient, user=owner)
            except ApplicationError as error:
                self.add_error("owner", error.field_errors.get("owner", [error.message]))
            if self.instance.pk and not (data.get("reassign_reason") or "").strip():
                self.add_error("reassign_reason", "Say why the task changes hands.")
        return data


class OrphanedFilter(admin.SimpleListFilter):
    title = "orphaned"
    parameter_name = "orphaned"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Owner no longer a live member of the team")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Task]) -> QuerySet[Task]:
        if self.value() != "yes":
            return queryset
        on_team = TeamMembership.objects.live().filter(
            team_id=OuterRef("patient__care_team_id"), user_id=OuterRef("owner_id")
        )
        return queryset.filter(status__in=OPEN_STATUSES).exclude(Exists(on_team))


@admin.register(Task)
class TaskAdmin(OwnOrganisationAdminMixin, AuditedReadsAdminMixin, admin.ModelAdmin):
    form = TaskAdminForm
    list_display = ["title", "patient", "owner", "due_at", "status", "priority"]
    list_filter = ["status", "priority", "source_type", OrphanedFilter]
    search_fields = ["title", "=patient__mrn"]
    list_select_related = ["patient", "owner"]
    raw_id_fields = ["patient"]
    inlines = [TaskEventInline]
    actions = ["verify_selected"]
    show_full_result_count = False
    organisation_path = "patient__organisation_id"

    def get_fields(self, request: HttpRequest, obj: Task | None = None) -> Any:
        if obj is None:
            return [*TaskAdminForm.Meta.fields]
        return ["patient", *DETAIL_FIELDS, "owner", "reassign_reason", *RECORDED_FIELDS]

    def get_readonly_fields(self, request: HttpRequest, obj: Task | None = None) -> list[str]:
        if obj is None:
            return []
        return ["patient", *RECORDED_FIELDS]

    def save_model(self, request: HttpRequest, obj: Task, form: ModelForm, change: bool) -> None:
        actor = request_actor(request)
        data = form.cleaned_data
        try:
            if not change:
                created = services.task_create(
                    actor=actor,
                    patient=data["patient"],
                    title=data["title"],
                    owner=data["owner"],
                    due_at=data["due_at"],
                    priority=data["priority"],
                    description=data.get("description") or "",
                    verification_role=data.get("verification_role") or "",
                )
                obj.pk = created.pk
                return
            current = Task.objects.get(pk=obj.pk)
            details = {name: data[name] for name in DETAIL_FIELDS if name in form.changed_data}
            if details:
                current = services.task_update(actor=actor, task=current, **details)
            if "owner" in form.changed_data:
                services.task_reassign(
                    actor=actor,
                    task=current,
                    new_owner=data["owner"],
                    reason=data.get("reassign_reason") or "",
                )
        except (ApplicationError, PermissionDenied) as error:
            audit_refused_request(request, error, obj=obj)
            self.message_user(request, f"Not saved: {error}", messages.ERROR)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Verify the selected tasks (as me, in my role on the team)")
    def verify_selected(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        actor = request_actor(request)
        verified = 0
        for task in queryset:
            try:
                services.task_verify(actor=actor, task=task)
            except (ApplicationError, PermissionDenied) as error:
                audit_refused_request(request, error, obj=task)
                self.message_user(request, f"Task {task.pk}: {error}", messages.ERROR)
            else:
                verified += 1
        if verified:
            self.message_user(request, f"{verified} task(s) verified.", messages.SUCCESS)


@admin.register(TaskSettings)
class TaskSettingsAdmin(OwnOrganisationAdminMixin, admin.ModelAdmin):
    list_display = ["organisation", "reminder_lead_hours", "escalation_delay_hours"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: TaskSettings | None = None
    ) -> list[str]:
        return ["organisation"] if obj else []

    def save_model(
        self, request: HttpRequest, obj: TaskSettings, form: ModelForm, change: bool
    ) -> None:
        try:
            saved = services.task_settings_update(
                actor=request_actor(request),
                organisation=obj.organisation,
                reminder_lead_hours=obj.reminder_lead_hours,
                escalation_delay_hours=obj.escalation_delay_hours,
            )
        except ApplicationError as error:
            self.message_user(request, f"Not saved: {error}", messages.ERROR)
        else:
            obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(OwnOrganisationAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: for answering "was I told?". Notifications are sent only by services."""

    list_display = [
        "created_at",
        "recipient",
        "kind",
        "read_at",
        "emailed_at",
        "email_attempts",
        "email_error",
    ]
    list_filter = ["kind", ("email_failed_at", admin.EmptyFieldListFilter)]
    fields = (
        "recipient",
        "kind",
        "idempotency_key",
        "created_at",
        "read_at",
        "emailed_at",
        "email_attempts",
        "email_failed_at",
        "email_error",
    )
    readonly_fields = fields
    organisation_path = "recipient__organisation_id"
    related = ("recipient",)


class FailingFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "failing"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Failing (no more email)"), ("no", "Refused now and then")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[EmailAddressStatus]
    ) -> QuerySet[EmailAddressStatus]:
        if self.value() == "yes":
            return queryset.filter(failing_since__isnull=False)
        if self.value() == "no":
            return queryset.filter(failing_since__isnull=True)
        return queryset


@admin.register(EmailAddressStatus)
class EmailAddressStatusAdmin(OwnOrganisationAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Addresses the mail server refused. Fix the person's address on their user page:
    a new address starts afresh and gets email again."""

    list_display = ("user", "address", "refusals", "last_refused_at", "failing_since", "last_error")
    list_filter = [FailingFilter]
    search_fields = ["user__username", "address"]
    fields = list_display
    readonly_fields = list_display

    organisation_path = "user__organisation_id"
    related = ("user",)
