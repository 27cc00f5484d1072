"""Huddle pages. The run screen is one page: every action answers with the part it changed.

Item actions answer the item's card redrawn; agenda-wide actions (add, move,
refresh) answer the agenda; attendance answers the attendance list. Without
htmx every action redirects back to the huddle.
"""

from collections.abc import Callable
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts.http import AuthenticatedHttpRequest
from apps.core.exceptions import ApplicationError, NotFoundError
from apps.core.form_input import form_refusal
from apps.core.htmx import htmx_action
from apps.core.views import add_errors_to_form, is_htmx
from apps.huddles import permissions, selectors, services
from apps.huddles.due import due_at_for_choice, due_at_on
from apps.huddles.forms import (
    AttendanceForm,
    DecisionForm,
    HuddleScheduleForm,
    HuddleSeriesForm,
    ItemAddForm,
    ReasonForm,
    TaskFromItemForm,
)
from apps.huddles.models import AgendaItem, Huddle
from apps.tasks.models import TaskPriority
from apps.teams.forms import TeamFilterForm, chosen_team_id
from apps.teams.models import CareTeam
from apps.teams.selectors import team_list_for_user


def _back(huddle: Huddle) -> HttpResponse:
    return redirect("huddles:detail", huddle_id=huddle.pk)


def _hx_redirect(request: AuthenticatedHttpRequest, url: str) -> HttpResponse:
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _runnable_teams(request: AuthenticatedHttpRequest) -> QuerySet[CareTeam]:
    return CareTeam.objects.filter(pk__in=permissions.teams_user_runs(request.user)).order_by(
        "name"
    )


# --- list and scheduling ----------------------------------------------------------------


@login_required
@require_GET
def huddle_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TeamFilterForm(request.GET, teams=team_list_for_user(user=request.user))
    # A team that is not one of the user's is refused as the API refuses it (400).
    valid = form.is_valid()
    team_id = chosen_team_id(form.cleaned_data if valid else {})
    listing = selectors.huddle_list_for_user(user=request.user, team_id=team_id)
    series = selectors.series_list_for_user(user=request.user)
    context = {"listing": listing, "series": series, "team_id": team_id, "form": form}
    return render(request, "huddles/list.html", context, status=200 if valid else 400)


@login_required
@require_http_methods(["GET", "POST"])
def huddle_schedule(request: AuthenticatedHttpRequest) -> HttpResponse:
    teams = _runnable_teams(request)
    if not teams.exists():
        messages.error(request, "Only a team's coordinators schedule its huddles.")
        return redirect("huddles:list")
    kind = request.POST.get("kind", "one_off")
    data = request.POST if request.method == "POST" else None
    one_off = HuddleScheduleForm(data if kind == "one_off" else None, teams=teams, prefix="one")
    series = HuddleSeriesForm(data if kind == "series" else None, teams=teams, prefix="series")
    if request.method == "POST":
        form = one_off if kind == "one_off" else series
        if form.is_valid():
            values = form.cleaned_data
            try:
                if kind == "one_off":
                    huddle = services.huddle_schedule(
                        actor=request.user,
                        team=values["team"],
                        scheduled_start=values["scheduled_start"],
                        duration_minutes=values["duration_minutes"],
                        title=values["title"],
                    )
                    messages.success(request, "Huddle scheduled.")
                    return redirect("huddles:detail", huddle_id=huddle.pk)
                created = services.huddle_series_create(
                    actor=request.user,
                    team=values["team"],
                    title=values["title"],
                    weekday=values["weekday"],
                    start_time=values["start_time"],
                    duration_minutes=values["duration_minutes"],
                    interval_weeks=values["interval_weeks"],
                    starts_on=values["starts_on"],
                    ends_on=values["ends_on"],
                )
                messages.success(request, f"Series scheduled: {created.rule_display}.")
                return redirect("huddles:list")
            except ApplicationError as error:
                add_errors_to_form(form, error)
    return render(request, "huddles/schedule.html", {"one_off": one_off, "series": series})


