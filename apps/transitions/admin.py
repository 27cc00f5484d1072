from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from apps.accounts.admin_base import OrganisationSettingsAdminMixin, OwnOrganisationAdminMixin
from apps.accounts.http import request_actor
from apps.accounts.models import Organisation
from apps.core.admin import AuditedReadsAdminMixin, ReadOnlyAdminMixin
from apps.transitions.models import Episode, Handoff, TransitionSettings
from apps.transitions.selectors import transition_settings_for
from apps.transitions.services.settings import EDITABLE, transition_settings_update


@admin.register(TransitionSettings)
class TransitionSettingsAdmin(OrganisationSettingsAdminMixin, admin.ModelAdmin):
    """Follow-up rules and chain-risk weights; saved through the settings service."""

    list_display = [
        "organisation",
        "contact_business_days",
        "visit_days_high",
        "visit_days_moderate",
        "readmission_window_days",
    ]
    readonly_fields = ["organisation"]
    fieldsets = (
        (None, {"fields": ("organisation",)}),
        (
            "Follow-up after a discharge home",
            {
                "fields": (
                    "contact_business_days",
                    "visit_days_high",
                    "visit_days_moderate",
                    "default_complexity",
                    "due_time",
                    "readmission_window_days",
                )
            },
        ),
        (
            "Chain risk (probabilities 0 to 0.999)",
            {
                "fields": (
                    "base_handoff_failure",
                    "weight_summary_missing",
                    "weight_reconciliation_missing",
                    "weight_verification_missing",
                    "weight_follow_up_not_booked",
                    "weight_teach_back_missing",
                    "weight_plan_review_missing",
                )
            },
        ),
    )

    def settings_for(self, organisation: Organisation) -> TransitionSettings:
        return transition_settings_for(organisation)

    def save_model(
        self, request: HttpRequest, obj: TransitionSettings, form: ModelForm, change: bool
    ) -> None:
        values = {name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE}
        current = TransitionSettings.objects.get(pk=obj.pk)
        transition_settings_update(actor=request_actor(request), settings=current, **values)


HANDOFF_FIELDS = [
    "sequence",
    "kind",
    "occurred_at",
    "from_setting",
    "to_setting",
    "source",
    "cancelled_at",
]


class HandoffInline(admin.TabularInline):
    model = Handoff
    fields = tuple(HANDOFF_FIELDS)
    readonly_fields = tuple(HANDOFF_FIELDS)
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Episode)
class EpisodeAdmin(
    OwnOrganisationAdminMixin, ReadOnlyAdminMixin, AuditedReadsAdminMixin, admin.ModelAdmin
):
    """Read-only: transitions are recorded through ADT, the manual entry page or the API.
    Opening an episode or a list of them is an audited read of those patients."""

    list_display = ["id", "patient_id", "status", "started_at", "ended_at", "readmitted_at"]
    list_filter = ["status"]
    list_select_related = ["patient"]
    organisation_path = "patient__organisation_id"
    inlines = [HandoffInline]
    show_full_result_count = False
    readonly_fields = [
        "patient",
        "status",
        "started_at",
        "ended_at",
        "complexity",
        "watch_until",
        "readmission_of",
        "readmitted_at",
    ]
