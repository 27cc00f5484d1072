from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.accounts.admin_base import OwnOrganisationAdminMixin
from apps.accounts.http import request_actor
from apps.core.admin import ReadOnlyAdminMixin
from apps.core.exceptions import ApplicationError
from apps.core.refusals import audit_refused_request
from apps.interop.models import AdtMessage, AdtStatus, PatientMatchRequest
from apps.interop.permissions import can_replay_adt
from apps.interop.selectors import adt_message_raw_for_user
from apps.interop.services import adt_message_dismiss, adt_message_replay


@admin.register(AdtMessage)
class AdtMessageAdmin(OwnOrganisationAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The ADT store, read-only; opening a message (its raw text) is audited.

    Refused messages and control id clashes are worked here: replayed once
    their cause is fixed, or dismissed when they will never apply.
    """

    list_display = [
        "created_at",
        "event_code",
        "sending_facility",
        "control_id",
        "channel",
        "status",
        "ack_code",
        "clash_of",
    ]
    list_filter = ["status", "event_code", "channel", "ack_code"]
    search_fields = ["=control_id"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    # The bytes as received stay out of the page: the raw text shows them escaped.
    readonly_fields = [field.name for field in AdtMessage._meta.fields if field.name != "raw_bytes"]
    actions = ["replay", "dismiss"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AdtMessage]:
        return super().get_queryset(request).defer("raw", "raw_bytes", "ack")

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        found = super().get_object(request, object_id, from_field)
        if found is None:
            return None
        return adt_message_raw_for_user(user=request_actor(request), message_id=found.pk)

    def has_replay_permission(self, request: HttpRequest) -> bool:
        actor = request_actor(request)
        return can_replay_adt(actor, actor.organisation_id or 0)

    @admin.action(description="Replay the selected refused messages", permissions=["replay"])
    def replay(self, request: HttpRequest, queryset: QuerySet[AdtMessage]) -> None:
        actor = request_actor(request)
        outcomes: dict[str, int] = {}
        for message in queryset.order_by("created_at", "pk"):
            try:
                replayed = adt_message_replay(actor=actor, message=message)
            except (ApplicationError, PermissionDenied) as error:
                audit_refused_request(request, error, obj=message)
                self.message_user(
                    request, f"Message {message.control_id or message.pk}: {error}", messages.ERROR
                )
                continue
            label = AdtStatus(replayed.status).label
            outcomes[label] = outcomes.get(label, 0) + 1
        if outcomes:
            summary = "; ".join(f"{count} {label.lower()}" for label, count in outcomes.items())
            self.message_user(request, f"Replayed: {summary}.", messages.SUCCESS)

    @admin.action(
        description="Dismiss the selected refused or clashing messages (never applied)",
        permissions=["replay"],
    )
    def dismiss(self, request: HttpRequest, queryset: QuerySet[AdtMessage]) -> None:
        actor = request_actor(request)
        dismissed = 0
        for message in queryset.order_by("created_at", "pk"):
            reason = f"{AdtStatus(message.status).label.split(':')[0]}; dismissed in the admin"
            try:
                adt_message_dismiss(actor=actor, message=message, reason=reason)
            except (ApplicationError, PermissionDenied) as error:
                self.message_user(
                    request, f"Message {message.control_id or message.pk}: {error}", messages.ERROR
                )
                continue
            dismissed += 1
        if dismissed:
            self.message_user(request, f"Dismissed: {dismissed}.", messages.SUCCESS)


@admin.register(PatientMatchRequest)
class PatientMatchRequestAdmin(OwnOrganisationAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Review only: matching happens on the queue page, through the match service."""

    list_display = ["created_at", "kind", "status", "message", "resolved_by", "resolved_at"]
    list_filter = ["status", "kind"]
    show_full_result_count = False
    readonly_fields = [
        "organisation",
        "message",
        "kind",
        "status",
        "identifiers",
        "patient",
        "other_patient",
        "review",
        "resolved_by",
        "resolved_at",
        "resolution_note",
    ]
    exclude = ["family_name", "given_name", "date_of_birth", "sex"]
