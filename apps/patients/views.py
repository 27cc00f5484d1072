"""Patient pages: the list (searchable, paginated) and the chart. One view per page."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from apps.accounts.http import AuthenticatedHttpRequest
from apps.accounts.mfa import session_verified
from apps.core.csv_export import csv_response
from apps.core.exceptions import ApplicationError
from apps.core.refusals import audit_refused_request
from apps.core.throttles import rate_limited
from apps.core.views import add_errors_to_form, is_htmx
from apps.patients import permissions, selectors, services
from apps.patients.forms import (
    BreakGlassForm,
    PatientListFilterForm,
    PatientSearchForm,
    patient_list_filters,
)


@login_required
def patient_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PatientListFilterForm(request.GET)
    # A bad filter is refused as the API refuses it (400, the field named); the
    # list then shows unfiltered, with the error above it.
    valid = form.is_valid()
    filters = patient_list_filters(form.cleaned_data if valid else {})
    page = selectors.patient_page_for_user(user=request.user, **filters)
    # The pager keeps the search, filters and sort; only the page number changes.
    kept = urlencode(
        [
            ("q", filters["query"]),
            ("flag", filters["flag"]),
            ("sort", filters["sort"]),
            *(("met", domain) for domain in filters["domains"]),
        ]
    )
    context = {"form": form, "page": page, "query": filters["query"], "kept": kept}
    status = 200 if valid else 400
    if is_htmx(request) and request.htmx.target == "patient-results":
        return render(request, "patients/_results.html", context, status=status)
    return render(request, "patients/list.html", context, status=status)


EXPORT_COLUMNS = ("mrn", "family_name", "given_name", "date_of_birth", "sex", "care_team")


@login_required
def patient_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The visible list (same search) as CSV; the export is audited with its rows."""
    form = PatientSearchForm(request.GET)
    query = (form.cleaned_data.get("q") or "") if form.is_valid() else ""
    patients = selectors.patient_export_for_user(user=request.user, query=query)
    response, writer = csv_response("patients.csv")
    writer.writerow(EXPORT_COLUMNS)
    for patient in patients:
        writer.writerow(
            [
                patient.mrn,
                patient.family_name,
                patient.given_name,
                patient.date_of_birth.isoformat(),
                patient.sex,
                patient.care_team.name,
            ]
        )
    return response


@login_required
def patient_chart(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient = selectors.patient_get_for_user(user=request.user, patient_id=patient_id)
    members = selectors.patient_care_team(patient=patient)
    emergency = (
        None
        if permissions.can_view_patient(request.user, patient)
        else selectors.break_glass_live_access(user=request.user, patient=patient)
    )
    context = {
        "patient": patient,
        "emergency_access": emergency,
        "members": members,
        "lead": next((member for member in members if member.is_lead), None),
    }
    return render(request, "patients/chart.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("break_glass")
def break_glass(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Emergency access: the second factor first, then who the patient is and why."""
    if not session_verified(request):
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('accounts:mfa_verify')}?{query}")
    form = BreakGlassForm(request.POST or None, initial={"mrn": request.GET.get("mrn", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            patient = selectors.patient_for_break_glass(
                user=request.user,
                mrn=data["mrn"],
                given_name=data["given_name"],
                family_name=data["family_name"],
                date_of_birth=data["date_of_birth"],
            )
            services.patient_break_glass_open(
                actor=request.user,
                patient=patient,
                reason_code=data["reason_code"],
                reason=data["reason"],
                second_factor_verified=True,
            )
        except ApplicationError as error:  # "no such patient" too, on the form
            add_errors_to_form(form, error)
        except PermissionDenied as error:
            audit_refused_request(request, error, obj=patient)
            form.add_error(None, str(error))
        else:
            messages.warning(request, "Emergency access granted. It is time-limited and audited.")
            return redirect("patients:chart", patient_id=patient.pk)
    return render(request, "patients/break_glass.html", {"form": form})
