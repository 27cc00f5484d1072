"""The chart's record section: medications, allergies, appointments, documents, timeline."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.accounts.http import AuthenticatedHttpRequest
from apps.core.views import is_htmx
from apps.patients.selectors.record import patient_record_for_user
from apps.patients.timeline import timeline_kinds


class TimelineFilterForm(forms.Form):
    kind = forms.MultipleChoiceField(required=False, choices=())

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["kind"].choices = timeline_kinds()  # type: ignore[attr-defined]


@login_required
@require_GET
def patient_record(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    form = TimelineFilterForm(request.GET)
    valid = form.is_valid()
    kinds = form.cleaned_data.get("kind", []) if valid else []
    section = patient_record_for_user(user=request.user, patient_id=patient_id, kinds=kinds)
    context = {
        "patient": section.patient,
        "section": section,
        "form": form,
        "kinds": timeline_kinds(),
        "chosen": set(kinds),
    }
    status = 200 if valid else 400
    if is_htmx(request):
        target = request.htmx.target
        template = "patients/_timeline.html" if target == "timeline" else "patients/_record.html"
        return render(request, template, context, status=status)
    return render(request, "patients/record.html", context, status=status)
