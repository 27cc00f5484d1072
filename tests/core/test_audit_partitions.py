"""The audit trail is partitioned by month on PostgreSQL: each event lands in its month,
months are made ahead, a closed month leaves for a checksummed file, and the
application's role can touch no partition directly."""

import gzip
import hashlib
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.core import audit_partitions
from apps.core.audit import audit_record
from apps.core.models import AuditAction, AuditEvent

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitions are PostgreSQL's"
)


def _event_at(moment: datetime, object_id: str = "") -> AuditEvent:
    event = AuditEvent(
        occurred_at=moment,
        action=AuditAction.VIEW,
        source="system",
        object_type="patients.patient",
        object_id=object_id,
    )
    event.save()
    return event


def _partition_of(event: AuditEvent) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM core_auditevent WHERE id = %s", [event.pk]
        )
        return cursor.fetchone()[0]


def _this_month() -> date:
    return audit_partitions.month_start(datetime.now(UTC).date())


def test_each_event_lands_in_the_partition_of_its_month(db):
    event = audit_record(actor=None, action=AuditAction.VIEW, object_type="patients.patient")
    assert audit_partitions.is_partitioned()
    assert _partition_of(event) == audit_partitions.partition_name(_this_month())
    far = _event_at(datetime(2091, 3, 5, tzinfo=UTC))
    assert _partition_of(far) == audit_partitions.DEFAULT_PARTITION  # never refused


def test_months_are_made_ahead_and_a_month_already_holding_events_in_default_is_reported(db):
    stuck = audit_partitions.add_months(_this_month(), 20)
    _event_at(datetime(stuck.year, stuck.month, 2, tzinfo=UTC))

    result = audit_partitions.partitions_ensure(ahead=24)

    months = {p.month for p in audit_partitions.partitions_list() if p.month}
    assert audit_partitions.add_months(_this_month(), 24) in months
    assert stuck not in months
    assert result.blocked == [stuck]
    assert audit_partitions.partition_name(audit_partitions.add_months(_this_month(), 13)) in (
        result.created
    )
    with pytest.raises(CommandError, match=f"{stuck:%Y-%m}"):
        call_command("audit_partitions", "--ahead", "24")


def test_a_closed_month_is_archived_to_a_checksummed_file_then_detached(db, tmp_path):
    month = audit_partitions.add_months(_this_month(), -3)
    audit_partitions.partitions_ensure(since=month)
    inside = [
        _event_at(datetime(month.year, month.month, day, 12, tzinfo=UTC), f"e{day}")
        for day in (1, 9, 28)
    ]
    kept = audit_record(actor=None, action=AuditAction.VIEW, object_type="patients.patient")

    result = audit_partitions.partition_archive(month, tmp_path)

    assert result.rows == 3
    assert hashlib.sha256(result.path.read_bytes()).hexdigest() == result.sha256
    assert (tmp_path / f"{result.path.name}.sha256").read_text().split()[0] == result.sha256
    with gzip.open(result.path) as archived:
        records = [json.loads(line) for line in archived]
    assert [r["id"] for r in records] == [e.pk for e in inside]
    assert [r["object_id"] for r in records] == ["e1", "e9", "e28"]
    # Gone from the live trail, kept as a detached table for the owner to drop.
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in inside]).exists()
    assert AuditEvent.objects.filter(pk=kept.pk).exists()
    assert month not in {p.month for p in audit_partitions.partitions_list()}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {result.partition}")  # noqa: S608
        assert cursor.fetchone()[0] == 3


def test_an_open_month_or_an_existing_archive_is_never_archived(db, tmp_path):
    with pytest.raises(CommandError, match="not closed"):
        call_command("audit_archive", "--month", f"{_this_month():%Y-%m}", "--to", str(tmp_path))
    month = audit_partitions.add_months(_this_month(), -2)
    audit_partitions.partitions_ensure(since=month)
    name = audit_partitions.partition_name(month)
    (tmp_path / f"{name}.ndjson.gz").write_bytes(b"earlier archive")
    with pytest.raises(CommandError, match="never overwritten"):
        call_command("audit_archive", "--month", f"{month:%Y-%m}", "--to", str(tmp_path))
    assert (tmp_path / f"{name}.ndjson.gz").read_bytes() == b"earlier archive"
    assert month in {p.month for p in audit_partitions.partitions_list()}