@login_required
@require_POST
def series_end(request: AuthenticatedHttpRequest, series_id: int) -> HttpResponse:
    series = selectors.series_get_for_user(user=request.user, series_id=series_id)
    cancelled = services.huddle_series_end(actor=request.user, series=series)
    messages.success(request, f"Series ended; {cancelled} upcoming huddle(s) cancelled.")
    return redirect("huddles:list")


# --- one huddle -------------------------------------------------------------------------


def _board_context(
    request: AuthenticatedHttpRequest, huddle: Huddle, **extra: object
) -> dict[str, object]:
    board = selectors.huddle_board_for_user(user=request.user, huddle=huddle)
    clock = selectors.huddle_clock(huddle=huddle, now=timezone.now()) if huddle.is_open else None
    return {
        "huddle": huddle,
        "board": board,
        "clock": clock,
        "add_form": ItemAddForm(),
        "cancel_form": ReasonForm(),
        **extra,
    }


@login_required
@require_GET
def huddle_detail(request: AuthenticatedHttpRequest, huddle_id: int) -> HttpResponse:
    huddle = selectors.huddle_get_for_user(user=request.user, huddle_id=huddle_id)
    return render(request, "huddles/detail.html", _board_context(request, huddle))


@login_required
@require_GET
def huddle_preview(request: AuthenticatedHttpRequest, huddle_id: int) -> HttpResponse:
    huddle = selectors.huddle_get_for_user(user=request.user, huddle_id=huddle_id)
    preview = selectors.huddle_agenda_preview_for_user(user=request.user, huddle=huddle)
    return render(request, "huddles/_preview.html", {"huddle": huddle, "preview": preview})


@login_required
@require_GET
def huddle_clock(request: AuthenticatedHttpRequest, huddle_id: int) -> HttpResponse:
    huddle = selectors.huddle_get_for_user(user=request.user, huddle_id=huddle_id)
    clock = selectors.huddle_clock(huddle=huddle, now=timezone.now())
    return render(request, "huddles/_clock.html", {"huddle": huddle, "clock": clock})


@login_required
@require_GET
def huddle_minutes(request: AuthenticatedHttpRequest, huddle_id: int) -> HttpResponse:
    huddle = selectors.huddle_get_for_user(user=request.user, huddle_id=huddle_id)
    board = selectors.huddle_board_for_user(user=request.user, huddle=huddle)
    return render(request, "huddles/minutes.html", {"huddle": huddle, "board": board})


@login_required
@require_POST
@htmx_action
def huddle_open(request: AuthenticatedHttpRequest, huddle_id: int) -> HttpResponse:
    huddle = selectors.huddle_get_for_user(user=request.user, huddle_id=huddle_id)
    services.huddle_open(actor=request.user, huddle=huddle)
    return _hx_redirect(request, reverse("huddles:detail", args=[huddle.pk]))


@login_required
@require_POST
@htmx_action
def huddle_cancel(request: AuthenticatedHttpRequest, huddle_id: int) -> HttpResponse:
    huddle = selectors.huddle_get_for_user(user=request.user, huddle_id=huddle_id)
    form = ReasonForm(request.POST)
    services.huddle_cancel(
        actor=request.user,
        huddle=huddle,
        reason=form.data.get("reason", "") if form.is_bound else "",
    )
    messages.success(request, "Huddle cancelled.")
    return _back(huddle)


@login_required
@require_POST
@htmx_action
def huddle_close(request: AuthenticatedHttpRequest, huddle_id: int) -> HttpResponse:
    """Closes the huddle; with items not reached, first asks to confirm that they carry
    over to the team's next huddle (the confirming button sends carry_over=yes)."""
    huddle = selectors.huddle_get_for_user(user=request.user, huddle_id=huddle_id)
    permissions.require_can_run_huddles(request.user, huddle.team_id)
    services.huddle_close_validate(huddle=huddle)
    not_reached = selectors.huddle_items_not_reached(huddle=huddle)
    carry_over = request.POST.get("carry_over") == "yes"
    if not_reached and not carry_over:
        context = {"huddle": huddle, "not_reached": not_reached}
        if is_htmx(request):
            return render(request, "huddles/_close_confirm.html", context)
        return render(request, "huddles/close_confirm.html", context)
    services.huddle_close(actor=request.user, huddle=huddle, carry_over=carry_over)
    messages.success(request, "Huddle closed. The minutes are below.")
    return _hx_redirect(request, reverse("huddles:minutes", args=[huddle.pk]))


