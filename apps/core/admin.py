import datetime
from collections.abc import Callable
from typing import Any, cast

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date

from apps.core.audit import audit_record
from apps.core.models import AppendOnlyQuerySet, AuditAction, AuditEvent


class OccurredAtRangeFilter(admin.DateFieldListFilter):
    """The usual presets, plus any range by URL: `?occurred_at__gte=2026-01-01&
    occurred_at__lte=2026-01-31`. A bare date is a whole day in the site's time zone, so
    the "to" day is included; a full timestamp is used as it is."""

    def __init__(
        self,
        field: Any,
        request: Any,
        params: Any,
        model: Any,
        model_admin: Any,
        field_path: str,
    ) -> None:
        self.lookup_kwarg_upto = f"{field_path}__lte"
        super().__init__(field, request, params, model, model_admin, field_path)

    def expected_parameters(self) -> list[str | None]:
        return [*super().expected_parameters(), self.lookup_kwarg_upto]

    def queryset(self, request: Any, queryset: QuerySet[Any]) -> QuerySet[Any]:
        for name, next_day in ((self.lookup_kwarg_since, False), (self.lookup_kwarg_upto, True)):
            values = self.used_parameters.get(name)
            value = values[-1] if isinstance(values, list) else values
            try:
                day = parse_date(value) if isinstance(value, str) else None
            except ValueError as error:
                raise IncorrectLookupParameters(error) from error
            if day is None:
                continue
            start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
            del self.used_parameters[name]
            if next_day:
                queryset = queryset.filter(
                    **{f"{self.field_path}__lt": start + datetime.timedelta(days=1)}
                )
            else:
                queryset = queryset.filter(**{f"{self.field_path}__gte": start})
        narrowed = super().queryset(request, queryset)
        return queryset if narrowed is None else narrowed


class ReadOnlyAdminMixin:
    """For rows only services write (audit events, notifications, records of failures):
    the admin shows them and offers no add, change or delete."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Apps above core find patients for the audit search (by MRN or name) without core
# importing them: each finder returns the ids of the patients a term names that this
# request's user may look up (their own organisation's; every one for a superuser).
PatientFinder = Callable[[HttpRequest, str], list[int]]
_patient_finders: list[PatientFinder] = []


def audit_patient_finder_register(finder: PatientFinder) -> None:
    """Called from an app's ready(); registering twice is harmless."""
    if finder not in _patient_finders:
        _patient_finders.append(finder)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Searchable, read-only: the trail cannot be edited or deleted from the app.

    A superuser sees every event; other staff see the events of their organisation's users
    and of its patients."""

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
    list_filter = [
        ("occurred_at", OccurredAtRangeFilter),
        "action",
        "source",
        "break_glass",
        "object_type",
    ]
    search_fields = ["actor_username", "=patient_id", "=object_id"]
    search_help_text = "A username, a patient's MRN or name, a patient id or an object id."
    date_hierarchy = "occurred_at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields] + ["patient_ids"]
    list_per_page = 100
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        events = super().get_queryset(request)
        if request.user.is_superuser:
            return events
        organisation_id = getattr(request.user, "organisation_id", None)
        if organisation_id is None:
            return events.none()
        # By name, not import: core sits below patients in the layers.
        patient_model = apps.get_model("patients", "Patient")
        own_patients = patient_model.objects.filter(organisation_id=organisation_id)
        return events.filter(
            Q(actor__organisation_id=organisation_id) | Q(patient_id__in=own_patients.values("pk"))
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[AuditEvent], search_term: str
    ) -> tuple[QuerySet[AuditEvent], bool]:
        """A patient id, MRN or name also finds the events of that patient, including the
        list reads and exports that showed them."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if not term:
            return results, may_have_duplicates
        patient_ids = {int(term)} if term.isdigit() and len(term) <= 18 else set()
        for finder in _patient_finders:
            patient_ids.update(finder(request, term))
        if not patient_ids:
            return results, may_have_duplicates
        about = cast(AppendOnlyQuerySet, queryset).about_patients(patient_ids)
        return results | about, may_have_duplicates


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
