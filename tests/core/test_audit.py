import pytest
from django.db import DatabaseError, connection, transaction

from apps.core.audit import audit_record
from apps.core.models import AuditAction, AuditEvent


@pytest.fixture
def event(db):
    return audit_record(
        actor=None,
        action=AuditAction.VIEW,
        object_type="patients.patient",
        object_id=1,
        patient_id=1,
    )


def test_audit_events_cannot_be_changed_through_the_model(event):
    event.object_id = "2"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(object_id="3")
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE core_auditevent SET object_id = 'x'", "DELETE FROM core_auditevent"],
)
def test_the_database_refuses_update_and_delete_on_the_trail(event, statement):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    event.refresh_from_db()
    assert event.object_id == "1"
