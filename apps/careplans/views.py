"""Care plan pages. One view per page; htmx posts get the re-rendered plan body back."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts.http import AuthenticatedHttpRequest
from apps.careplans import selectors, services
from apps.careplans.forms import (
    BarrierForm,
    CarePlanProfileForm,
    CarePlanVoiceForm,
    GoalForm,
    InterventionCancelForm,
    InterventionEditForm,
    InterventionForm,
    RetireForm,
    ReturnForm,
    SignForm,
    SignoffRequestForm,
)
from apps.careplans.models import CarePlan
from apps.careplans.pdf import render_summary, summary_pdf_response
from apps.careplans.permissions import (
    care_plan_rights,
    require_can_edit_any_goal,
    require_can_edit_goal_work,
    why_not_sign_care_plan,
)
from apps.core.exceptions import ApplicationError
from apps.core.form_actions import form_write
from apps.core.htmx import htmx_action
from apps.core.views import add_errors_to_form, is_htmx
from apps.patients.languages import patient_language_code
from apps.patients.models import Patient
from apps.patients.selectors import patient_care_team, patient_get_for_user

BODY = "careplans/_plan_body.html"
PAGE = "careplans/plan.html"


def _open_plan(request: AuthenticatedHttpRequest, patient_id: int) -> CarePlan:
    """The plan a page changes (the service audits the change)."""
    return selectors.care_plan_open_for_user(user=request.user, patient_id=patient_id, what=None)


def _plan_context(
    request: AuthenticatedHttpRequest, patient: Patient, bound: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The plan page with blank forms for what the user may do, or the bound one that failed."""
    bound = bound or {}
    detail = selectors.care_plan_detail(user=request.user, patient=patient)
    context: dict[str, Any] = {
        "detail": detail,
        "patient": patient,
        "plan": detail.plan,
        # The staff know before printing which language the patient's copy is in.
        "summary_language": patient_language_code(patient.preferred_language),
    }
    plan, rights, members = detail.plan, detail.rights, detail.members
    if plan is None:
        return context
    if rights.edit_plan:
        context["voice_form"] = bound.get("voice") or CarePlanVoiceForm.for_plan(plan)
        context["profile_form"] = bound.get("profile") or CarePlanProfileForm.for_plan(
            plan, selectors.pathways_for_patient(patient=patient), detail.pathways
        )
        context["barrier_form"] = bound.get("barrier") or BarrierForm(prefix="barrier", plan=plan)
        context["retire_form"] = RetireForm(prefix="retire")
    if rights.request_signoff and plan.unsigned_since is not None:
        context["signoff_form"] = bound.get("signoff") or SignoffRequestForm(prefix="signoff")
    if rights.edit_any_goal:
        context["goal_form"] = bound.get("goal") or GoalForm(
            prefix="goal", members=members, domains=rights.goal_domains
        )
    for group in detail.goal_groups:
        # Said where the option is missing, from the rule that would refuse it.
        group.why_not = rights.why_not_edit_goal(group.domain)
    for goal in detail.goals:
        goal.edit_form = bound.get(f"goal-{goal.pk}")  # type: ignore[attr-defined]
        goal.may_edit = rights.can_edit_goal(goal.domain)  # type: ignore[attr-defined]
        goal.may_edit_work = rights.can_edit_goal_work(goal.domain)  # type: ignore[attr-defined]
        # The add form is fetched on demand (htmx), so a long plan renders no idle forms.
        add_form = bound.get(f"intervention-for-{goal.pk}")
        if (
            add_form is None
            and goal.may_edit_work  # type: ignore[attr-defined]
            and bound.get("add_intervention") == str(goal.pk)
        ):
            add_form = InterventionForm(prefix=f"new-intervention-{goal.pk}", members=members)
        goal.intervention_form = add_form  # type: ignore[attr-defined]
        for intervention in goal.plan_interventions:  # type: ignore[attr-defined]
            intervention.edit_form = bound.get(f"intervention-{intervention.pk}")
            intervention.cancel_form = bound.get(f"cancel-{intervention.pk}")
    context["open_section"] = bound.get("open_section", "")
    return context


