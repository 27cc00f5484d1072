from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.core.models import AuditEvent


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