def _agenda_response(request: AuthenticatedHttpRequest, huddle: Huddle) -> HttpResponse:
    if not is_htmx(request):
        return _back(huddle)
    huddle.refresh_from_db()
    context = _board_context(request, huddle)
    return render(request, "huddles/_agenda.html", context)


@login_required
@require_POST
@htmx_action
def huddle_refresh(request: AuthenticatedHttpRequest, huddle_id: int) -> HttpResponse:
    huddle = selectors.huddle_get_for_user(user=request.user, huddle_id=huddle_id)
    services.huddle_agenda_refresh(actor=request.user, huddle=huddle)
    return _agenda_response(request, huddle)


@login_required
@require_POST
@htmx_action
def item_add(request: AuthenticatedHttpRequest, huddle_id: int) -> HttpResponse:
    huddle = selectors.huddle_get_for_user(user=request.user, huddle_id=huddle_id)
    permissions.require_can_run_huddles(request.user, huddle.team_id)
    form = ItemAddForm(request.POST)
    if not form.is_valid():
        raise form_refusal(form)
    patient = selectors.team_patient_by_mrn(
        user=request.user, team_id=huddle.team_id, mrn=form.cleaned_data["mrn"]
    )
    if patient is None:
        raise ApplicationError(
            "No patient of this team has that MRN.",
            field_errors={"mrn": ["No patient of this team has that MRN."]},
        )
    services.huddle_item_add(
        actor=request.user,
        huddle=huddle,
        patient=patient,
        title=form.cleaned_data["title"],
        note=form.cleaned_data["note"],
    )
    return _agenda_response(request, huddle)


@login_required
@require_POST
@htmx_action
def attendance_set(request: AuthenticatedHttpRequest, huddle_id: int, user_id: int) -> HttpResponse:
    huddle = selectors.huddle_get_for_user(user=request.user, huddle_id=huddle_id)
    form = AttendanceForm(request.POST)
    present = bool(form.is_valid() and form.cleaned_data["present"])
    services.huddle_attendance_set(
        actor=request.user, huddle=huddle, user_id=user_id, present=present
    )
    if not is_htmx(request):
        return _back(huddle)
    context = {
        "huddle": huddle,
        "attendance": selectors.huddle_attendance(huddle=huddle),
        "can_run": permissions.can_run_huddles(request.user, huddle.team_id),
    }
    return render(request, "huddles/_attendance.html", context)


# --- item actions -----------------------------------------------------------------------


def _item(request: AuthenticatedHttpRequest, huddle_id: int, item_id: int) -> AgendaItem:
    huddle = selectors.huddle_get_for_user(user=request.user, huddle_id=huddle_id)
    return selectors.huddle_item_get_for_user(user=request.user, huddle=huddle, item_id=item_id)


def _item_response(
    request: AuthenticatedHttpRequest,
    item: AgendaItem,
) -> HttpResponse:
    huddle = item.huddle
    if not is_htmx(request):
        return _back(huddle)
    board = selectors.huddle_board_for_user(user=request.user, huddle=huddle, item_ids=[item.pk])
    row = board.item_row(item.pk)
    if row is None:
        raise NotFoundError("No such agenda item.")
    context = {
        "huddle": huddle,
        "board": board,
        "row": row,
    }
    response = render(request, "huddles/_item.html", context)
    response["HX-Trigger"] = "huddleChanged"
    return response


