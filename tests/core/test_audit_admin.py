"""The audit trail in the admin: a patient id finds the list reads that showed the
patient, a date range narrows it, and staff see only their own organisation's events."""

import re
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Organisation, User
from apps.core.models import AuditAction, AuditEvent, AuditSource
from tests import factories


def _auditor(organisation: Organisation, username: str) -> User:
    return factories.make_staff(
        organisation, Permission.objects.filter(codename="view_auditevent"), username=username
    )


@pytest.fixture
def auditor(organisation: Organisation) -> User:
    return _auditor(organisation, "auditor")


@pytest.fixture
def stranger(db: None) -> User:
    return _auditor(factories.make_organisation(), "stranger")


def _event(
    actor: User | None,
    occurred_at: datetime | None = None,
    *,
    action: str = AuditAction.VIEW,
    patient_id: int | None = None,
    patient_ids: list[int] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        occurred_at=occurred_at or datetime(2026, 3, 1, 12, tzinfo=UTC),
        actor=actor,
        actor_username=actor.username if actor else "",
        action=action,
        source=AuditSource.ADMIN,
        object_type="patients.patient",
        patient_id=patient_id,
        patient_ids=patient_ids or [],
    )


def _shown(client, **params: str) -> set[int]:
    response = client.get(reverse("admin:core_auditevent_changelist"), params)
    assert response.status_code == 200
    return {event.pk for event in response.context["cl"].result_list}


def test_searching_a_patient_id_finds_the_list_read_that_showed_the_patient(
    client_for, org_admin, patient, other_patient
):
    client = client_for(org_admin)
    assert client.get(reverse("admin:patients_patient_changelist")).status_code == 200
    list_read = AuditEvent.objects.get(
        actor=org_admin, action=AuditAction.LIST, object_type="patients.patient"
    )
    assert patient.pk in list_read.patient_ids
    unrelated = _event(org_admin, action=AuditAction.LIST, patient_ids=[other_patient.pk + 1000])

    found = _shown(client, q=str(patient.pk))

    assert list_read.pk in found
    assert unrelated.pk not in found


def test_a_date_range_narrows_the_trail_and_includes_the_last_day(client_for, org_admin):
    # The days are the site's days (its time zone), not UTC's.
    def local(day: int, hour: int, minute: int) -> datetime:
        return datetime(2026, 1, day, hour, minute, tzinfo=timezone.get_current_timezone())

    before = _event(org_admin, local(9, 23, 59))
    first_day = _event(org_admin, local(10, 0, 0))
    last_day = _event(org_admin, local(15, 23, 0))
    after = _event(org_admin, local(16, 0, 1))

    shown = _shown(
        client_for(org_admin), occurred_at__gte="2026-01-10", occurred_at__lte="2026-01-15"
    )

    assert {first_day.pk, last_day.pk} <= shown
    assert not {before.pk, after.pk} & shown


def test_a_bad_date_in_the_range_is_not_a_server_error(client_for, org_admin):
    response = client_for(org_admin).get(
        reverse("admin:core_auditevent_changelist"), {"occurred_at__gte": "2026-02-31"}
    )
    assert response.status_code in {200, 302}


def test_staff_see_their_organisations_events_only(client_for, auditor, stranger, nurse, patient):
    ours_by_actor = _event(nurse)
    ours_by_patient = _event(None, patient_id=patient.pk)
    theirs = _event(stranger, patient_id=patient.pk + 1000)

    shown = _shown(client_for(auditor))

    assert {ours_by_actor.pk, ours_by_patient.pk} <= shown
    assert theirs.pk not in shown
    assert _shown(client_for(stranger)) & {ours_by_actor.pk, ours_by_patient.pk} == set()


def test_staff_cannot_open_another_organisations_event(client_for, stranger, nurse):
    event = _event(nurse)
    response = client_for(stranger).get(reverse("admin:core_auditevent_change", args=[event.pk]))
    assert response.status_code == 302
    assert response.url == reverse("admin:index")


def test_a_superuser_sees_every_organisations_events(client_for, org_admin, stranger):
    theirs = _event(stranger)
    assert theirs.pk in _shown(client_for(org_admin))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN is PostgreSQL's")
def test_the_search_for_a_patient_in_list_reads_is_served_by_an_index(db):
    """Containment on patient_ids, as the admin search runs it, need not read the whole trail."""
    sql, params = AuditEvent.objects.filter(patient_ids__contains=[42]).query.sql_with_params()
    with connection.cursor() as cursor:
        # The test table is tiny: rule out reading all of it, in table or index order.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # On the monthly partitions the parent's GIN index is one per partition, each named
    # after its partition and column.
    assert "core_audit_patient_ids_gin" in plan or re.search(
        r"Bitmap Index Scan on core_auditevent_p\w+_patient_ids_idx", plan
    )
    assert "Seq Scan" not in plan
