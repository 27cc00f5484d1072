"""Referral pages: the board, one referral with its timeline, the chart section and the
resource directory. Forms parse; services and selectors do the rest."""

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts.http import AuthenticatedHttpRequest
from apps.core.exceptions import ApplicationError
from apps.core.htmx import htmx_action
from apps.core.views import add_errors_to_form, is_htmx
from apps.patients.selectors import patient_get_for_user
from apps.referrals import permissions, selectors, services, states
from apps.referrals.forms import (
    BoardFilterForm,
    ConsentForm,
    DirectorySearchForm,
    ReassignForm,
    ReferralCreateForm,
    ResourceOrganisationForm,
    ResourceServiceForm,
    SnoozeForm,
    TransitionForm,
    board_filters,
    directory_filters,
)
from apps.referrals.models import ConsentMethod, Referral, ReferralState

DIRECTORY_PAGE = 100


# --- the board -------------------------------------------------------------------------


@login_required
@require_GET
def board(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = BoardFilterForm(request.GET)
    # A bad filter is refused as the API refuses it (400, the field named); the
    # board then shows everything open rather than a guess at what was meant.
    valid = form.is_valid()
    page = selectors.referral_board_for_user(
        user=request.user, **board_filters(form.cleaned_data if valid else {})
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    status = 200 if valid else 400
    if is_htmx(request) and request.htmx.target == "board-results":
        return render(request, "referrals/_board_results.html", context, status=status)
    return render(request, "referrals/board.html", context, status=status)


@login_required
@require_GET
def measures(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = {"measures": selectors.referral_measures_for_user(user=request.user)}
    if is_htmx(request):
        return render(request, "referrals/_measures.html", context)
    return render(request, "referrals/measures.html", context)


# --- one referral ----------------------------------------------------------------------


def _detail_context(
    request: AuthenticatedHttpRequest, referral: Referral, **extra: Any
) -> dict[str, Any]:
    can_work = permissions.can_work_on(request.user, referral)
    members = selectors.team_users_for_patient(patient=referral.patient)
    return {
        "referral": referral,
        "events": list(referral.events.all()),
        "can_work": can_work,
        "transitions": states.transitions_from(referral.state) if can_work else [],
        "consent_form": ConsentForm(
            initial={
                "consent_given": referral.consent_given,
                "consent_method": referral.consent_method or ConsentMethod.VERBAL,
            }
        ),
        "reassign_form": ReassignForm(members=members) if can_work else None,
        "snooze_form": SnoozeForm() if can_work else None,
        "overdue": referral.is_overdue(),
        "escalation_due": referral.is_escalation_due(),
        **extra,
    }


def _render_detail(
    request: AuthenticatedHttpRequest, referral: Referral, **extra: Any
) -> HttpResponse:
    context = _detail_context(request, referral, **extra)
    template = "referrals/_detail_main.html" if is_htmx(request) else "referrals/detail.html"
    return render(request, template, context)


@login_required
@require_GET
def referral_detail(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    referral = selectors.referral_get_for_user(user=request.user, referral_id=referral_id)
    return _render_detail(request, referral)


def _act(
    request: AuthenticatedHttpRequest,
    referral_id: int,
    action: Callable[[Referral], object],
    success: str,
) -> HttpResponse:
    """Runs one service call on the referral; a refusal is answered by `htmx_action`."""
    referral = selectors.referral_get_for_user(user=request.user, referral_id=referral_id)
    # Someone without the right learns nothing from form feedback: refuse first.
    permissions.require_can_work_on(request.user, referral)
    action(referral)
    if not is_htmx(request):
        messages.success(request, success)
        return redirect("referrals:detail", referral_id=referral.pk)
    fresh = selectors.referral_get_for_user(user=request.user, referral_id=referral.pk)
    return _render_detail(request, fresh, action_message=success)


def _form_problem(form: Any) -> ApplicationError:
    return ApplicationError(
        "Please correct the form.",
        field_errors={name: list(errors) for name, errors in form.errors.items()},
    )


@login_required
@require_POST
@htmx_action
def referral_transition(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    form = TransitionForm(request.POST)

    def move(referral: Referral) -> None:
        if not form.is_valid():
            raise _form_problem(form)
        services.referral_transition(actor=request.user, referral=referral, **form.cleaned_data)

    label = dict(ReferralState.choices).get(request.POST.get("to_state", ""), "")
    return _act(request, referral_id, move, f"The referral is now {label}.")


@login_required
@require_POST
@htmx_action
def referral_consent(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    form = ConsentForm(request.POST)

    def record(referral: Referral) -> None:
        if not form.is_valid():
            raise _form_problem(form)
        services.referral_record_consent(
            actor=request.user,
            referral=referral,
            consent_given=form.cleaned_data["consent_given"],
            method=form.cleaned_data["consent_method"],
        )

    return _act(request, referral_id, record, "Consent recorded.")


@login_required
@require_POST
@htmx_action
def referral_reassign(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    def reassign(referral: Referral) -> None:
        form = ReassignForm(
            request.POST, members=selectors.team_users_for_patient(patient=referral.patient)
        )
        if not form.is_valid():
            raise _form_problem(form)
        services.referral_reassign(
            actor=request.user,
            referral=referral,
            owner=form.cleaned_data["owner"],
            reason=form.cleaned_data["reason"],
        )

    return _act(request, referral_id, reassign, "The referral has a new owner.")


@login_required
@require_POST
@htmx_action
def referral_snooze(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    form = SnoozeForm(request.POST)

    def snooze(referral: Referral) -> None:
        if not form.is_valid():
            raise _form_problem(form)
        services.referral_snooze(
            actor=request.user,
            referral=referral,
            until=form.cleaned_data["until"],
            reason=form.cleaned_data["reason"],
        )

    return _act(request, referral_id, snooze, "Reminder snoozed.")


@login_required
@require_http_methods(["GET", "POST"])
def referral_create(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    permissions.require_can_manage_referrals(request.user, patient)
    members = selectors.team_users_for_patient(patient=patient)
    form = ReferralCreateForm(
        request.POST or None,
        services=selectors.resource_service_search(user=request.user),
        members=members,
        goals=selectors.goals_for_patient(patient=patient),
        initial={"owner": request.user.pk, "referred_by": request.user.pk},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                referral = services.referral_create(
                    actor=request.user, patient=patient, **form.cleaned_data
                )
            except ApplicationError as error:
                add_errors_to_form(form, error)
            else:
                messages.success(request, "Referral drafted. Send it when it is ready.")
                return redirect("referrals:detail", referral_id=referral.pk)
    return render(
        request, "referrals/create.html", {"form": form, "patient": patient}, status=status
    )


@login_required
@require_GET
def patient_section(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    referrals = selectors.referral_list_for_patient(user=request.user, patient=patient)
    return render(
        request,
        "referrals/_patient_section.html",
        {
            "patient": patient,
            "referrals": referrals,
            "can_refer": permissions.can_manage_referrals(request.user, patient),
        },
    )


# --- the directory ---------------------------------------------------------------------


def _search(request: AuthenticatedHttpRequest) -> tuple[DirectorySearchForm, list[Any]]:
    form = DirectorySearchForm(request.GET)
    filters = directory_filters(form.cleaned_data if form.is_valid() else {})
    found = selectors.resource_service_search(user=request.user, **filters)
    return form, list(found[:DIRECTORY_PAGE])


@login_required
@require_GET
def directory(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, found = _search(request)
    context = {
        "form": form,
        "services": found,
        "limit": DIRECTORY_PAGE,
        "can_keep": permissions.can_keep_directory(request.user),
        "organisations": selectors.resource_organisation_list_for_user(user=request.user),
    }
    # A bad search is refused as the API refuses it (400, the field named).
    status = 200 if form.is_valid() else 400
    if is_htmx(request) and request.htmx.target == "directory-results":
        return render(request, "referrals/_directory_results.html", context, status=status)
    return render(request, "referrals/directory.html", context, status=status)


@login_required
@require_GET
def service_options(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The referral form's service list, narrowed by a directory search (htmx)."""
    _form, found = _search(request)
    return render(request, "referrals/_service_options.html", {"services": found})


def _keeper_only(request: AuthenticatedHttpRequest) -> None:
    permissions.require_can_keep_directory(request.user)


@login_required
@require_http_methods(["GET", "POST"])
def organisation_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    _keeper_only(request)
    form = ResourceOrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and request.user.organisation:
        try:
            services.resource_organisation_create(
                actor=request.user, organisation=request.user.organisation, **form.cleaned_data
            )
        except ApplicationError as error:
            add_errors_to_form(cast(forms.Form, form), error)
        else:
            messages.success(request, "Organisation added to the directory.")
            return redirect("referrals:directory")
    return render(
        request,
        "referrals/directory_form.html",
        {"form": form, "title": "Add an organisation"},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request: AuthenticatedHttpRequest, organisation_id: int) -> HttpResponse:
    _keeper_only(request)
    partner = selectors.resource_organisation_get_for_user(
        user=request.user, resource_organisation_id=organisation_id
    )
    form = ResourceOrganisationForm(request.POST or None, instance=partner)
    if request.method == "POST" and form.is_valid():
        try:
            services.resource_organisation_update(
                actor=request.user,
                resource_organisation=partner,
                **{name: form.cleaned_data[name] for name in form.changed_data},
            )
        except ApplicationError as error:
            add_errors_to_form(cast(forms.Form, form), error)
        else:
            messages.success(request, "Organisation saved.")
            return redirect("referrals:directory")
    return render(
        request,
        "referrals/directory_form.html",
        {"form": form, "title": f"Edit {partner.name}", "partner": partner},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def service_create(request: AuthenticatedHttpRequest, organisation_id: int) -> HttpResponse:
    _keeper_only(request)
    partner = selectors.resource_organisation_get_for_user(
        user=request.user, resource_organisation_id=organisation_id
    )
    form = ResourceServiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.resource_service_create(
                actor=request.user, resource_organisation=partner, **form.cleaned_data
            )
        except ApplicationError as error:
            add_errors_to_form(cast(forms.Form, form), error)
        else:
            messages.success(request, "Service added to the directory.")
            return redirect("referrals:directory")
    return render(
        request,
        "referrals/directory_form.html",
        {"form": form, "title": f"Add a service of {partner.name}"},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def service_edit(request: AuthenticatedHttpRequest, service_id: int) -> HttpResponse:
    _keeper_only(request)
    service = selectors.resource_service_get_for_user(user=request.user, service_id=service_id)
    form = ResourceServiceForm(request.POST or None, instance=service)
    if request.method == "POST" and form.is_valid():
        try:
            services.resource_service_update(
                actor=request.user,
                service=service,
                **{name: form.cleaned_data[name] for name in form.changed_data},
            )
        except ApplicationError as error:
            add_errors_to_form(cast(forms.Form, form), error)
        else:
            messages.success(request, "Service saved.")
            return redirect("referrals:directory")
    return render(
        request,
        "referrals/directory_form.html",
        {"form": form, "title": f"Edit {service.name}"},
        status=400 if request.method == "POST" else 200,
    )
