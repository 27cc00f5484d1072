"""The audit trail becomes range-partitioned by month on PostgreSQL (apps/core/
audit_partitions.py); SQLite keeps one table.

The rows, ids, indexes and append-only triggers are carried over: the old table is
renamed, a partitioned one made in its place (primary key (id, occurred_at), as a
partitioned table's keys must hold its partition key), the rows copied into monthly
partitions, the old table dropped, its indexes recreated on the new one, and the id
sequence continued.
"""

from datetime import UTC, date, datetime

from django.db import migrations

from apps.core import audit_partitions as parts

COLUMNS = (
    "id, occurred_at, actor_id, actor_username, action, source, object_type, object_id, "
    "patient_id, patient_ids, ip_address, path, break_glass, detail"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname NOT LIKE %s",
            [parts.TABLE, "%pkey"],
        )
        indexes = cursor.fetchall()
        cursor.execute(f"SELECT min(occurred_at), max(id) FROM {parts.TABLE}")
        oldest, last_id = cursor.fetchone()
        cursor.execute(f"ALTER TABLE {parts.TABLE} RENAME TO core_auditevent_unpartitioned")
        cursor.execute(
            f"""
            CREATE TABLE {parts.TABLE} (
                id bigint NOT NULL,
                occurred_at timestamp with time zone NOT NULL,
                actor_id bigint NULL,
                actor_username varchar(150) NOT NULL,
                action varchar(16) NOT NULL,
                source varchar(16) NOT NULL,
                object_type varchar(64) NOT NULL,
                object_id varchar(64) NOT NULL,
                patient_id bigint NULL,
                patient_ids jsonb NOT NULL,
                ip_address inet NULL,
                path varchar(255) NOT NULL,
                break_glass boolean NOT NULL,
                detail jsonb NOT NULL,
                PRIMARY KEY (id, occurred_at)
            ) PARTITION BY RANGE (occurred_at)
            """
        )
        cursor.execute(f"CREATE TABLE {parts.DEFAULT_PARTITION} PARTITION OF {parts.TABLE} DEFAULT")
        month = parts.first_of_month(oldest.date()) if oldest else None
        this_month = parts.first_of_month(datetime.now(tz=UTC).date())
        months = []
        while month is not None and month < this_month:
            months.append(month)
            month = parts.month_after(month)
        for month in months:
            name = parts.partition_name(month)
            cursor.execute(
                f"CREATE TABLE {name} PARTITION OF {parts.TABLE} FOR VALUES FROM "
                f"({parts._bound(month)}) TO ({parts._bound(parts.month_after(month))})"
            )
        # This month and the next few (partitions_ensure also protects each one).
        for name in _ensure_from(cursor, this_month):
            del name
        cursor.execute(
            f"INSERT INTO {parts.TABLE} ({COLUMNS}) "
            f"SELECT {COLUMNS} FROM core_auditevent_unpartitioned"
        )
        cursor.execute("DROP TABLE core_auditevent_unpartitioned")
        for _name, definition in indexes:
            cursor.execute(definition.replace(" CONCURRENTLY", ""))
        cursor.execute(f"CREATE SEQUENCE {parts.TABLE}_id_seq OWNED BY {parts.TABLE}.id")
        if last_id:
            cursor.execute(f"SELECT setval('{parts.TABLE}_id_seq', %s)", [last_id])
        cursor.execute(
            f"ALTER TABLE {parts.TABLE} ALTER COLUMN id SET DEFAULT "
            f"nextval('{parts.TABLE}_id_seq')"
        )
        # The append-only guards, on the parent (row triggers reach every partition)
        # and TRUNCATE's on every partition as well.
        cursor.execute(
            f"CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE ON "
            f"{parts.TABLE} FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only()"
        )
        parts._protect(cursor, parts.TABLE)
        parts._protect(cursor, parts.DEFAULT_PARTITION)
        for month in months:
            parts._protect(cursor, parts.partition_name(month))


def _ensure_from(cursor, month: date) -> list[str]:
    made = []
    for _ in range(parts.MONTHS_AHEAD + 1):
        name = parts.partition_name(month)
        cursor.execute(
            f"CREATE TABLE {name} PARTITION OF {parts.TABLE} FOR VALUES FROM "
            f"({parts._bound(month)}) TO ({parts._bound(parts.month_after(month))})"
        )
        parts._protect(cursor, name)
        made.append(name)
        month = parts.month_after(month)
    return made


class Migration(migrations.Migration):
    dependencies = [("core", "0005_audit_refuses_truncate")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