@login_required
@require_POST
@htmx_action
def item_move(
    request: AuthenticatedHttpRequest, huddle_id: int, item_id: int, direction: str
) -> HttpResponse:
    if direction not in ("up", "down"):
        raise NotFoundError("No such direction.")
    item = _item(request, huddle_id, item_id)
    services.huddle_item_move(actor=request.user, item=item, offset=-1 if direction == "up" else 1)
    return _agenda_response(request, item.huddle)


def _item_act(
    request: AuthenticatedHttpRequest,
    huddle_id: int,
    item_id: int,
    act: Callable[[AgendaItem, dict[str, str]], AgendaItem],
) -> HttpResponse:
    """Runs one service on the item with the posted decision and reason (blank when not
    given: the service says what it needs); answers with the item's card redrawn."""
    item = _item(request, huddle_id, item_id)
    form = DecisionForm(request.POST)
    form.is_valid()
    posted = {name: form.cleaned_data.get(name, "") for name in ("decision", "reason")}
    return _item_response(request, act(item, posted))


@login_required
@require_POST
@htmx_action
def item_decision(request: AuthenticatedHttpRequest, huddle_id: int, item_id: int) -> HttpResponse:
    return _item_act(
        request,
        huddle_id,
        item_id,
        lambda item, posted: services.huddle_item_decision_record(
            actor=request.user, item=item, decision=posted["decision"]
        ),
    )


@login_required
@require_POST
@htmx_action
def item_discuss(request: AuthenticatedHttpRequest, huddle_id: int, item_id: int) -> HttpResponse:
    return _item_act(
        request,
        huddle_id,
        item_id,
        lambda item, posted: services.huddle_item_discuss(actor=request.user, item=item, **posted),
    )


@login_required
@require_POST
@htmx_action
def item_skip(request: AuthenticatedHttpRequest, huddle_id: int, item_id: int) -> HttpResponse:
    return _item_act(
        request,
        huddle_id,
        item_id,
        lambda item, posted: services.huddle_item_skip(
            actor=request.user, item=item, reason=posted["reason"]
        ),
    )


@login_required
@require_POST
@htmx_action
def item_reopen(request: AuthenticatedHttpRequest, huddle_id: int, item_id: int) -> HttpResponse:
    return _item_act(
        request,
        huddle_id,
        item_id,
        lambda item, _posted: services.huddle_item_reopen(actor=request.user, item=item),
    )


def _due_at(huddle: Huddle, form: TaskFromItemForm) -> datetime | None:
    settings = services.huddle_settings_for(huddle.team.organisation_id)
    if form.cleaned_data.get("due"):
        return due_at_for_choice(
            organisation=huddle.team.organisation,
            code=form.cleaned_data["due"],
            hour=settings.task_due_hour,
        )
    if form.cleaned_data.get("due_on"):
        return due_at_on(form.cleaned_data["due_on"], hour=settings.task_due_hour)
    return None


@login_required
@require_POST
@htmx_action
def item_task_create(
    request: AuthenticatedHttpRequest, huddle_id: int, item_id: int
) -> HttpResponse:
    item = _item(request, huddle_id, item_id)
    permissions.require_can_run_huddles(request.user, item.huddle.team_id)
    members = selectors.team_members(team_id=item.huddle.team_id)
    form = TaskFromItemForm(request.POST, members=members)
    if not form.is_valid():
        raise form_refusal(form)
    owner = next(
        (member.user for member in members if member.user_id == form.cleaned_data["owner"]), None
    )
    services.huddle_item_task_create(
        actor=request.user,
        item=item,
        title=form.cleaned_data["title"],
        owner=owner,
        due_at=_due_at(item.huddle, form),
        priority=form.cleaned_data["priority"] or TaskPriority.ROUTINE,
        token=form.cleaned_data["token"],
    )
    return _item_response(request, item)


# --- the patient's chart ----------------------------------------------------------------


@login_required
@require_GET
def patient_history(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient, entries = selectors.patient_huddle_history_for_user(
        user=request.user, patient_id=patient_id
    )
    return render(
        request, "huddles/_patient_history.html", {"patient": patient, "entries": entries}
    )
