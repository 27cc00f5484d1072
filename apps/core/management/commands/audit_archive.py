"""Archives closed months of the audit trail (PostgreSQL partitions) to compressed NDJSON
with a SHA-256 checksum, then detaches them; also makes the coming months' partitions."""

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.core import audit_partitions as parts


class Command(BaseCommand):
    help = (
        "Archive a closed month of the audit trail (--month YYYY-MM), or every month past "
        "AUDIT_RETENTION_YEARS (--expired), to NDJSON.gz + .sha256, then detach it."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--month", help="YYYY-MM, a month before this one")
        parser.add_argument("--expired", action="store_true", help="Every month past retention")
        parser.add_argument("--directory", default="var/audit-archive")

    def handle(self, *args: Any, **options: Any) -> None:
        if not parts.is_partitioned():
            raise CommandError("The audit trail is partitioned on PostgreSQL only.")
        made = parts.partitions_ensure()
        if made:
            self.stdout.write(f"Made partitions: {', '.join(made)}")
        months: list[date] = []
        if options["month"]:
            try:
                months = [datetime.strptime(options["month"], "%Y-%m").date()]  # noqa: DTZ007
            except ValueError as error:
                raise CommandError("--month is YYYY-MM.") from error
        elif options["expired"]:
            today = datetime.now(tz=UTC).date()
            cutoff = date(today.year - settings.AUDIT_RETENTION_YEARS, today.month, 1)
            months = [month for month in parts.partition_months() if month < cutoff]
        for month in months:
            try:
                path, checksum, rows = parts.partition_archive(
                    month=month, directory=Path(options["directory"])
                )
            except ValueError as error:
                raise CommandError(str(error)) from error
            self.stdout.write(f"{month:%Y-%m}: {rows} events -> {path} (sha256 {checksum})")
