from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import Actor, User
from apps.core.actors import JobActor
from apps.core.context import RequestContext, request_context
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditSource
from apps.fhir.importing.service import IMPORT_JOB, import_path


class Command(BaseCommand):
    help = (
        "Imports FHIR R4 records (a Bundle, an NDJSON file, or a folder of them as a bulk "
        "$export writes) into one organisation's charts, and prints what happened to each "
        "resource type and every problem with its position."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path")
        parser.add_argument("--organisation", type=int, help="organisation id")
        parser.add_argument("--source", help="the sending system's name (default: the path)")
        parser.add_argument("--dry-run", action="store_true", help="report, write nothing")
        parser.add_argument(
            "--user",
            help="the administrator or interface account the import is recorded for",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.exists():
            raise CommandError(f"No such file or folder: {path}")
        organisation_id, actor = self._who(options)
        source = options["source"] or path.stem
        with request_context(RequestContext(source=AuditSource.IMPORT)):
            try:
                report = import_path(
                    actor=actor,
                    organisation_id=organisation_id,
                    source=source,
                    path=str(path),
                    dry_run=options["dry_run"],
                )
            except (ApplicationError, PermissionDenied) as error:
                raise CommandError(str(getattr(error, "message", error))) from error
        for line in report.lines():
            self.stdout.write(line)

    def _who(self, options: dict[str, Any]) -> tuple[int, Actor]:
        username = options["user"]
        organisation_id = options["organisation"]
        if username:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"No such user: {username}")
            organisation_id = organisation_id or user.organisation_id
        else:
            if organisation_id is None:
                raise CommandError("Give --user, or --organisation with an interface account.")
            interfaces = list(
                User.objects.filter(
                    organisation_id=organisation_id, is_interface=True, is_active=True
                )[:2]
            )
            if len(interfaces) != 1:
                raise CommandError("Give --user: the import is recorded as someone's.")
            user = interfaces[0]
        if organisation_id is None:
            raise CommandError("Give --organisation: the user belongs to none.")
        return organisation_id, JobActor(
            job=IMPORT_JOB, for_user=user, organisation_id=organisation_id
        )
