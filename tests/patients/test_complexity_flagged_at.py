"""When a patient's complex-needs flag turned on: kept while it stays on."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from apps.patients.models import Condition, PatientComplexity
from apps.patients.services import clinical
from tests.patients.factories import add_encounters, make_complex


def test_the_flag_keeps_the_moment_it_turned_on_until_it_turns_off(nurse, patient, client_for):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        make_complex(nurse, patient)
    flagged = PatientComplexity.objects.get(patient=patient)
    assert flagged.is_complex
    assert flagged.flagged_at == start

    with time_machine.travel(start + timedelta(days=3), tick=False):
        add_encounters(nurse, patient, "ed", 5)  # fresh evidence, still complex
    again = PatientComplexity.objects.get(patient=patient)
    assert again.computed_at > start
    assert again.flagged_at == start
    body = client_for(nurse).get(f"/patients/{patient.pk}/clinical/").content.decode()
    assert f"since {timezone.localtime(start):%Y-%m-%d}" in body  # the organisation's day

    with time_machine.travel(start + timedelta(days=5), tick=False):
        for condition in Condition.objects.filter(patient=patient):
            clinical.condition_resolve(actor=nurse, condition=condition)
    off = PatientComplexity.objects.get(patient=patient)
    assert (off.is_complex, off.flagged_at) == (False, None)

    later = start + timedelta(days=9)
    with time_machine.travel(later, tick=False):
        clinical.condition_add(actor=nurse, patient=patient, code="I50.9")
        for code in ("N18.4", "E11.22", "J44.9"):
            clinical.condition_add(actor=nurse, patient=patient, code=code)
    back = PatientComplexity.objects.get(patient=patient)
    assert (back.is_complex, back.flagged_at) == (True, later)
