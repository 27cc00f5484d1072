"""The chart's time and consent section (htmx), a time entry's edit page, and the monthly
billing report with its CSV and the closing of a month."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts.http import AuthenticatedHttpRequest
from apps.core.csv_export import csv_response
from apps.core.exceptions import NotFoundError
from apps.core.form_actions import form_write
from apps.core.form_input import cleaned_or_refused, form_refusal
from apps.core.htmx import htmx_action
from apps.core.views import is_htmx
from apps.measures import billing_selectors as selectors
from apps.measures import billing_services as services
from apps.measures import permissions
from apps.measures.billing_codes import CODES
from apps.measures.billing_forms import (
    BillingFilterForm,
    ConsentForm,
    RevokeForm,
    TimeEntryForm,
    TimerStartForm,
)
from apps.patients.models import Patient
from apps.patients.selectors import patient_get_for_user

# --- the chart section --------------------------------------------------------------------

# The timer's fields share names with the manual entry's on the same page.
TIMER_PREFIX = "timer"


def _section(
    request: AuthenticatedHttpRequest, patient: Patient, status: int = 200
) -> HttpResponse:
    time = selectors.patient_time_for_user(user=request.user, patient=patient)
    with timezone.override(patient.organisation.zone):
        context = {
            "patient": patient,
            "time": time,
            "now": timezone.now(),
            "can_log": permissions.can_log_time(request.user, patient),
            "timer_form": TimerStartForm(prefix=TIMER_PREFIX),
            "entry_form": TimeEntryForm(
                initial={"started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
            ),
            "consent_form": ConsentForm(initial={"given_on": timezone.localdate()}),
            "revoke_form": RevokeForm(initial={"revoked_on": timezone.localdate()}),
        }
        return render(request, "measures/_time_section.html", context, status=status)


def _after_action(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    if is_htmx(request):
        return _section(request, patient)
    return redirect("patients:chart", patient_id=patient.pk)


@login_required
@require_GET
def time_section(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    return _section(request, patient)


@login_required
@require_POST
@htmx_action
def timer_start(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    data = cleaned_or_refused(
        TimerStartForm(request.POST, prefix=TIMER_PREFIX), "The timer could not start."
    )
    services.time_timer_start(
        actor=request.user,
        patient=patient,
        activity=data["activity"],
        clinical_staff_time=data["clinical_staff_time"],
    )
    return _after_action(request, patient)


@login_required
@require_POST
@htmx_action
def timer_stop(request: AuthenticatedHttpRequest, entry_id: int) -> HttpResponse:
    entry = selectors.time_entry_get_for_user(user=request.user, entry_id=entry_id)
    logged = services.time_timer_stop(actor=request.user, entry=entry)
    if logged is None:
        messages.info(request, "Under a minute: nothing was logged.")
    return _after_action(request, entry.patient)


@login_required
@require_POST
@htmx_action
def timer_discard(request: AuthenticatedHttpRequest, entry_id: int) -> HttpResponse:
    entry = selectors.time_entry_get_for_user(user=request.user, entry_id=entry_id)
    services.time_timer_discard(actor=request.user, entry=entry)
    return _after_action(request, entry.patient)


@login_required
@require_POST
@htmx_action
def time_add(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    with timezone.override(patient.organisation.zone):
        data = cleaned_or_refused(TimeEntryForm(request.POST), "The time could not be logged.")
    services.time_entry_create(actor=request.user, patient=patient, **data)
    return _after_action(request, patient)


@login_required
@require_http_methods(["GET", "POST"])
def time_edit(request: AuthenticatedHttpRequest, entry_id: int) -> HttpResponse:
    entry = selectors.time_entry_get_for_user(user=request.user, entry_id=entry_id)
    permissions.require_can_change_time_entry(request.user, entry)
    with timezone.override(entry.organisation.zone):
        initial: dict[str, Any] = {
            "started_at": timezone.localtime(entry.started_at).strftime("%Y-%m-%dT%H:%M"),
            "minutes": entry.minutes,
            "activity": entry.activity,
            "clinical_staff_time": entry.clinical_staff_time,
            "note": entry.note,
        }
        form = TimeEntryForm(request.POST if request.method == "POST" else None, initial=initial)
        if request.method == "POST" and form_write(
            form,
            lambda data: services.time_entry_change(actor=request.user, entry=entry, values=data),
        ):
            messages.success(request, "Time entry changed.")
            return redirect("patients:chart", patient_id=entry.patient_id)
        status = 400 if form.is_bound and form.errors else 200
        return render(
            request, "measures/time_edit.html", {"form": form, "entry": entry}, status=status
        )


@login_required
@require_POST
@htmx_action
def time_delete(request: AuthenticatedHttpRequest, entry_id: int) -> HttpResponse:
    entry = selectors.time_entry_get_for_user(user=request.user, entry_id=entry_id)
    services.time_entry_delete(actor=request.user, entry=entry)
    messages.success(request, "Time entry removed.")
    return redirect("patients:chart", patient_id=entry.patient_id)


@login_required
@require_POST
@htmx_action
def consent_add(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    data = cleaned_or_refused(ConsentForm(request.POST), "The consent could not be recorded.")
    services.consent_record(actor=request.user, patient=patient, **data)
    return _after_action(request, patient)


@login_required
@require_POST
@htmx_action
def consent_revoke(request: AuthenticatedHttpRequest, consent_id: int) -> HttpResponse:
    consent = selectors.consent_get_for_user(user=request.user, consent_id=consent_id)
    form = RevokeForm(request.POST)
    data = cleaned_or_refused(form, "The revocation could not be recorded.")
    services.consent_revoke(actor=request.user, consent=consent, **data)
    return _after_action(request, consent.patient)


# --- the billing report --------------------------------------------------------------------


def _report(
    request: AuthenticatedHttpRequest, *, export: bool = False
) -> tuple[BillingFilterForm, selectors.BillingReport]:
    if request.user.organisation_id is None:
        raise NotFoundError("No practice.")
    form = BillingFilterForm(request.GET, user=request.user)
    if not form.is_valid():
        raise form_refusal(form, "The report could not be shown.")
    report = selectors.billing_report_for_user(
        user=request.user,
        month=form.cleaned_data["month"],
        team_id=form.cleaned_data["team"],
        export=export,
    )
    return form, report


@login_required
@require_GET
def billing_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, report = _report(request)
    context = {
        "form": form,
        "report": report,
        "codes": CODES.values(),
        "export_url": f"{reverse('measures:billing_export')}?{request.GET.urlencode()}",
    }
    return render(request, "measures/billing.html", context)


BILLING_COLUMNS = (
    "month",
    "mrn",
    "family_name",
    "given_name",
    "team",
    "clinical_staff_minutes",
    "practitioner_minutes",
    "consent",
    "chronic_conditions",
    "codes",
    "why_not",
    "closed",
)


@login_required
@require_GET
def billing_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The report as CSV, for the billing office; audited as an export of its patients."""
    _form, report = _report(request, export=True)
    response, writer = csv_response(f"billing-{report.month:%Y-%m}.csv")
    writer.writerow(BILLING_COLUMNS)
    for row in report.rows:
        writer.writerow(
            [
                f"{report.month:%Y-%m}",
                row.mrn,
                row.family_name,
                row.given_name,
                row.team_name,
                row.staff_minutes,
                row.practitioner_minutes,
                "yes" if row.consent else "no",
                row.chronic_conditions,
                row.codes,
                " ".join(row.reasons),
                "yes" if report.closed else "no",
            ]
        )
    return response


@login_required
@require_POST
@htmx_action
def billing_close(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.user.organisation is None:
        raise NotFoundError("No practice.")
    form = BillingFilterForm(request.POST, user=request.user)
    data = cleaned_or_refused(form, "The month could not be closed.")
    services.billing_month_close(
        actor=request.user, organisation=request.user.organisation, month=data["month"]
    )
    messages.success(request, f"{data['month']:%B %Y} is closed; its report is frozen.")
    target = f"{reverse('measures:billing')}?month={data['month']:%Y-%m}"
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)