def test_due_archiving_takes_only_months_past_retention(db, tmp_path, settings):
    settings.AUDIT_RETENTION_YEARS = 1
    oldest = audit_partitions.add_months(_this_month(), -14)
    audit_partitions.partitions_ensure(since=oldest)
    _event_at(datetime(oldest.year, oldest.month, 3, tzinfo=UTC))

    due = audit_partitions.archive_due()
    assert {oldest, audit_partitions.add_months(oldest, 1)} <= set(due)
    assert audit_partitions.add_months(oldest, 2) not in due

    call_command("audit_archive", "--due", "--to", str(tmp_path))

    archived = sorted(path.name for path in tmp_path.glob("*.ndjson.gz"))
    assert archived == [f"{audit_partitions.partition_name(month)}.ndjson.gz" for month in due]
    assert audit_partitions.add_months(oldest, 2) in {
        p.month for p in audit_partitions.partitions_list()
    }


@pytest.fixture
def app_role(transactional_db) -> Iterator[str]:
    role = f"cg_app_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} LOGIN")
    try:
        yield role
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")


def test_the_app_role_writes_through_the_trail_but_cannot_touch_a_partition(app_role, tmp_path):
    event = audit_record(actor=None, action=AuditAction.VIEW, object_type="patients.patient")
    partition = _partition_of(event)
    closed = audit_partitions.add_months(_this_month(), -5)
    audit_partitions.partitions_ensure(since=closed)
    _event_at(datetime(closed.year, closed.month, 2, tzinfo=UTC))
    detached = audit_partitions.partition_archive(closed, tmp_path).partition
    try:
        call_command("db_grant_app_role", app_role)
        settings = connection.settings_dict
        with psycopg.connect(
            host=settings["HOST"],
            port=settings["PORT"] or 5432,
            dbname=settings["NAME"],
            user=app_role,
            password=settings["PASSWORD"] or None,
            autocommit=True,
        ) as app:
            app.execute(
                "INSERT INTO core_auditevent (occurred_at, actor_username, action, source, "
                "object_type, object_id, patient_ids, path, break_glass, detail) VALUES "
                "(now(), '', 'view', 'system', 'patients.patient', '', '[]', '', false, '{}')"
            )
            for statement in (
                f"SELECT count(*) FROM {partition}",  # noqa: S608
                f"DELETE FROM {partition}",  # noqa: S608
                f"TRUNCATE {partition}",
                f"UPDATE {partition} SET object_id = 'x'",  # noqa: S608
                f"ALTER TABLE core_auditevent DETACH PARTITION {partition}",
                # A month detached for archiving is no easier to reach.
                f"DELETE FROM {detached}",  # noqa: S608
                f"SELECT count(*) FROM {detached}",  # noqa: S608
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    app.execute(statement)
        assert AuditEvent.objects.count() == 2
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {detached}")


def test_the_migration_keeps_every_event_and_ids_go_on_after_them(transactional_db):
    executor = MigrationExecutor(connection)
    before = [("core", "0005_audit_refuses_truncate")]
    after = [("core", "0006_audit_partitioned_by_month")]
    executor.migrate(before)
    try:
        assert not audit_partitions.is_partitioned()
        old = [_event_at(datetime(2019, 7, 4, tzinfo=UTC), "old"), _event_at(datetime.now(UTC))]
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)
    assert audit_partitions.is_partitioned()
    assert sorted(AuditEvent.objects.values_list("pk", flat=True)) == sorted(e.pk for e in old)
    assert audit_partitions.month_start(date(2019, 7, 4)) in {
        p.month for p in audit_partitions.partitions_list()
    }
    newer = audit_record(actor=None, action=AuditAction.VIEW, object_type="patients.patient")
    assert newer.pk > max(e.pk for e in old)
    with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET object_id = 'x' WHERE id = %s", [old[0].pk])
    with connection.cursor() as cursor:  # the month this test made, gone with its test
        cursor.execute(f"DROP TABLE {audit_partitions.partition_name(date(2019, 7, 1))}")
