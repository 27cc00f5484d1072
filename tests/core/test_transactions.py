"""One transaction per unit of work: nested services without savepoints, audit in one INSERT."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.core.actors import JobActor
from apps.core.audit import audit_record
from apps.core.context import RequestContext, request_context
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditEvent, AuditSource
from apps.core.transactions import atomic_service, one_transaction

pytestmark = pytest.mark.django_db(transaction=True)


def _record(object_id: int) -> None:
    audit_record(
        actor=None, action=AuditAction.UPDATE, object_type="tests.thing", object_id=object_id
    )


@atomic_service
def _service(object_id: int, *, fail: bool = False) -> None:
    _record(object_id)
    if fail:
        raise ApplicationError("Refused.")


def _recorded() -> list[str]:
    return sorted(
        AuditEvent.objects.filter(object_type="tests.thing").values_list("object_id", flat=True)
    )


def _inserts(captured: CaptureQueriesContext) -> int:
    return sum(
        'INSERT INTO "core_auditevent"' in query["sql"] for query in captured.captured_queries
    )


def test_the_audit_events_of_one_transaction_are_written_in_one_insert_at_its_end():
    with CaptureQueriesContext(connection) as captured, one_transaction():
        _record(1)
        _service(2)
        _service(3)
        assert _recorded() == []  # not yet: written when the work is done
    assert _recorded() == ["1", "2", "3"]
    assert _inserts(captured) == 1


def test_services_inside_one_transaction_open_no_savepoints():
    with CaptureQueriesContext(connection) as captured, one_transaction():
        _service(1)
        _service(2)
    assert not [q for q in captured.captured_queries if "SAVEPOINT" in q["sql"]]


def _fails_after_a_write() -> None:
    with one_transaction():
        _service(1)
        _service(2, fail=True)


def test_nothing_collected_is_written_when_the_transaction_fails():
    with pytest.raises(ApplicationError):
        _fails_after_a_write()
    assert _recorded() == []


def test_an_event_inside_a_savepoint_that_rolls_back_is_not_written():
    with one_transaction():
        _record(1)
        try:
            with transaction.atomic():
                _service(2, fail=True)
        except ApplicationError:
            pass
        _service(3)
    assert _recorded() == ["1", "3"]


def test_a_service_called_on_its_own_keeps_its_savepoint_for_a_caller_that_carries_on():
    with transaction.atomic():
        with pytest.raises(ApplicationError):
            _service(1, fail=True)
        _service(2)  # the caller's transaction is still usable
    assert _recorded() == ["2"]


def test_the_one_insert_stores_every_field_of_each_event_as_recorded(nurse):
    """The collected events go in by a statement of their own (not bulk_create): each
    row holds what was recorded, context included, and each event gets its id."""
    context = RequestContext(source=AuditSource.HL7, ip_address="10.1.2.3", path="/mllp")
    with request_context(context), one_transaction():
        first = audit_record(
            actor=nurse,
            action=AuditAction.CREATE,
            object_type="tests.thing",
            object_id=7,
            patient_id=41,
            patient_ids=[41, 42],
            detail={"fields": ["status"], "nested": {"n": 1}},
        )
        second = audit_record(
            actor=JobActor(job="tests.job", for_user=None, organisation_id=5),
            action=AuditAction.UPDATE,
            object_type="tests.thing",
            break_glass=True,
        )
    stored = {event.pk: event for event in AuditEvent.objects.filter(object_type="tests.thing")}
    assert set(stored) == {first.pk, second.pk}
    one, two = stored[first.pk], stored[second.pk]
    assert (one.actor_id, one.actor_username, one.action, one.source) == (
        nurse.pk,
        nurse.username,
        AuditAction.CREATE,
        AuditSource.HL7,
    )
    assert (one.object_id, one.patient_id, one.patient_ids) == ("7", 41, [41, 42])
    assert (one.ip_address, one.path, one.break_glass) == ("10.1.2.3", "/mllp", False)
    assert one.detail == {"fields": ["status"], "nested": {"n": 1}}
    assert one.occurred_at == first.occurred_at
    assert (two.actor_id, two.object_id, two.patient_id, two.break_glass) == (None, "", None, True)
    assert two.detail == {"job": "tests.job", "organisation_id": 5}