def _plan_response(
    request: AuthenticatedHttpRequest, patient: Patient, bound: dict[str, Any] | None = None
) -> HttpResponse:
    template = BODY if is_htmx(request) else PAGE
    return render(request, template, _plan_context(request, patient, bound))


def _after_write(request: AuthenticatedHttpRequest, patient: Patient, note: str) -> HttpResponse:
    if is_htmx(request):
        response = _plan_response(request, patient)
        response["HX-Trigger"] = "carePlanChanged"
        return response
    messages.success(request, note)
    return redirect("careplans:plan", patient_id=patient.pk)


def _write_from_form(
    request: AuthenticatedHttpRequest,
    plan: CarePlan,
    form: forms.Form,
    write: Callable[[dict[str, Any]], object],
    *,
    note: str,
    bound: dict[str, Any],
) -> HttpResponse:
    """A plan form's POST: the service writes from the cleaned data, or the plan comes back
    with the form (under `bound`) showing the refusal where the user typed."""
    if request.method == "POST" and form_write(form, write):
        return _after_write(request, plan.patient, note)
    return _plan_response(request, plan.patient, bound)


@login_required
@require_http_methods(["GET", "POST"])
@htmx_action
def plan_page(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """The patient's plan; POST starts one."""
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    if request.method == "POST":
        services.care_plan_create(actor=request.user, patient=patient)
        return _after_write(request, patient, "Care plan started.")
    return _plan_response(
        request, patient, {"add_intervention": request.GET.get("add_intervention", "")}
    )


@login_required
@require_GET
def plan_card(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """The chart section, loaded lazily by htmx."""
    patient, plan = selectors.care_plan_card_for_user(user=request.user, patient_id=patient_id)
    return render(request, "careplans/_card.html", {"patient": patient, "plan": plan})


@login_required
@require_POST
@htmx_action
def plan_voice(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    plan = _open_plan(request, patient_id)
    form = CarePlanVoiceForm.for_plan(plan, request.POST)
    return _write_from_form(
        request,
        plan,
        form,
        lambda values: services.care_plan_update(actor=request.user, plan=plan, **values),
        note="The patient's voice was saved.",
        bound={"voice": form, "open_section": "voice"},
    )


@login_required
@require_POST
@htmx_action
def plan_profile(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    plan = _open_plan(request, patient_id)
    form = CarePlanProfileForm.for_plan(
        plan,
        selectors.pathways_for_patient(patient=plan.patient),
        list(plan.pathways.all()),
        request.POST,
    )
    return _write_from_form(
        request,
        plan,
        form,
        lambda values: services.care_plan_update(
            actor=request.user, plan=plan, **{**values, "pathways": list(values["pathways"])}
        ),
        note="The plan details were saved.",
        bound={"profile": form, "open_section": "profile"},
    )


@login_required
@require_POST
@htmx_action
def goal_add(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    plan = _open_plan(request, patient_id)
    rights = require_can_edit_any_goal(request.user, plan.patient)
    form = GoalForm(
        request.POST,
        prefix="goal",
        members=patient_care_team(patient=plan.patient),
        domains=rights.goal_domains,
    )
    return _write_from_form(
        request,
        plan,
        form,
        lambda values: services.goal_create(actor=request.user, plan=plan, **values),
        note="Goal added.",
        bound={"goal": form, "open_section": "goal"},
    )


@login_required
@require_http_methods(["GET", "POST"])
@htmx_action
def goal_edit(request: AuthenticatedHttpRequest, patient_id: int, goal_id: int) -> HttpResponse:
    plan = _open_plan(request, patient_id)
    goal = selectors.goal_get_for_plan(plan=plan, goal_id=goal_id)
    form = GoalForm.for_goal(
        goal,
        patient_care_team(patient=plan.patient),
        care_plan_rights(request.user, plan.patient).goal_domains,
        request.POST if request.method == "POST" else None,
    )
    return _write_from_form(
        request,
        plan,
        form,
        lambda values: services.goal_update(actor=request.user, goal=goal, **values),
        note="Goal saved.",
        bound={f"goal-{goal.pk}": form},
    )


@login_required
@require_POST
@htmx_action
def goal_remove(request: AuthenticatedHttpRequest, patient_id: int, goal_id: int) -> HttpResponse:
    plan = _open_plan(request, patient_id)
    goal = selectors.goal_get_for_plan(plan=plan, goal_id=goal_id)
    services.goal_remove(actor=request.user, goal=goal)
    return _after_write(request, plan.patient, "Goal removed.")


@login_required
@require_http_methods(["GET", "POST"])
@htmx_action
def intervention_add(
    request: AuthenticatedHttpRequest, patient_id: int, goal_id: int
) -> HttpResponse:
    """GET: the add form for one goal (an htmx fragment); POST: add the intervention."""
    plan = _open_plan(request, patient_id)
    goal = selectors.goal_get_for_plan(plan=plan, goal_id=goal_id)
    form = InterventionForm(
        request.POST if request.method == "POST" else None,
        prefix=f"new-intervention-{goal.pk}",
        members=patient_care_team(patient=plan.patient),
    )
    if request.method == "GET":
        require_can_edit_goal_work(request.user, plan.patient, goal)
        if not is_htmx(request):
            return redirect(
                f"{reverse('careplans:plan', args=[plan.patient_id])}"
                f"?add_intervention={goal.pk}#goal-{goal.pk}"
            )
        return render(
            request,
            "careplans/_intervention_add_form.html",
            {"form": form, "goal": goal, "patient": plan.patient},
        )
    return _write_from_form(
        request,
        plan,
        form,
        lambda values: services.intervention_create(actor=request.user, goal=goal, **values),
        note="Intervention added; its task is created.",
        bound={f"intervention-for-{goal.pk}": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
@htmx_action
def intervention_edit(
    request: AuthenticatedHttpRequest, patient_id: int, intervention_id: int
) -> HttpResponse:
    plan = _open_plan(request, patient_id)
    intervention = selectors.intervention_get_for_plan(plan=plan, intervention_id=intervention_id)
    form = InterventionEditForm.for_intervention(
        intervention,
        patient_care_team(patient=plan.patient),
        request.POST if request.method == "POST" else None,
    )
    return _write_from_form(
        request,
        plan,
        form,
        lambda values: services.intervention_update(
            actor=request.user, intervention=intervention, **values
        ),
        note="Intervention saved.",
        bound={f"intervention-{intervention.pk}": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
@htmx_action
def intervention_cancel(
    request: AuthenticatedHttpRequest, patient_id: int, intervention_id: int
) -> HttpResponse:
    plan = _open_plan(request, patient_id)
    intervention = selectors.intervention_get_for_plan(plan=plan, intervention_id=intervention_id)
    form = InterventionCancelForm(
        request.POST if request.method == "POST" else None, prefix=f"cancel-{intervention.pk}"
    )
    return _write_from_form(
        request,
        plan,
        form,
        lambda values: services.intervention_cancel(
            actor=request.user, intervention=intervention, reason=values["reason"]
        ),
        note="Intervention cancelled.",
        bound={f"cancel-{intervention.pk}": form},
    )


@login_required
@require_POST
@htmx_action
def barrier_add(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    plan = _open_plan(request, patient_id)
    form = BarrierForm(request.POST, prefix="barrier", plan=plan)
    return _write_from_form(
        request,
        plan,
        form,
        lambda values: services.barrier_create(actor=request.user, plan=plan, **values),
        note="Barrier added.",
        bound={"barrier": form, "open_section": "barrier"},
    )


@login_required
@require_POST
@htmx_action
def barrier_remove(
    request: AuthenticatedHttpRequest, patient_id: int, barrier_id: int
) -> HttpResponse:
    plan = _open_plan(request, patient_id)
    barrier = selectors.barrier_get_for_plan(plan=plan, barrier_id=barrier_id)
    services.barrier_remove(actor=request.user, barrier=barrier)
    return _after_write(request, plan.patient, "Barrier removed.")


@login_required
@require_POST
def plan_retire(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    plan = _open_plan(request, patient_id)
    form = RetireForm(request.POST, prefix="retire")
    if form.is_valid():
        try:
            services.care_plan_retire(
                actor=request.user, plan=plan, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "The care plan was retired.")
    else:
        messages.error(request, "Say why the plan is retired.")
    return redirect("careplans:plan", patient_id=plan.patient_id)


@login_required
@require_POST
def plan_signoff_request(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """An editor sends the plan's unsigned changes to the PCP, with the reason."""
    plan = _open_plan(request, patient_id)
    form = SignoffRequestForm(request.POST, prefix="signoff")
    return _write_from_form(
        request,
        plan,
        form,
        lambda values: services.plan_signoff_request(
            actor=request.user, plan=plan, reason=values["reason"]
        ),
        note="The plan was sent to the PCP for sign-off.",
        bound={"signoff": form},
    )


def _review_response(
    request: AuthenticatedHttpRequest,
    review: selectors.CarePlanReview,
    return_form: ReturnForm | None = None,
) -> HttpResponse:
    return render(
        request,
        "careplans/review.html",
        {
            "review": review,
            "plan": review.plan,
            "patient": review.plan.patient,
            "form": SignForm(initial={"fingerprint": review.fingerprint}),
            "return_form": return_form or ReturnForm(prefix="return"),
            "why_not_sign": why_not_sign_care_plan(request.user, review.plan.patient),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_review(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """What changed since the last signed version; a PCP on the team signs it here."""
    review = selectors.care_plan_review_for_user(user=request.user, patient_id=patient_id)
    form = SignForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.care_plan_sign(
                actor=request.user, plan=review.plan, fingerprint=form.cleaned_data["fingerprint"]
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"You signed version {version.number} of the care plan.")
        return redirect("careplans:review", patient_id=review.plan.patient_id)
    return _review_response(request, review)


@login_required
@require_POST
def plan_signoff_return(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """The PCP sends the plan back to its editors with comments instead of signing it."""
    review = selectors.care_plan_review_for_user(user=request.user, patient_id=patient_id)
    form = ReturnForm(request.POST, prefix="return")
    if form.is_valid():
        try:
            task = services.plan_signoff_return(
                actor=request.user, plan=review.plan, comments=form.cleaned_data["comments"]
            )
        except ApplicationError as error:
            add_errors_to_form(form, error)
        else:
            owner = task.owner.display_name if task.owner else "its editors"
            messages.success(request, f"The plan went back to {owner} with your comments.")
            return redirect("careplans:review_list")
    return _review_response(request, review, form)


@login_required
@require_GET
def plan_versions(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    plan, versions = selectors.care_plan_history_for_user(user=request.user, patient_id=patient_id)
    return render(
        request,
        "careplans/versions.html",
        {"plan": plan, "patient": plan.patient, "versions": versions},
    )


@login_required
@require_GET
def version_diff(request: AuthenticatedHttpRequest, patient_id: int, number: int) -> HttpResponse:
    plan = _open_plan(request, patient_id)
    before, after, diff = selectors.care_plan_version_diff(
        plan=plan, from_number=None, to_number=number
    )
    return render(
        request,
        "careplans/_version_diff.html",
        {"plan": plan, "before": before, "after": after, "diff": diff},
    )


@login_required
@require_GET
def plan_summary(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """The patient's take-home summary: large type, plain words, print stylesheet."""
    summary = selectors.care_plan_summary_for_user(user=request.user, patient_id=patient_id)
    return HttpResponse(render_summary("careplans/summary.html", summary, request))


@login_required
@require_GET
def plan_summary_pdf(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    summary = selectors.care_plan_summary_for_user(
        user=request.user, patient_id=patient_id, export=True
    )
    return summary_pdf_response(summary)


@login_required
@require_GET
def review_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Plans waiting for a PCP: unsigned too long, review overdue, or flagged after a transition."""
    rows = selectors.care_plans_due_for_review(user=request.user)
    return render(request, "careplans/review_list.html", {"rows": rows})
