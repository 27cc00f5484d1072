from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from apps.accounts.admin_base import OrganisationSettingsAdminMixin, OwnOrganisationAdminMixin
from apps.accounts.http import request_actor
from apps.accounts.models import Organisation
from apps.core.admin import AuditedReadsAdminMixin
from apps.core.audit import audit_record
from apps.core.csv_export import csv_response
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.core.views import add_errors_to_form
from apps.patients import permissions, services
from apps.patients.complexity import complexity_recompute, risk_model_for, thresholds_for
from apps.patients.models import (
    AreaDeprivation,
    BreakGlassAccess,
    BreakGlassReview,
    ComplexityThresholds,
    Condition,
    ConditionStatus,
    Encounter,
    PanelImportJob,
    Patient,
    PatientComplexity,
    PatientIdentifier,
    RiskModel,
    SdohScreen,
)
from apps.patients.selectors.access_report import (
    ACCESS_REPORT_COLUMNS,
    patient_access_report,
)
from apps.patients.services import clinical
from apps.patients.services import complexity as complexity_services
from apps.patients.services.panel_import import panel_import_submit


class AccessReportForm(forms.Form):
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Included"
    )


def _day_bounds(since: Any, until: Any) -> tuple[Any, Any]:
    """Whole days in the site's time zone; the "until" day is included."""
    start = timezone.make_aware(datetime.combine(since, time.min)) if since else None
    end = (
        timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min))
        if until
        else None
    )
    return start, end


class IdentifierInline(admin.TabularInline):
    model = PatientIdentifier
    fields = ("assigning_authority", "value", "type_code")
    readonly_fields = ("assigning_authority", "value", "type_code")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _OrganisationScopedAdmin(OwnOrganisationAdminMixin, AuditedReadsAdminMixin, admin.ModelAdmin):
    """Rows of the admin's own organisation's patients; opening a row and every list page
    are audited reads (a list names the patients it showed)."""

    organisation_path = "patient__organisation_id"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _ReviewOnlyAdmin(_OrganisationScopedAdmin):
    """Rows that only a service writes (or that are derived): the admin reviews them."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(self.readonly_fields) or [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Patient)
class PatientAdmin(_OrganisationScopedAdmin):
    """Admins see their own organisation's patients; every read and write is audited."""

    organisation_path = "organisation_id"

    list_display = ["family_name", "given_name", "mrn", "date_of_birth", "care_team", "is_active"]
    list_filter = ["care_team", "is_active"]
    search_fields = ["family_name", "given_name", "=mrn"]
    list_select_related = ["care_team"]
    inlines = [IdentifierInline]
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Patient | None = None) -> list[str]:
        return ["organisation", "mrn", "access_report"] if obj else ["organisation"]

    def audit_patient_id(self, obj: Patient) -> int:
        return obj.pk

    @admin.display(description="Who saw this record")
    def access_report(self, obj: Patient) -> str:
        url = reverse("admin:patients_patient_access_report", args=[obj.pk])
        return format_html('<a href="{}">Access report</a>', url)

    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "<int:patient_id>/access-report/",
                self.admin_site.admin_view(self.access_report_view),
                name="patients_patient_access_report",
            )
        ]
        return extra + super().get_urls()

    def access_report_view(self, request: HttpRequest, patient_id: int) -> HttpResponse:
        """Who saw this patient's record, when and through which door; `?format=csv`
        downloads it (formula-escaped). Producing it is audited (a view, or an export)."""
        patient = self.get_queryset(request).filter(pk=patient_id).first()
        if patient is None or not self.has_view_permission(request, patient):
            raise Http404("No such patient.")
        form = AccessReportForm(request.GET or None)
        window = form.cleaned_data if form.is_valid() else {}
        since, until = _day_bounds(window.get("since"), window.get("until"))
        rows = patient_access_report(patient=patient, since=since, until=until)
        as_csv = request.GET.get("format") == "csv"
        audit_record(
            actor=request_actor(request),
            action=AuditAction.EXPORT if as_csv else AuditAction.VIEW,
            object_type=Patient,
            object_id=patient.pk,
            patient_id=patient.pk,
            detail={"report": "access", "rows": len(rows)},
        )
        if as_csv:
            response, writer = csv_response(f"access-report-{patient.pk}.csv")
            writer.writerow(ACCESS_REPORT_COLUMNS)
            writer.writerows(row.cells() for row in rows)
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": f"Who saw {patient.family_name}, {patient.given_name} (MRN {patient.mrn})",
            "patient": patient,
            "rows": rows,
            "form": form,
            "columns": ACCESS_REPORT_COLUMNS,
            "opts": self.model._meta,
            "query": request.GET.urlencode(),
        }
        return render(request, "admin/patients/access_report.html", context)

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


class BreakGlassReviewFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("overdue", f"Unreviewed after {settings.BREAK_GLASS_REVIEW_DAYS} days"),
            ("unreviewed", "Unreviewed"),
            ("reviewed", "Reviewed"),
            ("inappropriate", "Not appropriate"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "overdue":
            return queryset.filter(reviewed_at__isnull=True, created_at__lt=_review_due_before())
        if value == "unreviewed":
            return queryset.filter(reviewed_at__isnull=True)
        if value == "reviewed":
            return queryset.filter(reviewed_at__isnull=False)
        if value == "inappropriate":
            return queryset.filter(review_outcome=BreakGlassReview.INAPPROPRIATE)
        return queryset


def _review_due_before() -> Any:
    return timezone.now() - timedelta(days=settings.BREAK_GLASS_REVIEW_DAYS)


class BreakGlassReviewForm(ModelForm):
    class Meta:
        model = BreakGlassAccess
        fields = ["review_outcome", "review_note"]


REVIEW_FIELDS = (
    "patient",
    "user",
    "reason_code",
    "reason",
    "created_at",
    "expires_at",
    "review_outcome",
    "review_note",
    "reviewed_by",
    "reviewed_at",
)


@admin.register(BreakGlassAccess)
class BreakGlassAccessAdmin(_ReviewOnlyAdmin):
    """The privacy officer's review queue: emergency accesses are granted only through the
    service; a privacy officer (staff with "Can review emergency accesses") marks each
    appropriate or not with a note. Unreviewed ones older than BREAK_GLASS_REVIEW_DAYS
    are flagged. Each read of this queue is audited."""

    form = BreakGlassReviewForm
    list_display = [
        "created_at",
        "user",
        "patient_id",
        "reason_code",
        "expires_at",
        "review_state",
        "reviewed_by",
    ]
    list_filter = [BreakGlassReviewFilter, "reason_code", "created_at"]
    list_select_related = ["user", "reviewed_by"]
    ordering = ["reviewed_at", "created_at"]
    show_full_result_count = False
    fields = REVIEW_FIELDS

    @admin.display(description="Review")
    def review_state(self, obj: BreakGlassAccess) -> str:
        if obj.reviewed_at is not None:
            return obj.get_review_outcome_display()
        if obj.created_at < _review_due_before():
            return f"OVERDUE: unreviewed after {settings.BREAK_GLASS_REVIEW_DAYS} days"
        return "Awaiting review"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        everything = [
            name for name in REVIEW_FIELDS if name not in ("review_outcome", "review_note")
        ]
        if obj is not None and obj.reviewed_at is None and self._may_review(request, obj):
            return everything
        return [*everything, "review_outcome", "review_note"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return request_actor(request).has_perm("patients.review_breakglassaccess")
        return obj.reviewed_at is None and self._may_review(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) or request_actor(request).has_perm(
            "patients.review_breakglassaccess"
        )

    def _may_review(self, request: HttpRequest, obj: BreakGlassAccess) -> bool:
        return permissions.can_review_break_glass(request_actor(request), obj)

    def save_model(
        self, request: HttpRequest, obj: BreakGlassAccess, form: ModelForm, change: bool
    ) -> None:
        current = BreakGlassAccess.objects.select_related("patient").get(pk=obj.pk)
        services.break_glass_review(
            actor=request_actor(request),
            access=current,
            outcome=form.cleaned_data["review_outcome"],
            note=form.cleaned_data.get("review_note", ""),
        )

    def get_form(  # type: ignore[override]
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form_class = super().get_form(request, obj, change, **kwargs)

        class Checked(form_class):  # type: ignore[misc, valid-type]
            """The service's own refusals, on the form, before anything is saved."""

            def clean(self) -> dict[str, Any]:
                data = super().clean() or {}
                if obj is not None and "review_outcome" in self.fields:
                    try:
                        services.break_glass_review_check(
                            access=obj,
                            outcome=data.get("review_outcome") or "",
                            note=data.get("review_note") or "",
                        )
                    except ApplicationError as error:
                        add_errors_to_form(self, error)
                return data

        return Checked


# --- complex-needs evidence: every write goes through the services ---------------------


class _CheckedByServiceForm(ModelForm):
    """An add form checked by the service's own builder: the admin refuses what the chart
    refuses, with the same message on the same field."""

    def build(self, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("patient"):
            try:
                self.build(data)
            except ApplicationError as error:
                add_errors_to_form(self, error)
        return data


class ConditionAdminForm(_CheckedByServiceForm):
    class Meta:
        model = Condition
        fields = ["patient", "code", "onset_date"]

    def build(self, data: dict[str, Any]) -> None:
        if data.get("code"):
            built = clinical.condition_build(
                patient=data["patient"], code=data["code"], onset_date=data.get("onset_date")
            )
            data["code"] = built.code


@admin.register(Condition)
class ConditionAdmin(_OrganisationScopedAdmin):
    form = ConditionAdminForm
    list_display = ["patient", "code", "title", "status", "onset_date", "resolved_date"]
    list_filter = ["status"]
    search_fields = ["=code", "=patient__mrn"]
    list_select_related = ["patient"]
    raw_id_fields = ["patient"]
    actions = ["resolve_today"]
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return ["patient", "code", "title", "status", "onset_date", "resolved_date"]

    def save_model(
        self, request: HttpRequest, obj: Condition, form: ModelForm, change: bool
    ) -> None:
        if change:
            return
        created = clinical.condition_add(
            actor=request_actor(request),
            patient=form.cleaned_data["patient"],
            code=form.cleaned_data["code"],
            onset_date=form.cleaned_data.get("onset_date"),
        )
        obj.pk = created.pk

    @admin.action(description="Resolve the selected conditions today")
    def resolve_today(self, request: HttpRequest, queryset: QuerySet[Condition]) -> None:
        done = 0
        for condition in queryset.filter(status=ConditionStatus.ACTIVE).select_related("patient"):
            clinical.condition_resolve(actor=request_actor(request), condition=condition)
            done += 1
        self.message_user(request, f"{done} condition(s) resolved.")


class EncounterAdminForm(_CheckedByServiceForm):
    class Meta:
        model = Encounter
        fields = ["patient", *clinical.ENCOUNTER_FIELDS]

    def build(self, data: dict[str, Any]) -> None:
        values: dict[str, Any] = {name: data.get(name) for name in self.Meta.fields}
        clinical.encounter_build(**values)


@admin.register(Encounter)
class EncounterAdmin(_OrganisationScopedAdmin):
    form = EncounterAdminForm
    list_display = ["patient", "kind", "admit_date", "discharge_date", "attending_provider", "cost"]
    list_filter = ["kind"]
    search_fields = ["=patient__mrn", "attending_provider"]
    list_select_related = ["patient"]
    raw_id_fields = ["patient"]
    date_hierarchy = "admit_date"
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(EncounterAdminForm.Meta.fields) if obj else []

    def save_model(
        self, request: HttpRequest, obj: Encounter, form: ModelForm, change: bool
    ) -> None:
        if change:
            return
        values: dict[str, Any] = {
            name: form.cleaned_data.get(name) for name in EncounterAdminForm.Meta.fields
        }
        created = clinical.encounter_add(actor=request_actor(request), **values)
        obj.pk = created.pk


@admin.register(SdohScreen)
class SdohScreenAdmin(_ReviewOnlyAdmin):
    """Screens are run from the chart (the question form); here they are reviewed."""

    list_display = ["patient", "screened_on", "screened_by", "positive_summary", "safety_score"]
    list_filter = ["housing_positive", "food_positive", "transportation_positive"]
    search_fields = ["=patient__mrn"]
    list_select_related = ["patient", "screened_by"]
    show_full_result_count = False

    @admin.display(description="positive domains")
    def positive_summary(self, screen: SdohScreen) -> str:
        return ", ".join(screen.positive_domain_labels) or "none"


class AreaDeprivationAdminForm(ModelForm):
    class Meta:
        model = AreaDeprivation
        fields = [
            "patient",
            "national_percentile",
            "state_decile",
            "suppression_code",
            "block_group",
        ]


@admin.register(AreaDeprivation)
class AreaDeprivationAdmin(_OrganisationScopedAdmin):
    form = AreaDeprivationAdminForm
    list_display = ["patient", "national_percentile", "state_decile", "suppression_code"]
    list_filter = ["suppression_code", "state_decile"]
    search_fields = ["=patient__mrn", "=block_group"]
    list_select_related = ["patient"]
    raw_id_fields = ["patient"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["patient"] if obj else []

    def save_model(
        self, request: HttpRequest, obj: AreaDeprivation, form: ModelForm, change: bool
    ) -> None:
        saved = clinical.patient_area_deprivation_set(
            actor=request_actor(request),
            patient=obj.patient,
            national_percentile=form.cleaned_data.get("national_percentile"),
            state_decile=form.cleaned_data.get("state_decile"),
            suppression_code=form.cleaned_data.get("suppression_code") or "",
            block_group=form.cleaned_data.get("block_group") or "",
        )
        obj.pk = saved.pk


@admin.register(ComplexityThresholds)
class ComplexityThresholdsAdmin(OrganisationSettingsAdminMixin, admin.ModelAdmin):
    """One row per organisation, made with the defaults on first use; saving recomputes."""

    list_display = [
        "organisation",
        "cci_min",
        "acute_events_min",
        "cost_percentile_min",
        "adi_percentile_min",
        "hrsn_domains_min",
    ]
    fields = ["organisation", *complexity_services.THRESHOLD_FIELDS]
    readonly_fields = ["organisation"]

    def settings_for(self, organisation: Organisation) -> ComplexityThresholds:
        return thresholds_for(organisation)

    def save_model(
        self, request: HttpRequest, obj: ComplexityThresholds, form: ModelForm, change: bool
    ) -> None:
        current = ComplexityThresholds.objects.get(pk=obj.pk)
        complexity_services.complexity_thresholds_update(
            actor=request_actor(request),
            thresholds=current,
            **{name: form.cleaned_data[name] for name in form.changed_data},
        )
        self.message_user(request, "Saved. The organisation's patients are being recomputed.")


class RiskModelAdminForm(ModelForm):
    class Meta:
        model = RiskModel
        fields = list(complexity_services.RISK_MODEL_FIELDS)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        values = {name: data[name] for name in self.changed_data if name in data}
        errors = complexity_services.risk_model_errors(
            RiskModel.objects.get(pk=self.instance.pk), values
        )
        for name, messages in errors.items():
            # The model's own constraint already says when the cut points do not rise.
            wanted = [text for text in messages if text != complexity_services.CUT_POINTS_RISE]
            if wanted:
                self.add_error(name, wanted)
        return data


@admin.register(RiskModel)
class RiskModelAdmin(OrganisationSettingsAdminMixin, admin.ModelAdmin):
    """The admission-risk model's coefficients and tier cut points, one row per
    organisation (illustrative defaults: see apps.patients.risk); saving recomputes."""

    form = RiskModelAdminForm
    list_display = ["organisation", "intercept", "rising_from", "high_from", "very_high_from"]
    fields = ["organisation", *complexity_services.RISK_MODEL_FIELDS]
    readonly_fields = ["organisation"]

    def settings_for(self, organisation: Organisation) -> RiskModel:
        return risk_model_for(organisation)

    def save_model(
        self, request: HttpRequest, obj: RiskModel, form: ModelForm, change: bool
    ) -> None:
        current = RiskModel.objects.get(pk=obj.pk)
        complexity_services.risk_model_update(
            actor=request_actor(request),
            model=current,
            **{name: form.cleaned_data[name] for name in form.changed_data},
        )
        self.message_user(request, "Saved. The organisation's risk tiers are being recomputed.")


@admin.register(PatientComplexity)
class PatientComplexityAdmin(_ReviewOnlyAdmin):
    """Derived rows, for review; recomputation is the only writer."""

    organisation_path = "organisation_id"
    list_display = [
        "patient",
        "is_complex",
        "cci",
        "acute_events_12m",
        "cost_percentile",
        "hrsn_positive_count",
        "adi_percentile",
        "risk_tier",
        "risk_probability",
        "computed_at",
    ]
    list_filter = ["is_complex", "clinical_met", "utilization_met", "social_met", "risk_tier"]
    search_fields = ["=patient__mrn"]
    list_select_related = ["patient"]
    actions = ["recompute"]
    show_full_result_count = False

    @admin.action(description="Recompute the organisation of the selected rows now")
    def recompute(self, request: HttpRequest, queryset: QuerySet[PatientComplexity]) -> None:
        organisations = set(queryset.values_list("organisation_id", flat=True))
        for organisation_id in organisations:
            complexity_recompute(organisation_id=organisation_id, actor=request_actor(request))
        self.message_user(request, f"Recomputed {len(organisations)} organisation(s).")


class PanelImportForm(ModelForm):
    file = forms.FileField(
        help_text="CSV with a header; the record column says patient, condition or encounter."
    )

    class Meta:
        model = PanelImportJob
        fields = ["dry_run"]


@admin.register(PanelImportJob)
class PanelImportJobAdmin(OwnOrganisationAdminMixin, admin.ModelAdmin):
    """Upload a panel CSV; the job runs in a worker and its page shows its progress live."""

    list_display = [
        "pk",
        "file_name",
        "dry_run",
        "status",
        "total_rows",
        "created_by",
        "created_at",
    ]
    list_filter = ["status", "dry_run"]
    change_form_template = "patients/admin_import_change_form.html"

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):  # type: ignore[override]
        if obj is None:
            kwargs["form"] = PanelImportForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:  # type: ignore[override]
        if obj is None:
            return ["file", "dry_run"]
        return ["file_name", "dry_run", "status", "total_rows", "created_by", "created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return ["file_name", "dry_run", "status", "total_rows", "created_by", "created_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: PanelImportJob, form: ModelForm, change: bool
    ) -> None:
        actor = request_actor(request)
        upload = form.cleaned_data["file"]
        organisation = actor.organisation
        if organisation is None:
            raise PermissionDenied("Administrators without an organisation cannot import.")
        job = panel_import_submit(
            actor=actor,
            organisation=organisation,
            file_name=upload.name,
            content=upload.read(),
            dry_run=form.cleaned_data["dry_run"],
        )
        obj.pk = job.pk

    def response_add(
        self, request: HttpRequest, obj: PanelImportJob, post_url_continue: Any = None
    ):  # type: ignore[override]
        return redirect("admin:patients_panelimportjob_change", obj.pk)

    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "<int:job_id>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="patients_panelimportjob_progress",
            )
        ]
        return extra + super().get_urls()

    def progress_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self.get_queryset(request).filter(pk=job_id).first()
        if job is None:
            raise Http404("No such import.")
        return render(request, "patients/_import_progress.html", {"job": job})
