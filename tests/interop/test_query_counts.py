"""Statements per ADT message, pinned (committed transactions, as the doors run them).

Counts include BEGIN and COMMIT. Measured when pinned: A01 17, an A08 with
nothing new 11, an A08 with new demographics 13, a discharge home with its
follow-up 28 (the targets of 14 / 10 / 20 count without BEGIN and COMMIT:
15 / 9 / 26).
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.interop.services import adt_receive
from apps.patients.models import Patient, Sex
from apps.transitions.selectors import transition_settings_for
from tests.interop.messages import adt

pytestmark = pytest.mark.django_db(transaction=True)


def statements(interface, raw: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        result = adt_receive(actor=interface, raw=raw)
    assert result.ack_code == "AA", result.ack
    return len(captured.captured_queries)


@pytest.fixture
def ready(known_patient):
    """Settings made (once per organisation) and the record as the hospital has it."""
    transition_settings_for(known_patient.organisation_id)
    Patient.objects.filter(pk=known_patient.pk).update(sex=Sex.FEMALE)


@pytest.fixture
def admitted(interface, ready, nurse):
    at = timezone.now() - timedelta(days=2)
    adt_receive(actor=interface, raw=adt("A01", control_id="Q0", admitted_at=at))


def test_an_admission_takes_at_most_17_statements(interface, ready, nurse):
    at = timezone.now() - timedelta(days=2)
    assert statements(interface, adt("A01", control_id="Q1", admitted_at=at)) <= 17


def test_an_a08_with_nothing_new_takes_at_most_11_statements(interface, admitted):
    assert statements(interface, adt("A08", control_id="Q2")) <= 11


def test_an_a08_with_new_demographics_takes_at_most_13_statements(interface, admitted):
    assert statements(interface, adt("A08", control_id="Q3", phone="555-0101")) <= 13


def test_a_discharge_home_with_its_follow_up_takes_at_most_28_statements(interface, admitted):
    raw = adt("A03", control_id="Q4", discharged_at=timezone.now(), disposition="01")
    assert statements(interface, raw) <= 28
