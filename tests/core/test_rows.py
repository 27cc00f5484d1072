"""`insert_rows`: many new rows in one statement, stored as `bulk_create` stores them."""

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.core.models import AuditEvent
from apps.core.rows import insert_rows
from apps.transitions.models import ChecklistItem, ChecklistItemCode
from tests.transitions.factories import admit


def test_insert_rows_stores_defaults_and_creation_times_and_sets_each_id(patient, nurse):
    handoff = admit(patient)
    before = timezone.now()
    items = [ChecklistItem(handoff=handoff, code=code) for code in ChecklistItemCode.values]
    with CaptureQueriesContext(connection) as captured:
        insert_rows(ChecklistItem, items)
    assert len(captured.captured_queries) == 1
    stored = {item.pk: item for item in ChecklistItem.objects.filter(handoff=handoff)}
    assert sorted(stored) == sorted(item.pk for item in items)
    for item in items:
        row = stored[item.pk]
        assert (row.code, row.note, row.done_at, row.done_by_id) == (item.code, "", None, None)
        assert row.created_at >= before
        assert row.updated_at == item.updated_at
        assert not item._state.adding


@pytest.mark.django_db
def test_insert_rows_prepares_values_that_are_not_plain_as_their_fields_do():
    """A number given as text, a naive time, JSON and an address still store as they
    would through the model."""
    naive = datetime(2025, 3, 11, 14, 0)  # noqa: DTZ001  # naive on purpose
    event = AuditEvent(
        action="create",
        source="hl7",
        object_type="tests.thing",
        patient_id="12",  # type: ignore[misc]
        ip_address="10.0.0.7",
        detail={"fields": ["a"], "n": 1},
        patient_ids=[12, 13],
    )
    event.occurred_at = naive
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        insert_rows(AuditEvent, [event])
    row = AuditEvent.objects.get(pk=event.pk)
    assert (row.patient_id, row.ip_address, row.patient_ids) == (12, "10.0.0.7", [12, 13])
    assert row.detail == {"fields": ["a"], "n": 1}
    assert row.occurred_at == timezone.make_aware(naive)
