"""Statements per ADT message, pinned (committed transactions, as the doors run them).

Counts include BEGIN and COMMIT. The issue's targets are A08 <= 10, A01 <= 14
and A03 with its follow-up <= 20; pinned here are the figures measured (A01
9, an A08 with nothing new 7, an A08 with new demographics 8, a discharge
home with its follow-up 12, a readmission with its review task 15; before:
17 / 11 / 13 / 28, then 11 / 16 / 23, then 10 / 15 / 17), so that a
statement added on the way shows. What made the difference: one transaction
per message with no savepoints for the nested services (the readmission's
task included), the patient matched, locked and checked against the match
queue in one statement (a discharge's patient with the complexity flag, the
organisation's settings and closure days), an admission's repeat check, open
and watched episodes read in one, a readmission's episode stored with its
link, a discharge's stay read with its whole chain and its episode locked, and
the message's audit events (the task's too) written in one INSERT. On an MLLP
connection the lock limit is set once for the session, not per message.
"""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.core.contention import limit_session_lock_waits
from apps.core.models import AuditEvent
from apps.interop.models import AdtMessage
from apps.interop.services import adt_receive
from apps.patients.models import Patient, Sex
from apps.tasks.models import Task
from apps.transitions.models import Episode
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


def test_an_admission_takes_at_most_9_statements(interface, ready, nurse):
    at = timezone.now() - timedelta(days=2)
    assert statements(interface, adt("A01", control_id="Q1", admitted_at=at)) <= 9


@pytest.fixture
def session_limited():
    """The listener's connection: its session keeps the lock limit (closed afterwards, so
    the limit does not follow later tests)."""
    yield
    connection.close()


def test_an_admission_on_an_mllp_connection_takes_at_most_8_statements(
    interface, ready, nurse, settings, session_limited
):
    """The listener sets the lock limit once for its connection's session."""
    limit_session_lock_waits(settings.HL7_LOCK_TIMEOUT_MS)
    at = timezone.now() - timedelta(days=2)
    assert statements(interface, adt("A01", control_id="Q1", admitted_at=at)) <= 8


@pytest.mark.postgresql_only  # lock_timeout
def test_a_session_lock_limit_still_limits_every_transaction(settings, session_limited):
    settings.HL7_LOCK_TIMEOUT_MS = 1234
    limit_session_lock_waits(1234)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == "1234ms"


def test_an_a08_with_nothing_new_takes_at_most_7_statements(interface, admitted):
    assert statements(interface, adt("A08", control_id="Q2")) <= 7


def test_an_a08_with_new_demographics_takes_at_most_8_statements(interface, admitted):
    assert statements(interface, adt("A08", control_id="Q3", phone="555-0101")) <= 8


def test_a_discharge_home_with_its_follow_up_takes_at_most_12_statements(interface, admitted):
    raw = adt("A03", control_id="Q4", discharged_at=timezone.now(), disposition="01")
    assert statements(interface, raw) <= 12


@pytest.fixture
def discharged_home(interface, admitted):
    at = timezone.now() - timedelta(days=1)
    raw = adt("A03", control_id="Q7", discharged_at=at, disposition="01")
    assert adt_receive(actor=interface, raw=raw).ack_code == "AA"


def test_a_readmission_and_its_review_task_take_at_most_15_statements_and_no_savepoint(
    interface, discharged_home
):
    raw = adt("A01", control_id="Q8", visit_number="V2", admitted_at=timezone.now())
    before = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as captured:
        result = adt_receive(actor=interface, raw=raw)
    assert result.ack_code == "AA", result.ack
    sql = [query["sql"] for query in captured.captured_queries]
    assert len(sql) <= 15
    assert not [statement for statement in sql if "SAVEPOINT" in statement]
    assert len([s for s in sql if s.startswith('INSERT INTO "core_auditevent"')]) == 1
    readmitted = Episode.objects.get(readmission_of__isnull=False)
    task = Task.objects.get(source_id=readmitted.pk, title__startswith="Readmitted")
    audited = AuditEvent.objects.order_by("pk")[before:].values_list("object_type", "object_id")
    assert ("tasks.task", str(task.pk)) in list(audited)


def test_a_discharge_still_audits_each_write_it_makes_in_one_insert(interface, admitted):
    raw = adt("A03", control_id="Q5", discharged_at=timezone.now(), disposition="01")
    before = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as captured:
        result = adt_receive(actor=interface, raw=raw)
    assert result.ack_code == "AA", result.ack
    written = list(
        AuditEvent.objects.order_by("pk")[before:].values_list(
            "object_type", "action", "patient_id"
        )
    )
    patient_id = AdtMessage.objects.get(pk=result.message_id).patient_id
    assert written == [
        ("transitions.handoff", "create", patient_id),
        ("transitions.episode", "update", patient_id),
        ("transitions.followup", "create", patient_id),
        ("interop.adtmessage", "create", patient_id),
    ]
    inserts = [q for q in captured.captured_queries if 'INSERT INTO "core_auditevent"' in q["sql"]]
    assert len(inserts) == 1


def test_a_refused_message_leaves_only_its_own_receipt_in_the_trail(interface, admitted):
    """Refused by a transition rule: the trail holds the stored receipt, nothing else."""
    raw = adt("A13", control_id="Q6", visit_number="NO-SUCH-VISIT")
    before = AuditEvent.objects.count()
    result = adt_receive(actor=interface, raw=raw)
    assert result.ack_code == "AE", result.ack
    written = list(AuditEvent.objects.order_by("pk")[before:].values_list("object_type", "detail"))
    assert [(kind, detail["status"]) for kind, detail in written] == [
        ("interop.adtmessage", "error")
    ]
