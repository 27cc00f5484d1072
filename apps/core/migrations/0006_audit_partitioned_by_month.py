"""The audit trail becomes a table range-partitioned by month (PostgreSQL only).

Inserts and reads go through `core_auditevent` as before; what changes is that
each calendar month (UTC) is its own partition, so a month can be archived and
detached without touching the rest (apps.core.audit_partitions). The primary
key becomes (id, occurred_at), as PostgreSQL requires of a partitioned table;
ids still come from one identity sequence and stay unique.

Steps, in one transaction: the old table's secondary indexes are dropped and
its primary key renamed (their names are reused); a partitioned twin is made
with LIKE; partitions are added for every month that holds rows, this month
and twelve ahead, and a DEFAULT partition; the rows are copied; the sequence
continues after the highest id; the indexes and the append-only and
no-truncate triggers are made on the new table; the old one is dropped.
A long trail takes as long as copying it: run it in a maintenance window.

SQLite keeps one table (its triggers from 0002 stay).
"""

from datetime import UTC, date, datetime

from django.db import migrations

TABLE = "core_auditevent"
AHEAD = 12


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _partition_sql(month: date) -> list[str]:
    name = f"{TABLE}_y{month.year:04d}m{month.month:02d}"
    start, end = month.isoformat(), _add_months(month, 1).isoformat()
    return [
        f"CREATE TABLE {name} PARTITION OF {TABLE} "
        f"FOR VALUES FROM ('{start} 00:00:00+00') TO ('{end} 00:00:00+00')",
        f"CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON {name} "
        "FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_no_truncate()",
    ]


def _rebuild(cursor, *, partitioned: bool) -> None:
    """Replaces core_auditevent by a copy of itself, partitioned by month or not."""
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname <> %s",
        [TABLE, f"{TABLE}_pkey"],
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {TABLE}_old")
    cursor.execute(f"ALTER INDEX {TABLE}_pkey RENAME TO {TABLE}_old_pkey")
    cursor.execute(
        f"CREATE TABLE {TABLE} (LIKE {TABLE}_old INCLUDING DEFAULTS INCLUDING IDENTITY "
        "INCLUDING CONSTRAINTS)" + (" PARTITION BY RANGE (occurred_at)" if partitioned else "")
    )
    key = "id, occurred_at" if partitioned else "id"
    cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY ({key})")
    if partitioned:
        cursor.execute(
            f"SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date "
            f"FROM {TABLE}_old"
        )
        months = {row[0] for row in cursor.fetchall()}
        this_month = datetime.now(UTC).date().replace(day=1)
        months |= {_add_months(this_month, n) for n in range(AHEAD + 1)}
        for month in sorted(months):
            for statement in _partition_sql(month):
                cursor.execute(statement)
        cursor.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")
        cursor.execute(
            f"CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON {TABLE}_default "
            "FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_no_truncate()"
        )
    cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM {TABLE}_old")
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{TABLE}', 'id'), "
        f"coalesce((SELECT max(id) FROM {TABLE}), 0) + 1, false)"
    )
    for _, definition in indexes:
        cursor.execute(definition.replace(" CONCURRENTLY", ""))
    cursor.execute(f"DROP TABLE {TABLE}_old")
    cursor.execute(
        f"CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only()"
    )
    cursor.execute(
        f"CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON {TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_no_truncate()"
    )


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            _rebuild(cursor, partitioned=True)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            _rebuild(cursor, partitioned=False)


class Migration(migrations.Migration):
    dependencies = [("core", "0005_audit_refuses_truncate")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
