"""Referral pages: the board, one referral with its timeline, the chart section and the
resource directory. Forms parse; services and selectors do the rest."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts.http import AuthenticatedHttpRequest
from apps.core.exceptions import ApplicationError
from apps.core.form_actions import form_write
from apps.core.form_input import form_refusal
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
    form: Callable[[Referral], forms.Form],
    service: Callable[..., Referral],
    success: str,
) -> HttpResponse:
    """Parses the posted form for the referral and calls `service` with its values (the
    form's fields are named as the service's arguments); a refusal, a form error
    included, is answered where the user clicked by `htmx_action`."""
    referral = selectors.referral_get_for_user(user=request.user, referral_id=referral_id)
    # Someone without the right learns nothing from form feedback: refuse first.
    permissions.require_can_work_on(request.user, referral)
    posted = form(referral)
    if not posted.is_valid():
        raise form_refusal(posted)
    service(actor=request.user, referral=referral, **posted.cleaned_data)
    if not is_htmx(request):
        messages.success(request, success)
        return redirect("referrals:detail", referral_id=referral.pk)
    fresh = selectors.referral_get_for_user(user=request.user, referral_id=referral.pk)
    return _render_detail(request, fresh, action_message=success)


@login_required
@require_POST
@htmx_action
def referral_transition(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    label = dict(ReferralState.choices).get(request.POST.get("to_state", ""), "")
    form = TransitionForm(request.POST)
    success = f"The referral is now {label}."
    return _act(request, referral_id, lambda _: form, services.referral_transition, success)


@login_required
@require_POST
@htmx_action
def referral_consent(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    form = ConsentForm(request.POST)
    service = services.referral_record_consent
    return _act(request, referral_id, lambda _: form, service, "Consent recorded.")


@login_required
@require_POST
@htmx_action
def referral_reassign(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    def form(referral: Referral) -> forms.Form:
        members = selectors.team_users_for_patient(patient=referral.patient)
        return ReassignForm(request.POST, members=members)

    success = "The referral has a new owner."
    return _act(request, referral_id, form, services.referral_reassign, success)


@login_required
@require_POST
@htmx_action
def referral_snooze(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    form = SnoozeForm(request.POST)
    return _act(request, referral_id, lambda _: form, services.referral_snooze, "Reminder snoozed.")


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


def _directory_form(
    request: AuthenticatedHttpRequest,
    form: forms.Form | forms.ModelForm,
    *,
    save: Callable[[dict[str, Any]], object],
    saved: str,
    **context: Any,
) -> HttpResponse:
    """The directory's add and edit pages: a valid post goes to `save` and back to the
    directory; a refusal shows on the form, with a 400."""
    if request.method == "POST" and form_write(form, save):
        messages.success(request, saved)
        return redirect("referrals:directory")
    return render(
        request,
        "referrals/directory_form.html",
        {"form": form, **context},
        status=400 if request.method == "POST" else 200,
    )


def _changed(form: forms.ModelForm) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in form.changed_data}


@login_required
@require_http_methods(["GET", "POST"])
def organisation_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    _keeper_only(request)

    def create(values: dict[str, Any]) -> object:
        if request.user.organisation is None:
            raise ApplicationError("Add organisations from an account of that organisation.")
        return services.resource_organisation_create(
            actor=request.user, organisation=request.user.organisation, **values
        )

    return _directory_form(
        request,
        ResourceOrganisationForm(request.POST or None),
        save=create,
        saved="Organisation added to the directory.",
        title="Add an organisation",
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request: AuthenticatedHttpRequest, organisation_id: int) -> HttpResponse:
    _keeper_only(request)
    partner = selectors.resource_organisation_get_for_user(
        user=request.user, resource_organisation_id=organisation_id
    )
    form = ResourceOrganisationForm(request.POST or None, instance=partner)
    return _directory_form(
        request,
        form,
        save=lambda _values: services.resource_organisation_update(
            actor=request.user, resource_organisation=partner, **_changed(form)
        ),
        saved="Organisation saved.",
        title=f"Edit {partner.name}",
        partner=partner,
    )


@login_required
@require_http_methods(["GET", "POST"])
def service_create(request: AuthenticatedHttpRequest, organisation_id: int) -> HttpResponse:
    _keeper_only(request)
    partner = selectors.resource_organisation_get_for_user(
        user=request.user, resource_organisation_id=organisation_id
    )
    return _directory_form(
        request,
        ResourceServiceForm(request.POST or None),
        save=lambda values: services.resource_service_create(
            actor=request.user, resource_organisation=partner, **values
        ),
        saved="Service added to the directory.",
        title=f"Add a service of {partner.name}",
    )


@login_required
@require_http_methods(["GET", "POST"])
def service_edit(request: AuthenticatedHttpRequest, service_id: int) -> HttpResponse:
    _keeper_only(request)
    service = selectors.resource_service_get_for_user(user=request.user, service_id=service_id)
    form = ResourceServiceForm(request.POST or None, instance=service)
    return _directory_form(
        request,
        form,
        save=lambda _values: services.resource_service_update(
            actor=request.user, service=service, **_changed(form)
        ),
        saved="Service saved.",
        title=f"Edit {service.name}",
    )
