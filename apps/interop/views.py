"""The patient-match queue: ADT messages waiting for a coordinator to say who the patient is."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts.http import AuthenticatedHttpRequest
from apps.core.exceptions import ApplicationError, NotFoundError
from apps.core.form_actions import form_write
from apps.core.refusals import audit_refused_request
from apps.interop import permissions, selectors, services
from apps.interop.forms import CandidateSearchForm, DismissForm, MatchForm
from apps.patients.selectors import patient_get_for_user


@login_required
@require_GET
def match_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    requests = selectors.match_queue_for_user(user=request.user)
    allowed = permissions.can_work_match_queue(request.user, request.user.organisation_id)
    return render(request, "interop/match_queue.html", {"requests": requests, "allowed": allowed})


@login_required
@require_http_methods(["GET"])
def match_detail(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    match = selectors.match_request_get_for_user(user=request.user, request_id=request_id)
    search = CandidateSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    candidates = list(selectors.match_candidates_for_user(user=request.user, query=query))
    context = {
        "match": match,
        "search": search,
        "query": query,
        "candidates": candidates,
        "dismiss_form": DismissForm(),
    }
    return render(request, "interop/match_detail.html", context)


@login_required
@require_POST
def match_resolve(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    match = selectors.match_request_get_for_user(user=request.user, request_id=request_id)
    form = MatchForm(request.POST)
    if not form.is_valid():
        raise NotFoundError("No such patient.")
    patient = patient_get_for_user(user=request.user, patient_id=form.cleaned_data["patient"])
    try:
        services.patient_match_resolve(actor=request.user, request=match, patient=patient)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("interop:match_detail", request_id=match.pk)
    except PermissionDenied as error:
        audit_refused_request(request, error, obj=match)
        messages.error(request, str(error))
        return redirect("interop:match_detail", request_id=match.pk)
    messages.success(request, "Matched; the queued messages for this person were applied.")
    return redirect("patients:chart", patient_id=patient.pk)


@login_required
@require_POST
def match_dismiss(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    match = selectors.match_request_get_for_user(user=request.user, request_id=request_id)
    form = DismissForm(request.POST)
    if form_write(
        form,
        lambda values: services.patient_match_dismiss(
            actor=request.user, request=match, reason=values["reason"]
        ),
    ):
        messages.success(request, "Message dismissed.")
        return redirect("interop:match_queue")
    context = {
        "match": match,
        "search": CandidateSearchForm(),
        "query": "",
        "candidates": [],
        "dismiss_form": form,
    }
    return render(request, "interop/match_detail.html", context, status=400)
