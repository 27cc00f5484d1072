from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.accounts.models import User
from apps.core.context import RequestContext, request_context
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditSource
from apps.patients.models import ImportStatus
from apps.patients.services.panel_import import panel_import_run, panel_import_submit


class Command(BaseCommand):
    help = (
        "Imports a panel CSV (patients, conditions, encounters) for an administrator's "
        "organisation. Every row is checked first; a bad row imports nothing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path")
        parser.add_argument("--as", dest="username", required=True, help="an admin username")
        parser.add_argument("--dry-run", action="store_true", help="only check the rows")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = User.objects.filter(username=options["username"]).first()
        if actor is None or actor.organisation is None:
            raise CommandError("No such user with an organisation.")
        path = Path(options["path"])
        with request_context(RequestContext(source=AuditSource.IMPORT)):
            try:
                with transaction.atomic():
                    job = panel_import_submit(
                        actor=actor,
                        organisation=actor.organisation,
                        file_name=path.name,
                        content=path.read_bytes(),
                        dry_run=options["dry_run"],
                        enqueue=False,
                    )
            except ApplicationError as error:
                raise CommandError(f"{error.message} {error.field_errors}") from error
            finished = panel_import_run(job_id=job.pk)
        if finished is None:
            raise CommandError("The job was taken by another worker.")
        for row in finished.errors:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in row["errors"].items())
            self.stdout.write(f"line {row['line']} ({row['record']}): {problems}")
        if finished.status == ImportStatus.REJECTED:
            raise CommandError(f"{len(finished.errors)} bad row(s): nothing imported.")
        verb = "would import" if finished.dry_run else "imported"
        self.stdout.write(
            self.style.SUCCESS(f"{finished.total_rows} rows checked; {verb} {finished.counts}.")
        )
