"""Transitions pages: the board, the episode list, the episode page and manual entry.

Every action on the episode page answers, under htmx, with the episode body
redrawn (checklists, follow-up, reconciliation and chain risk move together);
without htmx it redirects back to the episode.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts.http import AuthenticatedHttpRequest
from apps.core.exceptions import ApplicationError, NotFoundError
from apps.core.form_input import cleaned_or_refused
from apps.core.htmx import View, htmx_action
from apps.core.views import add_errors_to_form, is_htmx
from apps.patients.selectors import patient_get_for_user
from apps.tasks.permissions import can_create_task
from apps.teams.selectors import team_active_members
from apps.transitions import permissions, selectors, services
from apps.transitions.forms import (
    BoardFilterForm,
    ChecklistItemForm,
    ComplexityForm,
    ContactRecordForm,
    EpisodeFilterForm,
    LineReasonForm,
    MedicationLineForm,
    TransitionRecordForm,
    board_days,
)
from apps.transitions.models import ContactKind, Episode, EpisodeStatus
from apps.transitions.services.contacts import ContactDetails
from apps.transitions.services.reconciliation import SAME_PERSON_VERIFY
from apps.transitions.states import EPISODE_STATES

BOARD_DAYS = (7, 14, 30, 60)


def _rights(user: Any, episode: Episode) -> dict[str, Any]:
    patient = episode.patient
    why_not_verify = permissions.why_not_verify_reconciliation(user, patient)
    return {
        "manage": permissions.can_manage_transitions(user, patient),
        "reconcile": permissions.can_reconcile(user, patient),
        "verify": why_not_verify is None,
        "why_not_verify": why_not_verify,
        "same_person_verify": SAME_PERSON_VERIFY,
        "tasks": can_create_task(user, patient),
    }


def _episode_context(request: AuthenticatedHttpRequest, episode_id: int) -> dict[str, Any]:
    episode = selectors.episode_get_for_user(user=request.user, episode_id=episode_id)
    config = selectors.transition_settings_for(episode.patient.organisation_id)
    return {
        "view": selectors.episode_view(episode, config=config),
        "episode": episode,
        "episode_moves": EPISODE_STATES.moves_from(episode.status),
        "patient": episode.patient,
        "rights": _rights(request.user, episode),
        "line_form": MedicationLineForm(),
        "contact_form": ContactRecordForm(
            members=_contact_members(episode.patient),
            initial={"contact_at": timezone.localtime(), "performed_by": request.user.pk},
        ),
        "complexity_form": ComplexityForm(initial={"complexity": episode.complexity}),
    }


def _answer(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    if is_htmx(request):
        context = _episode_context(request, episode_id)
        return render(request, "transitions/_episode_body.html", context)
    return redirect("transitions:episode", episode_id=episode_id)


@login_required
@require_GET
def board(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = BoardFilterForm(request.GET)
    # A bad window is refused as the API refuses it (400, the field named).
    valid = form.is_valid()
    days = board_days(form.cleaned_data if valid else {})
    rows = selectors.transitions_board_for_user(user=request.user, days=days)
    problems = selectors.follow_up_problems_for_user(user=request.user)
    context = {
        "rows": rows,
        "problems": problems,
        "days": days,
        "day_choices": BOARD_DAYS,
        "form": form,
    }
    return render(request, "transitions/board.html", context, status=200 if valid else 400)


@login_required
@require_GET
def episode_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = EpisodeFilterForm(request.GET)
    valid = form.is_valid()
    status = form.cleaned_data.get("status", "") if valid else ""
    views = selectors.episode_views_for_user(user=request.user, status=status)
    context = {"views": views, "status": status, "statuses": EpisodeStatus.choices, "form": form}
    return render(request, "transitions/episode_list.html", context, status=200 if valid else 400)


@login_required
@require_GET
def episode_detail(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    return render(request, "transitions/episode.html", _episode_context(request, episode_id))


def episode_action(view: View) -> View:
    """An action on the episode page: signed in, posted, its refusal shown where the user
    clicked (`htmx_action`); it answers with the episode redrawn (`_answer`)."""
    return login_required(require_POST(htmx_action(view)))


@episode_action
def checklist_item_update(request: AuthenticatedHttpRequest, item_id: int) -> HttpResponse:
    item = selectors.checklist_item_get_for_user(user=request.user, item_id=item_id)
    data = cleaned_or_refused(ChecklistItemForm(request.POST), "Give a valid date and time.")
    services.checklist_item_set(actor=request.user, item=item, **data)
    return _answer(request, item.handoff.episode_id)


@episode_action
def episode_complexity(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    episode = selectors.episode_get_for_user(user=request.user, episode_id=episode_id)
    data = cleaned_or_refused(ComplexityForm(request.POST), "Choose high or moderate.")
    services.episode_complexity_set(actor=request.user, episode=episode, **data)
    return _answer(request, episode.pk)


@episode_action
def reconciliation_start(request: AuthenticatedHttpRequest, handoff_id: int) -> HttpResponse:
    handoff = selectors.handoff_get_for_user(user=request.user, handoff_id=handoff_id)
    services.reconciliation_start(actor=request.user, handoff=handoff)
    return _answer(request, handoff.episode_id)


@episode_action
def medication_line_add(request: AuthenticatedHttpRequest, handoff_id: int) -> HttpResponse:
    handoff, reconciliation = selectors.reconciliation_get_for_user(
        user=request.user, handoff_id=handoff_id
    )
    data = cleaned_or_refused(MedicationLineForm(request.POST), "Name the medication.")
    services.medication_line_add(actor=request.user, reconciliation=reconciliation, **data)
    return _answer(request, handoff.episode_id)


@episode_action
def medication_line_reason(request: AuthenticatedHttpRequest, line_id: int) -> HttpResponse:
    line = selectors.medication_line_get_for_user(user=request.user, line_id=line_id)
    data = cleaned_or_refused(LineReasonForm(request.POST), "Give the reason.")
    services.medication_line_update(actor=request.user, line=line, **data)
    return _answer(request, line.reconciliation.handoff.episode_id)


@episode_action
def medication_line_remove(request: AuthenticatedHttpRequest, line_id: int) -> HttpResponse:
    line = selectors.medication_line_get_for_user(user=request.user, line_id=line_id)
    services.medication_line_remove(actor=request.user, line=line)
    return _answer(request, line.reconciliation.handoff.episode_id)


# The reconciliation's two closing steps: done (asks a pharmacist) and verified.
RECONCILIATION_STEPS = {
    "complete": services.reconciliation_complete,
    "verify": services.reconciliation_verify,
}


@episode_action
def reconciliation_step(
    request: AuthenticatedHttpRequest, handoff_id: int, step: str
) -> HttpResponse:
    handoff, reconciliation = selectors.reconciliation_get_for_user(
        user=request.user, handoff_id=handoff_id
    )
    RECONCILIATION_STEPS[step](actor=request.user, reconciliation=reconciliation)
    return _answer(request, handoff.episode_id)


def _contact_members(patient: Any) -> list[Any]:
    return list(team_active_members(team_ids=[patient.care_team_id]))


@episode_action
def follow_up_task_done(
    request: AuthenticatedHttpRequest, follow_up_id: int, which: str
) -> HttpResponse:
    """Documents the contact call (or the visit) and so completes that follow-up task."""
    if which not in ContactKind.values:
        raise NotFoundError("No such follow-up task.")
    follow_up = selectors.follow_up_get_for_user(user=request.user, follow_up_id=follow_up_id)
    members = _contact_members(follow_up.episode.patient)
    data = cleaned_or_refused(
        ContactRecordForm(request.POST, members=members),
        "Say when it happened, who did it and the outcome.",
    )
    by_id = {member.user_id: member.user for member in members}
    performer = data.pop("performed_by")
    details = ContactDetails(
        performed_by=by_id.get(performer) if performer is not None else request.user, **data
    )
    services.follow_up_contact_record(
        actor=request.user, follow_up=follow_up, kind=which, details=details
    )
    return _answer(request, follow_up.episode_id)


@login_required
@require_http_methods(["GET", "POST"])
def transition_record(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """Manual entry for a transition reported by phone or fax; the same services as ADT."""
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    permissions.require_can_manage_transitions(request.user, patient)
    form = TransitionRecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            handoff = services.transition_record(
                actor=request.user,
                patient=patient,
                kind=data["kind"],
                visit=services.VisitDetails.entered_by_hand(data),
            )
        except ApplicationError as error:
            add_errors_to_form(form, error)
        else:
            messages.success(request, f"{handoff.get_kind_display()} recorded.")
            return redirect("transitions:episode", episode_id=handoff.episode_id)
    return render(request, "transitions/record.html", {"form": form, "patient": patient})


@login_required
@require_GET
def patient_section(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """The chart's transitions section (lazy-loaded): recent episodes and their chains."""
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    episodes = selectors.patient_episodes(user=request.user, patient=patient)
    context = {
        "patient": patient,
        "rows": [
            (episode, selectors.chain_of(list(episode.handoffs.all()))) for episode in episodes
        ],
        "can_record": permissions.can_manage_transitions(request.user, patient),
    }
    return render(request, "transitions/_patient_episodes.html", context)
