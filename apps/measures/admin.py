from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from apps.accounts.admin_base import OrganisationSettingsAdminMixin, OwnOrganisationAdminMixin
from apps.accounts.http import request_actor
from apps.accounts.models import Organisation
from apps.measures import priorities
from apps.measures.models import CoordinatorPanel, PrioritySettings

# --- who gets coordination first (DOMAIN 7) ------------------------------------------------


class PrioritySettingsForm(ModelForm):
    class Meta:
        model = PrioritySettings
        fields = list(priorities.PRIORITY_FIELDS)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        values = {name: data[name] for name in self.changed_data if name in data}
        for name, messages in priorities.priority_settings_errors(values).items():
            self.add_error(name, messages)
        return data


@admin.register(PrioritySettings)
class PrioritySettingsAdmin(OrganisationSettingsAdminMixin, admin.ModelAdmin):
    """The segment reductions behind the enrolment worklist's predicted benefit, the tier
    from which patients are eligible and the default panel size (one row per organisation)."""

    form = PrioritySettingsForm
    list_display = ["organisation", "eligible_from", "default_panel_size"]
    fields = ["organisation", *priorities.PRIORITY_FIELDS]
    readonly_fields = ["organisation"]

    def settings_for(self, organisation: Organisation) -> PrioritySettings:
        return priorities.priority_settings_for(organisation)

    def save_model(
        self, request: HttpRequest, obj: PrioritySettings, form: ModelForm, change: bool
    ) -> None:
        priorities.priority_settings_update(
            actor=request_actor(request),
            settings=PrioritySettings.objects.get(pk=obj.pk),
            **{name: form.cleaned_data[name] for name in form.changed_data},
        )


@admin.register(CoordinatorPanel)
class CoordinatorPanelAdmin(OwnOrganisationAdminMixin, admin.ModelAdmin):
    """A coordinator's own panel size on a team, instead of the organisation's default."""

    organisation_path = "membership__team__organisation_id"
    related = ("membership__user", "membership__team")
    list_display = ["membership", "panel_size"]
    raw_id_fields = ["membership"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["membership"] if obj else []

    def save_model(
        self, request: HttpRequest, obj: CoordinatorPanel, form: ModelForm, change: bool
    ) -> None:
        saved = priorities.coordinator_panel_set(
            actor=request_actor(request),
            membership=form.cleaned_data.get("membership") or obj.membership,
            panel_size=form.cleaned_data["panel_size"],
        )
        if saved is not None:
            obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
