"""Registering partner systems (FHIR clients), reviewing bulk exports, and uploading FHIR
files to import (with their jobs and what each resource became)."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from apps.accounts.admin_base import OwnOrganisationAdminMixin
from apps.accounts.http import request_actor
from apps.core.exceptions import ApplicationError
from apps.fhir.importing.uploads import SUFFIXES, fhir_import_submit
from apps.fhir.models import FhirClient, FhirExport, FhirImportJob, FhirImportRecord
from apps.fhir.services import CLIENT_FIELDS, client_errors, fhir_client_save
from apps.patients.permissions import can_import_records


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


# --- import side ---------------------------------------------------------------------------


class FhirImportForm(ModelForm):
    file = forms.FileField(
        help_text="A FHIR R4 Bundle (.json: collection, transaction or searchset) or NDJSON "
        "(.ndjson: one resource a line, as a bulk $export writes)."
    )

    class Meta:
        model = FhirImportJob
        fields = ["source", "dry_run"]
        help_texts = {
            "source": "The system the records come from, shown beside every imported row.",
            "dry_run": "Only report what would happen; write nothing.",
        }

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not any(upload.name.lower().endswith(suffix) for suffix in SUFFIXES):
            raise forms.ValidationError("Upload a .json Bundle or an .ndjson file.")
        return upload


REPORT_FIELDS = [
    "file_name",
    "source",
    "dry_run",
    "status",
    "processed_resources",
    "created_by",
    "created_at",
    "finished_at",
]


@admin.register(FhirImportJob)
class FhirImportJobAdmin(OwnOrganisationAdminMixin, admin.ModelAdmin):
    """Upload FHIR records; a worker imports them and the page shows progress, then the report."""

    list_display = ["pk", "file_name", "source", "dry_run", "status", "created_by", "created_at"]
    list_filter = ["status", "dry_run"]
    change_form_template = "fhir/admin_import_change_form.html"

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):  # type: ignore[override]
        if obj is None:
            kwargs["form"] = FhirImportForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:  # type: ignore[override]
        return ["file", "source", "dry_run"] if obj is None else REPORT_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if obj is None else REPORT_FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        actor = request_actor(request)
        return (
            super().has_add_permission(request)
            and actor.organisation_id is not None
            and can_import_records(actor, actor.organisation_id)
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: FhirImportJob, form: ModelForm, change: bool
    ) -> None:
        actor = request_actor(request)
        if actor.organisation_id is None:
            raise PermissionDenied("Administrators without an organisation cannot import.")
        upload = form.cleaned_data["file"]
        job = fhir_import_submit(
            actor=actor,
            organisation_id=actor.organisation_id,
            source=form.cleaned_data["source"],
            file_name=upload.name,
            chunks=upload.chunks(),
            dry_run=form.cleaned_data["dry_run"],
        )
        obj.pk = job.pk

    def response_add(self, request: HttpRequest, obj: FhirImportJob, post_url_continue: Any = None):  # type: ignore[override]
        return redirect("admin:fhir_fhirimportjob_change", obj.pk)

    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "<int:job_id>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="fhir_fhirimportjob_progress",
            )
        ]
        return extra + super().get_urls()

    def progress_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        job = self.get_queryset(request).filter(pk=job_id).first()
        if job is None:
            raise Http404("No such import.")
        return render(request, "fhir/_import_progress.html", {"job": job})


@admin.register(FhirImportRecord)
class FhirImportRecordAdmin(OwnOrganisationAdminMixin, admin.ModelAdmin):
    """What each source has sent (type, id, version) and the chart row it became; read-only."""

    list_display = [
        "resource_type",
        "fhir_id",
        "version_id",
        "source",
        "target_type",
        "target_id",
        "received_at",
    ]
    list_filter = ["resource_type", "source"]
    search_fields = ["fhir_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- end of the import side ----------------------------------------------------------------
