"""The measures page, its CSV export and the patients behind each figure."""

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts.http import AuthenticatedHttpRequest
from apps.accounts.models import User
from apps.core.csv_export import csv_response
from apps.core.form_input import cleaned_or_refused
from apps.core.htmx import htmx_action
from apps.measures import enrolment, equity, selectors
from apps.measures.forms import (
    EnrolForm,
    MeasureFilterForm,
    ReasonForm,
    WorklistTeamForm,
)
from apps.measures.snapshots import stored_figures
from apps.measures.triage import triage_assign_lead
from apps.measures.triage_selectors import triage_item_get_for_user, triage_list_for_user
from apps.patients.selectors import patient_get_for_user


def _filters(request: AuthenticatedHttpRequest) -> tuple[MeasureFilterForm, dict[str, Any], int]:
    """The filters asked for; a bad one shows the default figures, the field named (400)."""
    form = MeasureFilterForm(request.GET, user=request.user)
    if form.is_valid():
        cleaned = form.cleaned_data
        status = 200
    else:
        default = selectors.default_period()
        cleaned = {"team": None, "coordinator": None, "start": default.start, "end": default.end}
        status = 400
    scope = selectors.measure_scope_for_user(
        user=request.user, team_id=cleaned["team"], coordinator_id=cleaned["coordinator"]
    )
    period = selectors.Period(start=cleaned["start"], end=cleaned["end"])
    return form, {"scope": scope, "period": period}, status


def _figures(
    form: MeasureFilterForm, chosen: dict[str, Any]
) -> tuple[list[selectors.Figure], datetime | None]:
    """A whole calendar month that has ended, and the default period, come from the nightly
    snapshots (fast; a month's figures are the same every time it is asked); any other
    period, or one asked for `live`, is computed now."""
    live = form.is_valid() and form.cleaned_data.get("live")
    stored = None if live else stored_figures(**chosen, today=timezone.localdate())
    if stored is not None:
        return stored
    return selectors.measure_figures(**chosen), None


@login_required
def measures_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, chosen, status = _filters(request)
    figures, stored_at = _figures(form, chosen)
    query = request.GET.urlencode()
    live = request.GET.copy()
    live["live"] = "1"
    context = {
        "form": form,
        "figures": figures,
        "stored_at": stored_at,
        "query": query,
        "live_query": live.urlencode(),
        "export_url": f"{reverse('measures:export')}?{query}",
        "coordinator_definition": selectors.COORDINATOR_DEFINITION,
        **chosen,
    }
    return render(request, "measures/page.html", context, status=status)


EXPORT_COLUMNS = (
    "group",
    "code",
    "measure",
    "numerator",
    "denominator",
    "rate",
    "unit",
    "scope",
    "start",
    "end",
    "definition",
)


@login_required
def measures_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The figures table as CSV (counts only: no patient is named)."""
    form, chosen, _status = _filters(request)
    figures, _stored_at = _figures(form, chosen)
    response, writer = csv_response("measures.csv")
    writer.writerow(EXPORT_COLUMNS)
    scope, period = chosen["scope"], chosen["period"]
    for figure in figures:
        writer.writerow(
            [
                figure.group,
                figure.code,
                figure.title,
                figure.numerator,
                figure.denominator,
                "" if figure.rate is None else figure.rate,
                figure.unit,
                scope.label,
                period.start.isoformat(),
                period.end.isoformat(),
                figure.definition,
            ]
        )
    return response


@login_required
def measure_patients(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    form, chosen, status = _filters(request)
    rows = selectors.measure_patients_for_user(user=request.user, code=code, **chosen)
    measure = selectors.MEASURE_CODES[code]
    context = {
        "form": form,
        "measure": measure,
        "rows": rows,
        "in_numerator": sum(1 for row in rows if row.in_numerator),
        "query": request.GET.urlencode(),
        **chosen,
    }
    return render(request, "measures/patients.html", context, status=status)


@login_required
def triage_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The same-day queue of urgent social needs on the user's teams."""
    rows = triage_list_for_user(user=request.user)
    return render(request, "measures/triage.html", {"rows": rows})


def _team_chosen(request: AuthenticatedHttpRequest) -> tuple[WorklistTeamForm, int | None, int]:
    form = WorklistTeamForm(request.GET, user=request.user)
    if form.is_valid():
        return form, form.cleaned_data["team"], 200
    return form, None, 400


