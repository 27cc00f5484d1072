"""The audit trail on PostgreSQL: one partition a month, each as append-only as the
parent, and a closed month archived to checked NDJSON before it is detached."""

import gzip
import hashlib
import json
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from apps.core import audit_partitions as parts
from apps.core.audit import audit_record
from apps.core.models import AuditAction, AuditEvent

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitioning is PostgreSQL's"
)


def _event_at(when: datetime) -> AuditEvent:
    return AuditEvent.objects.create(
        occurred_at=when, action=AuditAction.VIEW, source="system", object_type="x"
    )


def test_the_trail_is_partitioned_by_month_with_the_coming_months_ready(db):
    assert parts.is_partitioned()
    this_month = parts.first_of_month(datetime.now(tz=UTC).date())
    months = parts.partition_months()
    assert this_month in months
    assert parts.month_after(parts.month_after(this_month)) in months
    event = audit_record(actor=None, action=AuditAction.VIEW, object_type="patients.patient")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM core_auditevent WHERE id = %s", [event.pk]
        )
        assert cursor.fetchone()[0] == parts.partition_name(this_month)


def _run_refused(statement: str) -> Exception | None:
    """Runs `statement` in a savepoint as a session that has not asked to truncate; the
    error it raised, if any."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL caregraph.allow_audit_truncate = 'off'")
            cursor.execute(statement)
    except Exception as error:
        return error
    return None


def test_a_partition_is_as_append_only_as_the_trail(db):
    event = audit_record(actor=None, action=AuditAction.VIEW, object_type="patients.patient")
    name = parts.partition_name(parts.first_of_month(datetime.now(tz=UTC).date()))
    for statement in (
        f"UPDATE {name} SET object_id = 'x'",  # noqa: S608
        f"DELETE FROM {name}",  # noqa: S608
        f"TRUNCATE {name}",
    ):
        error = _run_refused(statement)
        assert error is not None, statement
        assert "append-only" in str(error), statement
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_partitions_ensure_makes_future_months_once(db):
    through = date(datetime.now(tz=UTC).year + 1, 12, 1)
    made = parts.partitions_ensure(through=through)
    assert parts.partition_name(through) in made
    assert parts.partitions_ensure(through=through) == []


def test_a_closed_month_is_archived_with_a_checksum_then_detached(transactional_db, tmp_path):
    month = date(2020, 3, 1)
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {parts.TABLE} DETACH PARTITION {parts.DEFAULT_PARTITION}")
        cursor.execute(
            f"CREATE TABLE {parts.partition_name(month)} PARTITION OF {parts.TABLE} "
            "FOR VALUES FROM ('2020-03-01 00:00:00+00') TO ('2020-04-01 00:00:00+00')"
        )
        cursor.execute(
            f"ALTER TABLE {parts.TABLE} ATTACH PARTITION {parts.DEFAULT_PARTITION} DEFAULT"
        )
    first = _event_at(datetime(2020, 3, 2, tzinfo=UTC))
    _event_at(datetime(2020, 3, 31, 23, tzinfo=UTC))
    kept = _event_at(datetime(2020, 4, 1, tzinfo=UTC))

    call_command("audit_archive", month="2020-03", directory=str(tmp_path))

    archive = tmp_path / "core_auditevent_p202003.ndjson.gz"
    lines = gzip.decompress(archive.read_bytes()).decode().splitlines()
    assert json.loads(lines[0])["id"] == first.pk
    assert len(lines) == 2
    checksum = (tmp_path / "core_auditevent_p202003.ndjson.gz.sha256").read_text().split()[0]
    assert checksum == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert month not in parts.partition_months()
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [kept.pk]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {parts.partition_name(month)}")


def test_this_month_is_never_archived(db, tmp_path):
    with pytest.raises(ValueError, match="closed month"):
        parts.partition_archive(month=datetime.now(tz=UTC).date(), directory=tmp_path)


def test_the_daily_job_makes_the_coming_months_partitions(db):
    from apps.core.workers import audit_partitions_ensure_task

    with connection.cursor() as cursor:
        name = parts.partition_name(
            parts.month_after(parts.month_after(parts.first_of_month(datetime.now(tz=UTC).date())))
        )
        cursor.execute(f"ALTER TABLE {parts.TABLE} DETACH PARTITION {name}")
        cursor.execute(f"DROP TABLE {name}")
    audit_partitions_ensure_task()
    assert (
        parts.month_after(parts.month_after(parts.first_of_month(datetime.now(tz=UTC).date())))
        in parts.partition_months()
    )


def test_months_past_the_retention_period_are_archived_and_younger_ones_kept(
    transactional_db, settings, tmp_path
):
    settings.AUDIT_RETENTION_YEARS = 6
    old, young = date(2019, 5, 1), date(datetime.now(tz=UTC).year - 1, 5, 1)
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {parts.TABLE} DETACH PARTITION {parts.DEFAULT_PARTITION}")
        for month in (old, young):
            start, end = parts._bound(month), parts._bound(parts.month_after(month))
            cursor.execute(
                f"CREATE TABLE {parts.partition_name(month)} PARTITION OF {parts.TABLE} "
                f"FOR VALUES FROM ({start}) TO ({end})"
            )
        cursor.execute(
            f"ALTER TABLE {parts.TABLE} ATTACH PARTITION {parts.DEFAULT_PARTITION} DEFAULT"
        )
    _event_at(datetime(2019, 5, 9, tzinfo=UTC))
    kept = _event_at(datetime(young.year, 5, 9, tzinfo=UTC))

    call_command("audit_archive", expired=True, directory=str(tmp_path))

    assert (tmp_path / f"{parts.partition_name(old)}.ndjson.gz").exists()
    assert not (tmp_path / f"{parts.partition_name(young)}.ndjson.gz").exists()
    assert old not in parts.partition_months()
    assert young in parts.partition_months()
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [kept.pk]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {parts.partition_name(old)}")
        cursor.execute(f"DROP TABLE {parts.partition_name(young)}")
