"""Admin for huddles: scheduling goes through the same services; agendas are read-only here."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse

from apps.accounts.admin_base import OwnOrganisationAdminMixin
from apps.accounts.http import request_actor
from apps.core.audit import audit_record
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.core.refusals import audit_refused_request
from apps.huddles import services
from apps.huddles.models import (
    AgendaItem,
    Huddle,
    HuddleAttendance,
    HuddleSeries,
    HuddleSettings,
    HuddleStatus,
)

ADMIN_CANCEL_REASON = "Cancelled by an administrator."


@admin.register(HuddleSettings)
class HuddleSettingsAdmin(OwnOrganisationAdminMixin, admin.ModelAdmin):
    list_display = [
        "organisation",
        "default_duration_minutes",
        "max_agenda_items",
        "first_lookback_days",
        "task_due_hour",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["organisation"] if obj else []


ITEM_FIELDS = ("position", "patient_id", "source", "title", "status", "decision", "reason")
ATTENDANCE_FIELDS = ("user", "role", "is_lead", "present")


class ItemInline(admin.TabularInline):
    model = AgendaItem
    fields = ITEM_FIELDS
    readonly_fields = ITEM_FIELDS
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AttendanceInline(admin.TabularInline):
    model = HuddleAttendance
    fields = ATTENDANCE_FIELDS
    readonly_fields = ATTENDANCE_FIELDS
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Huddle)
class HuddleAdmin(OwnOrganisationAdminMixin, admin.ModelAdmin):
    """Schedule, move and cancel here; the meeting itself runs on the huddle screen."""

    list_display = ["title", "team", "scheduled_start", "duration_minutes", "status", "series"]
    list_filter = ["status", "team"]
    list_select_related = ["team", "series"]
    date_hierarchy = "scheduled_start"
    inlines = [AttendanceInline, ItemInline]
    actions = ["cancel_selected"]
    show_full_result_count = False

    organisation_path = "team__organisation_id"

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["team", "title", "scheduled_start", "duration_minutes"]
        return [
            "team",
            "series",
            "title",
            "scheduled_start",
            "duration_minutes",
            "status",
            "opened_at",
            "closed_at",
            "cancelled_reason",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        locked = ["team", "series", "status", "opened_at", "closed_at", "cancelled_reason"]
        if obj.status != HuddleStatus.SCHEDULED:
            locked += ["title", "scheduled_start", "duration_minutes"]
        return locked

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        huddle = super().get_object(request, object_id, from_field)
        if huddle is not None:
            patient_ids = sorted(set(huddle.items.values_list("patient_id", flat=True)))
            if patient_ids:
                audit_record(
                    actor=request_actor(request),
                    action=AuditAction.LIST,
                    object_type=AgendaItem,
                    patient_ids=patient_ids,
                    detail={"huddle_id": huddle.pk},
                )
        return huddle

    def save_model(self, request: HttpRequest, obj: Huddle, form: ModelForm, change: bool) -> None:
        actor = request_actor(request)
        data = form.cleaned_data
        if change:
            current = Huddle.objects.select_related("team").get(pk=obj.pk)
            services.huddle_update(
                actor=actor,
                huddle=current,
                title=data.get("title"),
                scheduled_start=data.get("scheduled_start"),
                duration_minutes=data.get("duration_minutes"),
            )
            return
        created = services.huddle_schedule(
            actor=actor,
            team=data["team"],
            scheduled_start=data["scheduled_start"],
            duration_minutes=data["duration_minutes"],
            title=data.get("title") or "",
        )
        obj.pk = created.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Cancel the selected huddles that have not started")
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Huddle]) -> None:
        actor = request_actor(request)
        done = 0
        for huddle in queryset.filter(status=HuddleStatus.SCHEDULED).select_related("team"):
            try:
                services.huddle_cancel(actor=actor, huddle=huddle, reason=ADMIN_CANCEL_REASON)
                done += 1
            except (ApplicationError, PermissionDenied) as error:
                audit_refused_request(request, error, obj=huddle)
                self.message_user(request, f"{huddle}: {error}", messages.ERROR)
        self.message_user(request, f"{done} huddle(s) cancelled.")


@admin.register(HuddleSeries)
class HuddleSeriesAdmin(OwnOrganisationAdminMixin, admin.ModelAdmin):
    list_display = ["title", "team", "rule_display", "duration_minutes", "is_active", "ends_on"]
    list_filter = ["is_active", "team"]
    list_select_related = ["team"]
    actions = ["end_selected"]

    organisation_path = "team__organisation_id"

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [
            "team",
            "title",
            "weekday",
            "start_time",
            "interval_weeks",
            "duration_minutes",
            "starts_on",
            "ends_on",
            *(["is_active"] if obj else []),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A series is changed by ending it and starting another: its huddles already exist.
        return list(self.get_fields(request, obj)) if obj else []

    def save_model(
        self, request: HttpRequest, obj: HuddleSeries, form: ModelForm, change: bool
    ) -> None:
        if change:
            return
        data = form.cleaned_data
        created = services.huddle_series_create(
            actor=request_actor(request),
            team=data["team"],
            title=data.get("title") or "",
            weekday=data["weekday"],
            start_time=data["start_time"],
            duration_minutes=data["duration_minutes"],
            interval_weeks=data["interval_weeks"],
            starts_on=data["starts_on"],
            ends_on=data.get("ends_on"),
        )
        obj.pk = created.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="End the selected series (cancels their future huddles)")
    def end_selected(self, request: HttpRequest, queryset: QuerySet[HuddleSeries]) -> None:
        actor = request_actor(request)
        for series in queryset.filter(is_active=True):
            services.huddle_series_end(actor=actor, series=series)
        self.message_user(request, "Series ended.")

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return super().changeform_view(request, object_id, form_url, extra_context)
