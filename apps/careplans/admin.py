"""Admin: settings and pathways are code lists; plans are read here and changed only
through the services (retire, request a review), with every read audited."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from apps.accounts.admin_base import OrganisationSettingsAdminMixin, OwnOrganisationAdminMixin
from apps.accounts.http import request_actor
from apps.accounts.models import Organisation
from apps.careplans import services
from apps.careplans.models import (
    CarePlan,
    CarePlanSettings,
    CarePlanVersion,
    Goal,
    Pathway,
)
from apps.core.admin import AuditedReadsAdminMixin
from apps.core.audit import audit_record, object_type_of
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.core.refusals import audit_refused_request


class _OwnOrganisationCodeListAdmin(OwnOrganisationAdminMixin, admin.ModelAdmin):
    """An admin edits only their own organisation's rows (a superuser every one's), and
    each save is audited. There is no service for these code lists, so the audit event is
    written here, inside the admin's transaction."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None or not request.user.is_superuser:
            return ["organisation"]
        return []

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        # Other organisations' names are not shown to a non-superuser either.
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser:
            return filters
        return [name for name in filters if name != "organisation"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):  # type: ignore[override]
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None or request.user.is_superuser:
            return form
        organisation = request_actor(request).organisation

        def __init__(self: ModelForm, *args: Any, **init_kwargs: Any) -> None:
            form.__init__(self, *args, **init_kwargs)
            self.instance.organisation = organisation

        return type(form.__name__, (form,), {"__init__": __init__})

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        actor = request_actor(request)
        if not actor.is_superuser and obj.organisation_id != actor.organisation_id:
            raise PermissionDenied("This row belongs to another organisation.")
        with transaction.atomic():
            obj.save()
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE if change else AuditAction.CREATE,
                object_type=object_type_of(obj),
                object_id=obj.pk,
                detail={
                    "fields": sorted(form.changed_data),
                    "organisation_id": obj.organisation_id,
                },
            )


class CarePlanSettingsForm(ModelForm):
    class Meta:
        model = CarePlanSettings
        fields = [
            "organisation",
            "unsigned_days",
            "review_interval_days",
            "patient_phone",
            "after_hours_advice",
        ]


@admin.register(CarePlanSettings)
class CarePlanSettingsAdmin(OrganisationSettingsAdminMixin, _OwnOrganisationCodeListAdmin):
    """One row per organisation, made with the defaults on first use."""

    form = CarePlanSettingsForm
    list_display = ["organisation", "unsigned_days", "review_interval_days", "patient_phone"]

    def settings_for(self, organisation: Organisation) -> CarePlanSettings:
        return services.care_plan_settings_get(organisation=organisation)


class PathwayForm(ModelForm):
    class Meta:
        model = Pathway
        fields = ["organisation", "code", "name", "url", "is_active"]

    def clean(self) -> dict[str, Any]:
        # The organisation is read-only for most admins, so the model's unique constraint
        # would not be checked by the form and a duplicate would fail at the database.
        data = super().clean() or {}
        organisation = data.get("organisation") or getattr(self.instance, "organisation", None)
        code = data.get("code")
        if organisation is not None and code:
            taken = Pathway.objects.filter(organisation=organisation, code=code)
            if taken.exclude(pk=self.instance.pk).exists():
                self.add_error("code", "This organisation already has a pathway with this code.")
        return data


@admin.register(Pathway)
class PathwayAdmin(_OwnOrganisationCodeListAdmin):
    form = PathwayForm
    list_display = ["name", "code", "organisation", "is_active"]
    list_filter = ["organisation", "is_active"]
    search_fields = ["name", "code"]
    list_select_related = ["organisation"]


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
class CarePlanAdmin(OwnOrganisationAdminMixin, AuditedReadsAdminMixin, admin.ModelAdmin):
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
    organisation_path = "patient__organisation_id"
    inlines = [GoalInline, VersionInline]
    actions = ["retire_plans", "request_reviews"]
    show_full_result_count = False

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
                audit_refused_request(request, error, obj=plan)
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
                audit_refused_request(request, error, obj=plan)
                self.message_user(request, f"Plan #{plan.pk}: {error}", messages.WARNING)
            else:
                done += flagged is not None
        self.message_user(request, f"{done} plan(s) flagged for review.")
