"""Admin for the directory, the referral settings and referrals: every write goes
through the services; referral reads are audited like the patient admin's."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.http import HttpRequest

from apps.accounts.admin_base import OwnOrganisationAdminMixin
from apps.accounts.http import request_actor
from apps.core.admin import AuditedReadsAdminMixin
from apps.core.exceptions import ApplicationError
from apps.referrals import services
from apps.referrals.models import (
    Referral,
    ReferralEvent,
    ReferralSettings,
    ReferralState,
    ReferralTimeLimit,
    ResourceOrganisation,
    ResourceService,
)
from apps.referrals.services.directory import ORGANISATION_FIELDS, SERVICE_FIELDS


def _as_validation_error(error: ApplicationError) -> ValidationError:
    """The message on top of the form: the service's field names are not the form's."""
    messages = [error.message] + [
        message for items in error.field_errors.values() for message in items
    ]
    return ValidationError(list(dict.fromkeys(messages)))


def _nothing_saved(formset: Any) -> None:
    """The admin's change message reads what a formset saved; the services saved it."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


# --- the directory ---------------------------------------------------------------------


class ResourceServiceInline(admin.TabularInline):
    model = ResourceService
    fields = ("name", "service_type", "area", "is_active")
    readonly_fields = ("name", "service_type", "area", "is_active")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ResourceOrganisation)
class ResourceOrganisationAdmin(OwnOrganisationAdminMixin, admin.ModelAdmin):
    list_display = ["name", "phone", "email", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    fields = ("organisation", *ORGANISATION_FIELDS)
    inlines = [ResourceServiceInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["organisation"] if obj else []

    def save_model(
        self, request: HttpRequest, obj: ResourceOrganisation, form: ModelForm, change: bool
    ) -> None:
        actor = request_actor(request)
        values = {name: form.cleaned_data[name] for name in ORGANISATION_FIELDS}
        if change:
            current = ResourceOrganisation.objects.get(pk=obj.pk)
            services.resource_organisation_update(
                actor=actor, resource_organisation=current, **values
            )
            return
        name = values.pop("name")
        created = services.resource_organisation_create(
            actor=actor, organisation=form.cleaned_data["organisation"], name=name, **values
        )
        obj.pk = created.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ResourceService)
class ResourceServiceAdmin(OwnOrganisationAdminMixin, admin.ModelAdmin):
    list_display = ["name", "resource_organisation", "service_type", "area", "is_active"]
    list_filter = ["service_type", "is_active"]
    search_fields = ["name", "resource_organisation__name", "area", "languages"]
    list_select_related = ["resource_organisation"]
    fields = ("resource_organisation", *SERVICE_FIELDS)

    organisation_path = "resource_organisation__organisation_id"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["resource_organisation"] if obj else []

    def save_model(
        self, request: HttpRequest, obj: ResourceService, form: ModelForm, change: bool
    ) -> None:
        actor = request_actor(request)
        values = {name: form.cleaned_data[name] for name in SERVICE_FIELDS}
        if change:
            current = ResourceService.objects.get(pk=obj.pk)
            services.resource_service_update(actor=actor, service=current, **values)
            return
        created = services.resource_service_create(
            actor=actor,
            resource_organisation=form.cleaned_data["resource_organisation"],
            name=values.pop("name"),
            service_type=values.pop("service_type"),
            **values,
        )
        obj.pk = created.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- settings --------------------------------------------------------------------------


class TimeLimitInline(admin.TabularInline):
    model = ReferralTimeLimit
    fields = ["state", "urgency", "remind_after_business_days", "escalate_after_business_days"]
    readonly_fields = ["state", "urgency"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReferralSettings)
class ReferralSettingsAdmin(OwnOrganisationAdminMixin, admin.ModelAdmin):
    """Time limits are in business days (the organisation's holidays and closures skipped)."""

    list_display = ["organisation", "max_snooze_business_days"]
    fields = ["organisation", "max_snooze_business_days"]
    inlines = [TimeLimitInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["organisation"] if obj else []

    def save_model(
        self, request: HttpRequest, obj: ReferralSettings, form: ModelForm, change: bool
    ) -> None:
        organisation = obj.organisation if change else form.cleaned_data["organisation"]
        current = services.referral_settings_get(organisation=organisation).settings
        services.referral_settings_update(
            actor=request_actor(request),
            settings=current,
            max_snooze_business_days=form.cleaned_data["max_snooze_business_days"],
        )
        obj.pk = current.pk

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: Any, change: bool
    ) -> None:
        for limit_form in formset.forms:
            if not limit_form.has_changed() or limit_form.instance.pk is None:
                continue
            services.referral_time_limit_update(
                actor=request_actor(request),
                limit=limit_form.instance,
                remind_after=limit_form.cleaned_data["remind_after_business_days"],
                escalate_after=limit_form.cleaned_data["escalate_after_business_days"],
            )
        _nothing_saved(formset)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- referrals -------------------------------------------------------------------------


class ReferralEventInline(admin.TabularInline):
    model = ReferralEvent
    fields = ("occurred_at", "actor", "kind", "from_state", "to_state", "note")
    readonly_fields = ("occurred_at", "actor", "kind", "from_state", "to_state", "note")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReferralAdminForm(forms.ModelForm):
    """The referral's fields are read-only; a move goes through the state machine."""

    move_to = forms.ChoiceField(
        required=False, choices=[("", "— stay —"), *ReferralState.choices], label="Move to"
    )
    move_reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Reason"
    )
    move_result_summary = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="What happened"
    )
    move_result_reported_by = forms.CharField(required=False, label="Result reported by")

    class Meta:
        model = Referral
        fields: list[str] = []

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("move_to") and self.instance.pk:
            try:
                services.referral_transition_validate(
                    referral=self.instance,
                    to_state=data["move_to"],
                    reason=data.get("move_reason", ""),
                    result_summary=data.get("move_result_summary", ""),
                    result_reported_by=data.get("move_result_reported_by", ""),
                )
            except ApplicationError as error:
                raise _as_validation_error(error) from error
        return data


