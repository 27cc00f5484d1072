"""The application's own database role: it works the application's tables, but what the
audit trail holds it can neither change nor remove, trigger or no trigger."""

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from apps.core.audit import audit_record
from apps.core.models import AuditAction

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="database roles are PostgreSQL's"
)


def _owner_sql(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


@pytest.fixture
def app_role(transactional_db) -> Iterator[str]:
    """A login that owns nothing, as the web app and workers would connect in production."""
    role = f"cg_app_{uuid.uuid4().hex[:8]}"
    _owner_sql(f"CREATE ROLE {role} LOGIN")
    try:
        yield role
    finally:
        _owner_sql(f"DROP OWNED BY {role}")
        _owner_sql(f"DROP ROLE {role}")


def _as(role: str) -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        dbname=settings["NAME"],
        user=role,
        password=settings["PASSWORD"] or None,
        autocommit=True,
    )


def test_the_app_role_adds_to_the_trail_but_cannot_change_remove_or_unprotect_it(app_role):
    event = audit_record(actor=None, action=AuditAction.VIEW, object_type="patients.patient")
    call_command("db_grant_app_role", app_role)

    with _as(app_role) as app:
        app.execute(
            "INSERT INTO core_auditevent (occurred_at, actor_username, action, source, "
            "object_type, object_id, patient_ids, path, break_glass, detail) VALUES "
            "(now(), '', 'view', 'system', 'patients.patient', '', '[]', '', false, '{}')"
        )
        assert app.execute("SELECT count(*) FROM core_auditevent").fetchone() == (2,)
        app.execute("SELECT count(*) FROM patients_patient")  # the application's tables work
        for statement in (
            "UPDATE core_auditevent SET object_id = 'x'",
            "DELETE FROM core_auditevent",
            "TRUNCATE core_auditevent",
            # Each monthly partition, reached directly, as well (apps.core.audit_partitions).
            "UPDATE core_auditevent_default SET object_id = 'x'",
            "TRUNCATE core_auditevent_default",
            "DROP TRIGGER core_auditevent_append_only ON core_auditevent",
            "ALTER TABLE core_auditevent DISABLE TRIGGER ALL",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(statement)
    event.refresh_from_db()
    assert event.object_id == ""


def test_a_role_that_could_change_the_trail_anyway_is_refused(transactional_db):
    owner = connection.settings_dict["USER"]
    with pytest.raises(CommandError, match="superuser or owns the tables"):
        call_command("db_grant_app_role", owner)
    with pytest.raises(CommandError, match="no role"):
        call_command("db_grant_app_role", "no_such_role_here")


def test_a_role_granted_truncate_still_cannot_empty_the_trail(app_role):
    audit_record(actor=None, action=AuditAction.VIEW, object_type="patients.patient")
    call_command("db_grant_app_role", app_role)
    _owner_sql(f"GRANT TRUNCATE ON core_auditevent TO {app_role}")

    with _as(app_role) as app:
        # Saying it means to is not enough: only the table's owner may flush the trail.
        app.execute("SET caregraph.allow_audit_truncate = 'on'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            app.execute("TRUNCATE core_auditevent")
        assert app.execute("SELECT count(*) FROM core_auditevent").fetchone() == (1,)


def test_the_owner_cannot_truncate_the_trail_without_asking_to(transactional_db):
    audit_record(actor=None, action=AuditAction.VIEW, object_type="patients.patient")
    with _as(connection.settings_dict["USER"]) as owner:
        owner.execute("SET caregraph.allow_audit_truncate = 'off'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            owner.execute("TRUNCATE core_auditevent")
        assert owner.execute("SELECT count(*) FROM core_auditevent").fetchone() == (1,)


def test_the_grant_creates_the_app_role_once_and_keeps_its_password(transactional_db, monkeypatch):
    role = f"cg_new_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("CG_TEST_APP_PASSWORD", "first-secret")
    try:
        call_command("db_grant_app_role", role, create_password_env="CG_TEST_APP_PASSWORD")
        monkeypatch.setenv("CG_TEST_APP_PASSWORD", "second-secret")
        call_command("db_grant_app_role", role, create_password_env="CG_TEST_APP_PASSWORD")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rolcanlogin, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = %s",
                [role],
            )
            assert cursor.fetchone() == (True, False, False)
        settings = connection.settings_dict
        with psycopg.connect(
            host=settings["HOST"],
            port=settings["PORT"] or 5432,
            dbname=settings["NAME"],
            user=role,
            password="second-secret",
            autocommit=True,
        ) as app:
            assert app.execute("SELECT count(*) FROM core_auditevent").fetchone() is not None
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute("DELETE FROM core_auditevent")
    finally:
        _owner_sql(f"DROP OWNED BY {role}")
        _owner_sql(f"DROP ROLE {role}")


def test_the_grant_refuses_to_create_a_role_without_a_password(transactional_db, monkeypatch):
    monkeypatch.delenv("CG_TEST_APP_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="CG_TEST_APP_PASSWORD"):
        call_command("db_grant_app_role", "cg_nobody", create_password_env="CG_TEST_APP_PASSWORD")
