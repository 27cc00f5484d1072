"""One transaction per unit of work: nested services without savepoints, audit in one INSERT."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.core.audit import audit_record
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditEvent
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
