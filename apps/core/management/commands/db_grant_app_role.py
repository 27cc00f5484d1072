"""Gives the application's own database role what it needs, and not the audit trail's past.

Run as the role that owns the schema (the one `migrate` runs as), after each
migrate; it is idempotent. The web app, workers, beat and MLLP listener then
connect as ROLE: it reads and writes the application's tables but cannot
change or remove an audit event (no UPDATE, DELETE or TRUNCATE on the trail)
and, owning nothing, cannot drop the append-only trigger or alter a table.
"""

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

AUDIT_TABLE = "core_auditevent"


class Command(BaseCommand):
    help = (
        "Grants an application role (a PostgreSQL login that owns nothing) read and write "
        "on the application's tables, and only SELECT and INSERT on the audit trail."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("role", help="The application's login role")
        parser.add_argument(
            "--create-password-env",
            metavar="VARIABLE",
            default="",
            help=(
                "Create the role when it does not exist yet (a login that owns nothing), "
                "with the password in this environment variable, and keep that password "
                "current; the one-shot migrate service of docker-compose.yml does this."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are PostgreSQL's; SQLite has none to grant.")
        role = options["role"]
        if options["create_password_env"]:
            self._ensure_role(role, options["create_password_env"])
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT rolsuper, pg_has_role(rolname, tableowner, 'USAGE') "
                "FROM pg_roles, pg_tables WHERE rolname = %s AND tablename = %s",
                [role, AUDIT_TABLE],
            )
            found = cursor.fetchone()
            if found is None:
                raise CommandError(f"There is no role {role!r} (or the database is not migrated).")
            superuser, owner = found
            if superuser or owner:
                raise CommandError(
                    f"{role!r} is a superuser or owns the tables: it could change the audit "
                    "trail whatever is granted. Give the application a role of its own."
                )
            quoted = connection.ops.quote_name(role)
            database = connection.ops.quote_name(connection.settings_dict["NAME"])
            for statement in (
                f"GRANT CONNECT ON DATABASE {database} TO {quoted}",
                f"GRANT USAGE ON SCHEMA public TO {quoted}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
                f"REVOKE UPDATE, DELETE, TRUNCATE ON {AUDIT_TABLE} FROM {quoted}",
                # Migrations are the owner's business.
                f"REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM {quoted}",
            ):
                cursor.execute(statement)
            # The application reaches the trail only through its parent table: no rights
            # on a month's partition, live or detached for archiving.
            cursor.execute(
                "SELECT quote_ident(tablename) FROM pg_tables "
                "WHERE schemaname = 'public' AND tablename LIKE %s",
                [AUDIT_TABLE.replace("_", r"\_") + r"\_%"],
            )
            for (partition,) in cursor.fetchall():
                cursor.execute(f"REVOKE ALL ON {partition} FROM {quoted}")
        self.stdout.write(
            f"{role}: read and write on the application's tables; "
            f"{AUDIT_TABLE} SELECT and INSERT only."
        )

    def _ensure_role(self, role: str, variable: str) -> None:
        password = os.environ.get(variable, "")
        if not password:
            raise CommandError(f"Set {variable} to the application role's password.")
        quoted = connection.ops.quote_name(role)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            verb = "ALTER" if cursor.fetchone() else "CREATE"
            # Role statements take no bind parameters: the password is quoted as a literal.
            literal = "'" + password.replace("'", "''") + "'"
            cursor.execute(
                f"{verb} ROLE {quoted} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {literal}"
            )
