"""The chart's complex-needs section: evidence, flag and reasons; htmx forms that add evidence.

Every POST re-renders the whole section (the flag may change with any piece
of evidence), so the browser swaps one fragment and never reloads the page.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.http import AuthenticatedHttpRequest
from apps.core.exceptions import ApplicationError
from apps.core.form_actions import form_write
from apps.core.htmx import htmx_action
from apps.core.views import is_htmx
from apps.patients.forms import (
    AreaDeprivationForm,
    ConditionForm,
    ConditionResolveForm,
    EncounterForm,
    SdohScreenForm,
)
from apps.patients.models import Patient
from apps.patients.selectors import patient_get_for_user
from apps.patients.selectors.clinical import condition_get_for_user, patient_clinical_section
from apps.patients.services import clinical


def _section(
    request: AuthenticatedHttpRequest,
    patient: Patient,
    *,
    open_form: str = "",
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    section = patient_clinical_section(user=request.user, patient=patient)
    adi = section.deprivation
    context: dict[str, Any] = {
        "patient": patient,
        "section": section,
        "complexity": section.complexity,
        "open_form": open_form,
        "condition_form": ConditionForm(),
        "encounter_form": EncounterForm(),
        "screen_form": SdohScreenForm(),
        "adi_form": AreaDeprivationForm(
            initial={
                "national_percentile": adi.national_percentile,
                "state_decile": adi.state_decile,
                "suppression_code": adi.suppression_code,
                "block_group": adi.block_group,
            }
            if adi
            else None
        ),
    }
    context.update(extra)
    template = "patients/_clinical.html" if is_htmx(request) else "patients/clinical.html"
    return render(request, template, context, status=status)


def _done(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    if is_htmx(request):
        return _section(request, patient)
    return redirect("patients:clinical", patient_id=patient.pk)


def _add_evidence(
    request: AuthenticatedHttpRequest,
    patient_id: int,
    form_class: type[forms.Form],
    name: str,
    write: Callable[[Patient, Any], object],
) -> HttpResponse:
    """One piece of evidence from its chart form: the section comes back with the flag
    recomputed, or with form `name` open and its errors where the user typed."""
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    form = form_class(request.POST)
    if form_write(form, lambda _values: write(patient, form)):
        return _done(request, patient)
    bound: dict[str, Any] = {f"{name}_form": form}
    return _section(request, patient, open_form=name, **bound)


@login_required
@require_GET
def patient_clinical(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    return _section(request, patient)


@login_required
@require_POST
@htmx_action
def condition_add(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    return _add_evidence(
        request,
        patient_id,
        ConditionForm,
        "condition",
        lambda patient, form: clinical.condition_add(
            actor=request.user,
            patient=patient,
            code=form.cleaned_data["code"],
            onset_date=form.cleaned_data["onset_date"],
        ),
    )


@login_required
@require_POST
@htmx_action
def condition_resolve(
    request: AuthenticatedHttpRequest, patient_id: int, condition_id: int
) -> HttpResponse:
    condition = condition_get_for_user(
        user=request.user, patient_id=patient_id, condition_id=condition_id
    )
    form = ConditionResolveForm(request.POST)
    if form.is_valid():
        try:
            clinical.condition_resolve(
                actor=request.user,
                condition=condition,
                resolved_date=form.cleaned_data["resolved_date"],
            )
        except ApplicationError as error:
            messages = [m for values in error.field_errors.values() for m in values]
            error_text = " ".join(messages) or error.message
        else:
            return _done(request, condition.patient)
    else:
        error_text = "Give a valid resolution date."
    return _section(
        request,
        condition.patient,
        open_form="resolved",
        resolve_error={"condition_id": condition.pk, "text": error_text},
    )


@login_required
@require_POST
@htmx_action
def encounter_add(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    return _add_evidence(
        request,
        patient_id,
        EncounterForm,
        "encounter",
        lambda patient, form: clinical.encounter_add(
            actor=request.user, patient=patient, **form.cleaned_data
        ),
    )


@login_required
@require_POST
@htmx_action
def sdoh_screen_add(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    return _add_evidence(
        request,
        patient_id,
        SdohScreenForm,
        "screen",
        lambda patient, form: clinical.sdoh_screen_record(
            actor=request.user,
            patient=patient,
            screened_on=form.cleaned_data["screened_on"],
            answers=form.answers(),
        ),
    )


@login_required
@require_POST
@htmx_action
def area_deprivation_set(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    return _add_evidence(
        request,
        patient_id,
        AreaDeprivationForm,
        "adi",
        lambda patient, form: clinical.patient_area_deprivation_set(
            actor=request.user, patient=patient, **form.cleaned_data
        ),
    )
