"""A GIN index on AuditEvent.patient_ids, for "every event that touched patient N".

List reads and exports record the patients they showed in `patient_ids`; the
audit admin finds them with JSON containment (`patient_ids @> '[N]'`), which
without this index reads the whole trail. PostgreSQL only (SQLite has no GIN
and searches `patient_id` alone). Built CONCURRENTLY, so audited writes go on
while a large trail is indexed.
"""

from django.db import migrations

INDEX = "core_audit_patient_ids_gin"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} "
            "ON core_auditevent USING gin (patient_ids jsonb_path_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("core", "0002_audit_append_only")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
