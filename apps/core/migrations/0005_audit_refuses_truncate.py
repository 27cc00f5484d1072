from django.db import migrations

# TRUNCATE skips row triggers, so 0002's UPDATE/DELETE guard does not stop it:
# a statement-level trigger refuses it, whatever the role's privileges.
#
# Django's `flush` (run between transactional tests, and by `manage.py flush`)
# empties every table with one TRUNCATE, the trail included. The trigger lets
# that through only when both hold:
#   - the session is the table's owner (or a member of it): the owner can drop
#     or disable the trigger anyway, so this grants nothing it lacks, while the
#     application's role (db_grant_app_role) is never let through;
#   - the session has said so on purpose: caregraph.allow_audit_truncate = on.
# A custom setting can be SET by any role, which is why the owner check is the
# guard and the setting only the intent. The test suite sets it on its own test
# database (tests/conftest.py); nothing in production does.
CREATE = """
CREATE OR REPLACE FUNCTION core_auditevent_no_truncate() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('caregraph.allow_audit_truncate', true), '') = 'on'
       AND pg_has_role(
           current_user,
           (SELECT relowner FROM pg_class WHERE oid = TG_RELID),
           'MEMBER'
       ) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit events are append-only'
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent;
CREATE TRIGGER core_auditevent_no_truncate
    BEFORE TRUNCATE ON core_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_no_truncate();
"""
DROP = """
DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent;
DROP FUNCTION IF EXISTS core_auditevent_no_truncate();
"""


def forwards(apps, schema_editor):
    # SQLite has no TRUNCATE; its DELETE trigger (0002) already guards the trail.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_job_runs")]

    operations = [migrations.RunPython(forwards, backwards)]