@login_required
def enrolment_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The programme worklist (eligible patients by predicted benefit, with the suggested
    coordinator) and the enrolled patients, for the user's teams."""
    form, team_id, status = _team_chosen(request)
    worklist = enrolment.enrolment_worklist_for_user(user=request.user, team_id=team_id)
    enrolled = enrolment.enrolled_list_for_user(user=request.user, team_id=team_id)
    context = {"form": form, "worklist": worklist, "enrolled": enrolled}
    return render(request, "measures/enrolment.html", context, status=status)


def _back_to_enrolment(request: AuthenticatedHttpRequest) -> HttpResponse:
    messages.success(request, "Saved.")
    return redirect(reverse("measures:enrolment") + "?" + request.GET.urlencode())


@login_required
@require_POST
@htmx_action
def enrolment_enrol(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    data = cleaned_or_refused(EnrolForm(request.POST), "Please choose the coordinator.")
    coordinator = User.objects.filter(pk=data["coordinator"]).first()
    enrolment.enrolment_enrol(
        actor=request.user, patient=patient, coordinator=coordinator, on=data["on"]
    )
    return _back_to_enrolment(request)


@login_required
@require_POST
@htmx_action
def enrolment_decline(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    data = cleaned_or_refused(ReasonForm(request.POST), "Say why the patient declined.")
    enrolment.enrolment_decline(actor=request.user, patient=patient, reason=data["reason"])
    return _back_to_enrolment(request)


@login_required
@require_POST
@htmx_action
def enrolment_disenrol(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    data = cleaned_or_refused(ReasonForm(request.POST), "Say why the patient leaves.")
    enrolment.enrolment_disenrol(actor=request.user, patient=patient, reason=data["reason"])
    return _back_to_enrolment(request)


def _equity(
    request: AuthenticatedHttpRequest,
) -> tuple[MeasureFilterForm, list[equity.EquityTable], int, dict[str, Any]]:
    """The equity tables for the filters asked for (team; organisation-wide for an admin)."""
    form, chosen, status = _filters(request)
    tables = equity.equity_tables(
        scope=chosen["scope"],
        period=chosen["period"],
        organisation_id=request.user.organisation_id,
    )
    return form, tables, status, chosen


@login_required
def equity_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, tables, status, chosen = _equity(request)
    query = request.GET.urlencode()
    context = {
        "form": form,
        "tables": tables,
        "columns": equity.COLUMNS,
        **chosen,
        "query": query,
        "export_url": f"{reverse('measures:equity_export')}?{query}",
        "small_cell": equity.SMALL_CELL,
    }
    return render(request, "measures/equity.html", context, status=status)


@login_required
def equity_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The equity tables as CSV, small cells suppressed as on the page."""
    _form, tables, _status, chosen = _equity(request)
    scope = chosen["scope"]
    response, writer = csv_response("equity.csv")
    writer.writerow(["breakdown", *equity.COLUMNS, "scope"])
    for table in tables:
        for row in table.rows:
            writer.writerow([table.title, *row.cells, scope.label])
    return response


@login_required
@require_POST
@htmx_action
def triage_assign(request: AuthenticatedHttpRequest, item_id: int) -> HttpResponse:
    """Gives an unowned urgent need to the team's lead (named since it was queued)."""
    item = triage_item_get_for_user(user=request.user, item_id=item_id)
    triage_assign_lead(actor=request.user, item=item)
    messages.success(request, "Given to the team's lead.")
    return redirect("measures:triage")


@login_required
def measure_patients_export(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The patients behind a figure as CSV (own teams only), audited as an export."""
    _form, chosen, _status = _filters(request)
    rows = selectors.measure_patients_for_user(user=request.user, code=code, export=True, **chosen)
    response, writer = csv_response(f"measure-{code}-patients.csv")
    writer.writerow(
        ("mrn", "family_name", "given_name", "team", "in_numerator", "visits", "upc", "coc",
         "secon")
    )  # fmt: skip
    for row in rows:
        index = row.continuity
        writer.writerow(
            [
                row.patient.mrn,
                row.patient.family_name,
                row.patient.given_name,
                row.patient.care_team.name,
                "yes" if row.in_numerator else "no",
                *(
                    ("", "", "", "")
                    if index is None
                    else (index.visits, index.upc, index.coc, index.secon)
                ),
            ]
        )
    return response
