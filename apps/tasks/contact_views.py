"""The chart's contact log section (htmx): the log, newest first, and the form that adds to it.

It lives with the tasks because a reached contact completes the patient's open
call or visit tasks in the same step.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.http import AuthenticatedHttpRequest
from apps.core.form_input import cleaned_or_refused
from apps.core.htmx import htmx_action
from apps.core.views import is_htmx
from apps.patients.models import Patient
from apps.patients.permissions import can_log_contact
from apps.patients.selectors import patient_get_for_user
from apps.patients.selectors.contacts import contact_log_for_patient
from apps.patients.services.contacts import ContactEntry
from apps.tasks.forms import ContactLogForm
from apps.tasks.selectors.contacts import contact_tasks_offered_any_kind
from apps.tasks.services.contacts import contact_log_record_completing
from apps.teams.selectors import team_active_members


def _form(
    request: AuthenticatedHttpRequest, patient: Patient, data: object = None
) -> ContactLogForm:
    return ContactLogForm(
        data,  # type: ignore[arg-type]
        members=team_active_members(team_ids=[patient.care_team_id]),
        offered=[
            (task.pk, task.title)
            for task in contact_tasks_offered_any_kind(user=request.user, patient=patient)
        ],
    )


def _section(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    context = {
        "patient": patient,
        "contacts": contact_log_for_patient(user=request.user, patient=patient),
        "can_log": can_log_contact(request.user, patient),
    }
    if context["can_log"]:
        context["form"] = _form(request, patient)
    return render(request, "tasks/_contact_log.html", context)


@login_required
@require_GET
def contact_log_section(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """The contact log of a patient's chart, loaded lazily."""
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    return _section(request, patient)


@login_required
@require_POST
@htmx_action
def contact_log_add(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """Logs a contact (and completes the ticked tasks); answers the section redrawn."""
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    data = cleaned_or_refused(_form(request, patient, request.POST), "Please correct the contact.")
    members = {
        member.user_id: member.user
        for member in team_active_members(team_ids=[patient.care_team_id])
    }
    performer = data["performed_by"]
    contact_log_record_completing(
        actor=request.user,
        patient=patient,
        entry=ContactEntry(
            kind=data["kind"],
            outcome=data["outcome"],
            contact_at=data["contact_at"],
            performed_by=members.get(performer) if performer is not None else request.user,
            note=data["note"],
        ),
        complete_task_ids=data["complete_tasks"],
    )
    if is_htmx(request):
        response = _section(request, patient)
        # The chart's open tasks reload (a completed one leaves); the counts on My work too.
        response["HX-Trigger"] = "taskChanged, contactLogged"
        return response
    return redirect("patients:chart", patient_id=patient.pk)
