"""The measures page, its CSV export and the patients behind each figure."""

from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from apps.accounts.http import AuthenticatedHttpRequest
from apps.core.csv_export import csv_response
from apps.measures import selectors
from apps.measures.forms import MeasureFilterForm, default_period
from apps.measures.snapshots import stored_figures


def _filters(request: AuthenticatedHttpRequest) -> tuple[MeasureFilterForm, dict[str, Any], int]:
    """The filters asked for; a bad one shows the default figures, the field named (400)."""
    form = MeasureFilterForm(request.GET, user=request.user)
    if form.is_valid():
        cleaned = form.cleaned_data
        status = 200
    else:
        start, end = default_period()
        cleaned = {"team": None, "coordinator": None, "start": start, "end": end}
        status = 400
    scope = selectors.measure_scope_for_user(
        user=request.user, team_id=cleaned["team"], coordinator_id=cleaned["coordinator"]
    )
    period = selectors.Period(start=cleaned["start"], end=cleaned["end"])
    return form, {"scope": scope, "period": period}, status


def _figures(chosen: dict[str, Any]) -> tuple[list[selectors.Figure], datetime | None]:
    """A whole calendar month that has ended comes from the nightly snapshots (fast, and
    the same figures every time it is asked); any other period is computed live."""
    stored = stored_figures(**chosen, today=timezone.localdate())
    if stored is not None:
        return stored
    return selectors.measure_figures(**chosen), None


@login_required
def measures_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, chosen, status = _filters(request)
    figures, stored_at = _figures(chosen)
    query = request.GET.urlencode()
    context = {
        "form": form,
        "figures": figures,
        "stored_at": stored_at,
        "query": query,
        "export_url": f"{reverse('measures:export')}?{query}",
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
    _form, chosen, _status = _filters(request)
    figures, _stored_at = _figures(chosen)
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
