from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse

from apps.accounts.http import request_actor
from apps.core.audit import audit_record
from apps.core.models import AuditAction
from apps.patients import services
from apps.patients.models import BreakGlassAccess, Patient, PatientIdentifier

PATIENT = "patients.patient"


class IdentifierInline(admin.TabularInline):
    model = PatientIdentifier
    fields = ("assigning_authority", "value", "type_code")
    readonly_fields = ("assigning_authority", "value", "type_code")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    """Admins see their own organisation's patients; every read and write is audited."""

    list_display = ["family_name", "given_name", "mrn", "date_of_birth", "care_team", "is_active"]
    list_filter = ["care_team", "is_active"]
    search_fields = ["family_name", "given_name", "=mrn"]
    list_select_related = ["care_team"]
    inlines = [IdentifierInline]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Patient]:
        patients = super().get_queryset(request)
        if request.user.is_superuser:
            return patients
        return patients.filter(organisation_id=request_actor(request).organisation_id)

    def get_readonly_fields(self, request: HttpRequest, obj: Patient | None = None) -> list[str]:
        return ["organisation", "mrn"] if obj else ["organisation"]

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        patient = super().get_object(request, object_id, from_field)
        if patient is not None:
            audit_record(
                actor=request_actor(request),
                action=AuditAction.VIEW,
                object_type=PATIENT,
                object_id=patient.pk,
                patient_id=patient.pk,
            )
        return patient

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            audit_record(
                actor=request_actor(request),
                action=AuditAction.LIST,
                object_type=PATIENT,
                patient_ids=[patient.pk for patient in changelist.result_list],
            )
        return response

    def save_model(self, request: HttpRequest, obj: Patient, form: ModelForm, change: bool) -> None:
        values = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in services.EDITABLE_FIELDS or name == "care_team"
        }
        if change:
            current = Patient.objects.get(pk=obj.pk)
            services.patient_update(actor=request_actor(request), patient=current, **values)
            return
        required = {"care_team", "mrn", "given_name", "family_name", "date_of_birth"}
        details = {
            name: value
            for name, value in form.cleaned_data.items()
            if name in services.EDITABLE_FIELDS and name not in required
        }
        created = services.patient_create(
            actor=request_actor(request),
            care_team=form.cleaned_data["care_team"],
            mrn=form.cleaned_data["mrn"],
            given_name=form.cleaned_data["given_name"],
            family_name=form.cleaned_data["family_name"],
            date_of_birth=form.cleaned_data["date_of_birth"],
            **details,
        )
        obj.pk = created.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BreakGlassAccess)
class BreakGlassAccessAdmin(admin.ModelAdmin):
    """For reviewing emergency accesses; they are granted only through the service."""

    list_display = ["created_at", "user", "patient_id", "expires_at"]
    list_filter = ["created_at"]
    readonly_fields = ["patient", "user", "reason", "expires_at", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
