"""Keeps the audit trail's monthly partitions made ahead, and lists them.

Run as the schema's owner after every `migrate` (the compose `migrate` step
does). Exits 1 when a month's events sit in the DEFAULT partition: they are
safe and readable there, but that month can have no partition of its own until
the owner moves them, which is what the message says.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.core import audit_partitions


class Command(BaseCommand):
    help = "Creates the audit trail's missing monthly partitions and lists the live ones."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--ahead", type=int, default=None, help="months after this one (AUDIT_PARTITIONS_AHEAD)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not audit_partitions.is_partitioned():
            self.stdout.write("The audit trail is one table here (partitions are PostgreSQL's).")
            return
        result = audit_partitions.partitions_ensure(ahead=options["ahead"])
        for name in result.created:
            self.stdout.write(f"created {name}")
        for partition in audit_partitions.partitions_list():
            label = f"{partition.month:%Y-%m}" if partition.month else "default"
            self.stdout.write(f"{label}\t{partition.name}\t~{partition.rows} rows")
        if result.blocked:
            months = ", ".join(f"{month:%Y-%m}" for month in result.blocked)
            raise CommandError(
                f"Events for {months} are in {audit_partitions.DEFAULT_PARTITION}: that month "
                "cannot have its own partition until they are moved out of it by the owner."
            )
