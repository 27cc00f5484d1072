"""Moves closed months out of the live audit trail into checksummed NDJSON files.

    manage.py audit_archive --month 2020-01 --to /archive/audit
    manage.py audit_archive --due --to /archive/audit   (every month past retention)

Each month becomes `<partition>.ndjson.gz` and `<partition>.ndjson.gz.sha256`;
the file is read back and counted before the partition is detached. The
detached table stays in the database until the owner drops it, once the
archive is safe elsewhere. Run as the schema's owner.
"""

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.core import audit_partitions
from apps.core.exceptions import ApplicationError


def _month(text: str) -> date:
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except ValueError as error:
        raise CommandError(f"--month takes YYYY-MM, not {text!r}.") from error


class Command(BaseCommand):
    help = "Archives closed months of the audit trail to gzip NDJSON with a SHA-256 checksum."

    def add_arguments(self, parser: Any) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--month", type=_month, help="one closed month, YYYY-MM")
        which.add_argument(
            "--due", action="store_true", help="every month older than AUDIT_RETENTION_YEARS"
        )
        parser.add_argument("--to", type=Path, required=True, help="the folder for the files")

    def handle(self, *args: Any, **options: Any) -> None:
        if not audit_partitions.is_partitioned():
            raise CommandError("The audit trail is partitioned (and archived) only on PostgreSQL.")
        months = audit_partitions.archive_due() if options["due"] else [options["month"]]
        if not months:
            self.stdout.write("No month is past the retention period.")
            return
        for month in months:
            try:
                result = audit_partitions.partition_archive(month, options["to"])
            except ApplicationError as error:
                raise CommandError(error.message) from error
            self.stdout.write(
                f"{month:%Y-%m}: {result.rows} events -> {result.path} "
                f"(sha256 {result.sha256}); {result.partition} detached"
            )
