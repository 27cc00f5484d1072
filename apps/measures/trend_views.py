"""Trends by month (stored snapshots) as SVG charts, their CSV, and a refresh for admins."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.http import AuthenticatedHttpRequest
from apps.core.csv_export import csv_response
from apps.core.exceptions import ApplicationError
from apps.measures import jobs, permissions
from apps.measures.trends import TrendScope, trend_charts, trend_scope_for_user
from apps.teams.models import CareTeam


def _chosen_id(request: AuthenticatedHttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "").strip()
    if raw and not raw.isdigit():
        raise ApplicationError(f"Choose a {name} from the list.", field_errors={name: ["Unknown."]})
    return int(raw) if raw else None


def _scope(request: AuthenticatedHttpRequest) -> TrendScope:
    return trend_scope_for_user(
        user=request.user,
        team_id=_chosen_id(request, "team"),
        coordinator_id=_chosen_id(request, "coordinator"),
    )


@login_required
@require_GET
def trends_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    scope = _scope(request)
    charts = trend_charts(scope=scope)
    context = {
        "scope": scope,
        "charts": charts,
        "team_choices": _team_choices(request),
        "coordinator_choices": _coordinator_choices(request),
        "organisation_wide": permissions.can_view_organisation_measures(request.user),
        "export_url": f"{reverse('measures:trends_export')}?{request.GET.urlencode()}",
    }
    return render(request, "measures/trends.html", context)


def _team_choices(request: AuthenticatedHttpRequest) -> list[tuple[int, str]]:
    return list(
        CareTeam.objects.filter(pk__in=permissions.measure_team_ids_for(request.user))
        .order_by("name")
        .values_list("pk", "name")
    )


def _coordinator_choices(request: AuthenticatedHttpRequest) -> list[tuple[int, str]]:
    coordinators = permissions.measure_coordinators_for(
        request.user, permissions.measure_team_ids_for(request.user)
    ).order_by("last_name", "first_name", "pk")
    return [(person.pk, person.display_name) for person in coordinators]


TREND_COLUMNS = (
    "scope",
    "month",
    "group",
    "code",
    "measure",
    "numerator",
    "denominator",
    "rate",
    "unit",
)


@login_required
@require_GET
def trends_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every stored month of every figure for the scope (counts only: no patient named)."""
    scope = _scope(request)
    response, writer = csv_response("measure-trends.csv")
    writer.writerow(TREND_COLUMNS)
    for chart in trend_charts(scope=scope):
        for point in chart.points:
            writer.writerow(
                [
                    scope.label,
                    f"{point.month:%Y-%m}",
                    chart.group,
                    chart.code,
                    chart.title,
                    point.numerator,
                    point.denominator,
                    "" if point.rate is None else point.rate,
                    chart.unit,
                ]
            )
    return response


@login_required
@require_POST
def trends_refresh(request: AuthenticatedHttpRequest) -> HttpResponse:
    """An organisation admin asks for this month's snapshots now rather than tonight."""
    if request.user.organisation_id is None or not permissions.can_view_organisation_measures(
        request.user
    ):
        raise PermissionDenied("Only an organisation admin refreshes the trends.")
    jobs.measure_snapshots_organisation_enqueue(request.user.organisation_id)
    messages.info(request, "The trends are being refreshed; reload in a minute.")
    return redirect("measures:trends")
