from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from apps.core.audit import audit_record
from apps.core.models import AuditAction, AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Searchable, read-only: the trail cannot be edited or deleted from the app."""

    list_display = [
        "occurred_at",
        "actor_username",
        "action",
        "source",
        "object_type",
        "object_id",
        "patient_id",
        "break_glass",
        "ip_address",
    ]
    list_filter = ["action", "source", "break_glass", "object_type"]
    search_fields = ["actor_username", "=patient_id", "=object_id"]
    date_hierarchy = "occurred_at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields] + ["patient_ids"]
    list_per_page = 100
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedReadsAdminMixin:
    """For admins of patient data: opening a row or a list page is an audited read.

    The model's rows name their patient in `patient_id` (a Patient itself in `pk`).
    """

    audit_object_type: str = ""

    def audit_patient_id(self, obj: Any) -> int:
        return obj.patient_id

    def _audit_type(self, obj: Any = None) -> str:
        return self.audit_object_type or self.model._meta.label_lower  # type: ignore[attr-defined]

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is not None:
            audit_record(
                actor=request.user,
                action=AuditAction.VIEW,
                object_type=self._audit_type(),
                object_id=obj.pk,
                patient_id=self.audit_patient_id(obj),
            )
        return obj

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            audit_record(
                actor=request.user,
                action=AuditAction.LIST,
                object_type=self._audit_type(),
                patient_ids=sorted({self.audit_patient_id(row) for row in changelist.result_list}),
            )
        return response
