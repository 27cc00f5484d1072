"""The transition services lock the patient's row, unless the caller holds that lock already."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.patients.models import Patient
from apps.transitions.services import patient_lock_held
from tests.transitions.factories import admit

pytestmark = pytest.mark.django_db(transaction=True)


def _patient_locks(captured: CaptureQueriesContext) -> int:
    return sum(
        'FROM "patients_patient"' in query["sql"] and "FOR UPDATE" in query["sql"]
        for query in captured.captured_queries
    )


def test_a_patient_locked_by_the_caller_in_this_transaction_is_not_read_again(patient):
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        locked = patient_lock_held(
            Patient.objects.select_for_update(of=("self",))
            .select_related("care_team")
            .get(pk=patient.pk)
        )
        admit(locked)
    assert _patient_locks(captured) == 1  # the caller's own


def test_a_patient_marked_locked_in_an_earlier_transaction_is_locked_again(patient):
    with transaction.atomic():
        locked = patient_lock_held(
            Patient.objects.select_for_update(of=("self",)).get(pk=patient.pk)
        )
    with CaptureQueriesContext(connection) as captured:
        admit(locked)  # the earlier lock ended with its transaction
    assert _patient_locks(captured) == 1
