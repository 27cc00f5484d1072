"""Admin: settings and pathways are code lists; plans are read here and changed only
through the services (retire, request a review), with every read audited."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.accounts.http import request_actor
from apps.careplans import services
from apps.careplans.models import (
    CarePlan,
    CarePlanSettings,
    CarePlanVersion,
    Goal,
    Pathway,
)
from apps.core.admin import AuditedReadsAdminMixin
from apps.core.exceptions import ApplicationError


@admin.register(CarePlanSettings)
class CarePlanSettingsAdmin(admin.ModelAdmin):
    list_display = ["organisation", "unsigned_days", "review_interval_days", "patient_phone"]


@admin.register(Pathway)
class PathwayAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "organisation", "is_active"]
    list_filter = ["organisation", "is_active"]
    search_fields = ["name", "code"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class GoalInline(ReadOnlyInline):
    model = Goal
    fields = ("domain", "description", "target", "target_date", "status", "owner")
    readonly_fields = ("domain", "description", "target", "target_date", "status", "owner")


class VersionInline(ReadOnlyInline):
    model = CarePlanVersion
    fields = ("number", "created_at", "created_by", "summary", "signed_at", "signed_by")
    readonly_fields = ("number", "created_at", "created_by", "summary", "signed_at", "signed_by")
    ordering = ["-number"]


@admin.register(CarePlan)
class CarePlanAdmin(AuditedReadsAdminMixin, admin.ModelAdmin):
    """Clinical content is edited by the care team in the app; admins retire or flag plans."""

    list_display = [
        "id",
        "patient",
        "status",
        "version_count",
        "unsigned_since",
        "last_signed_at",
        "review_requested_at",
    ]
    list_filter = ["status"]
    search_fields = ["=patient__mrn", "patient__family_name"]
    list_select_related = ["patient"]
    inlines = [GoalInline, VersionInline]
    actions = ["retire_plans", "request_reviews"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[CarePlan]:
        plans = super().get_queryset(request)
        if request.user.is_superuser:
            return plans
        return plans.filter(patient__organisation_id=request_actor(request).organisation_id)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in CarePlan._meta.fields] + ["pathways"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Retire the selected plans (cancels their open tasks)")
    def retire_plans(self, request: HttpRequest, queryset: QuerySet[CarePlan]) -> None:
        done = 0
        for plan in queryset.select_related("patient"):
            try:
                services.care_plan_retire(
                    actor=request_actor(request), plan=plan, reason="Retired by an administrator"
                )
            except (ApplicationError, PermissionDenied) as error:
                self.message_user(request, f"Plan #{plan.pk}: {error}", messages.WARNING)
            else:
                done += 1
        self.message_user(request, f"{done} plan(s) retired.")

    @admin.action(description="Flag the selected plans for a PCP review")
    def request_reviews(self, request: HttpRequest, queryset: QuerySet[CarePlan]) -> None:
        done = 0
        for plan in queryset.select_related("patient"):
            try:
                flagged = services.care_plan_review_request(
                    actor=request_actor(request),
                    patient=plan.patient,
                    reason="Requested by an administrator",
                )
            except (ApplicationError, PermissionDenied) as error:
                self.message_user(request, f"Plan #{plan.pk}: {error}", messages.WARNING)
            else:
                done += flagged is not None
        self.message_user(request, f"{done} plan(s) flagged for review.")