@admin.register(Referral)
class ReferralAdmin(OwnOrganisationAdminMixin, AuditedReadsAdminMixin, admin.ModelAdmin):
    form = ReferralAdminForm
    list_display = ["id", "patient", "service", "state", "urgency", "owner", "state_entered_at"]
    list_filter = ["state", "urgency", "service__service_type"]
    search_fields = ["=id", "=patient__mrn"]
    list_select_related = ["patient", "service", "owner"]
    show_full_result_count = False
    inlines = [ReferralEventInline]
    readonly_fields = [
        "patient",
        "service",
        "specialist_name",
        "reason",
        "goal",
        "urgency",
        "referred_by",
        "owner",
        "consent_given",
        "consent_method",
        "consent_recorded_at",
        "state",
        "state_reason",
        "state_entered_at",
        "remind_at",
        "escalate_at",
        "reminder_sent_at",
        "escalation_sent_at",
        "snoozed_until",
        "appointment_at",
        "sent_at",
        "ended_at",
        "result_summary",
        "result_reported_by",
        "result_documented_by",
        "result_documented_at",
    ]
    fieldsets = (
        (None, {"fields": tuple(readonly_fields)}),
        (
            "Move through the state machine",
            {
                "fields": [
                    "move_to",
                    "move_reason",
                    "move_result_summary",
                    "move_result_reported_by",
                ]
            },
        ),
    )

    organisation_path = "patient__organisation_id"

    def save_model(
        self, request: HttpRequest, obj: Referral, form: ModelForm, change: bool
    ) -> None:
        target = form.cleaned_data.get("move_to")
        if change and target:
            services.referral_transition(
                actor=request_actor(request),
                referral=Referral.objects.get(pk=obj.pk),
                to_state=target,
                reason=form.cleaned_data.get("move_reason", ""),
                result_summary=form.cleaned_data.get("move_result_summary", ""),
                result_reported_by=form.cleaned_data.get("move_result_reported_by", ""),
            )

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool
    ) -> None:
        """The timeline is written by the services only."""
        for formset in formsets:
            _nothing_saved(formset)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
