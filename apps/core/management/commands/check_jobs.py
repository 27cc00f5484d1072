"""Says which scheduled jobs are late; exits non-zero when any is (compose health checks)."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.core.jobruns import job_health


class Command(BaseCommand):
    help = (
        "Reports every beat job that has not succeeded within twice its interval, a beat "
        "that stopped ticking, and no worker taking work; exit code 1 when any is late."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        part = parser.add_mutually_exclusive_group()
        part.add_argument(
            "--worker", action="store_true", help="only: has a worker taken work lately?"
        )
        part.add_argument("--beat", action="store_true", help="only: is the beat ticking?")

    def handle(self, *args: Any, **options: Any) -> None:
        part = "worker" if options["worker"] else "beat" if options["beat"] else "all"
        health = job_health(part=part)
        late = [job for job in health if job.late]
        for job in late:
            self.stderr.write(f"LATE {job.entry}: {job.message}")
        if options["verbosity"] > 1:
            for job in health:
                if not job.late:
                    self.stdout.write(f"ok {job.entry}: last success {job.last_success_at}")
        if late:
            sys.exit(1)
        self.stdout.write(f"{len(health)} job(s) on time.")
