"""Registering partner systems (FHIR clients) and reviewing bulk exports."""

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.http import HttpRequest

from apps.accounts.admin_base import OwnOrganisationAdminMixin
from apps.accounts.http import request_actor
from apps.accounts.models import Organisation
from apps.accounts.permissions import own_organisation_rows
from apps.core.exceptions import ApplicationError
from apps.fhir.models import FhirClient, FhirExport
from apps.fhir.services import CLIENT_FIELDS, client_errors, fhir_client_save
from apps.referrals.models import ResourceOrganisation


class FhirClientForm(ModelForm):
    class Meta:
        model = FhirClient
        fields = ("organisation", *CLIENT_FIELDS)

    def clean(self) -> dict[str, Any]:
        """The service's rules, shown on the form before anything is saved."""
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        organisation = cleaned.get("organisation") or getattr(self.instance, "organisation", None)
        client = FhirClient(pk=self.instance.pk, organisation=organisation)
        for name in CLIENT_FIELDS:
            setattr(client, name, cleaned.get(name))
        errors = client_errors(client)
        if errors:
            raise ValidationError(errors)
        return cleaned


@admin.register(FhirClient)
class FhirClientAdmin(OwnOrganisationAdminMixin, admin.ModelAdmin):
    form = FhirClientForm
    list_display = ["name", "client_id", "resource_organisation", "scopes", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "client_id"]
    related = ("resource_organisation",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["organisation"] if obj else []

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        actor = request_actor(request)
        if db_field.name == "resource_organisation":
            kwargs["queryset"] = own_organisation_rows(
                actor, ResourceOrganisation.objects.all(), "organisation_id"
            )
        if db_field.name == "organisation":
            kwargs["queryset"] = own_organisation_rows(actor, Organisation.objects.all(), "pk")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: FhirClient, form: ModelForm, change: bool
    ) -> None:
        values = {name: form.cleaned_data[name] for name in CLIENT_FIELDS}
        target = FhirClient.objects.get(pk=obj.pk) if change else obj
        try:
            saved = fhir_client_save(actor=request_actor(request), client=target, values=values)
        except ApplicationError as error:
            raise ValidationError(error.field_errors or error.message) from error
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FhirExport)
class FhirExportAdmin(OwnOrganisationAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "status", "requested_by", "client", "team", "created_at", "expires_at"]
    list_filter = ["status"]
    related = ("requested_by", "client", "team")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in FhirExport._meta.fields]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
