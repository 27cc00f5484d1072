import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.accounts.models import Organisation
from apps.core.context import RequestContext, request_context
from apps.core.models import AuditSource
from apps.demo.seeders.scale import (
    DEFAULT_TEAM_SIZE,
    SCALE_PASSWORD,
    TEAM_ROLES,
    analyze_tables,
    scale_organisation_name,
    scale_username,
    seed_scale,
)
from apps.patients.models import Patient


class Command(BaseCommand):
    help = (
        "Loads a large synthetic panel for benchmarks: teams of ~1,000 patients with one "
        "member per role (memberships through the team services, patients in bulk)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--patients", type=int, default=100_000)
        parser.add_argument("--team-size", type=int, default=DEFAULT_TEAM_SIZE)
        parser.add_argument("--seed", type=int, default=2026, help="Random seed of the names")

    def handle(self, *args: Any, **options: Any) -> None:
        patients: int = options["patients"]
        team_size: int = options["team_size"]
        if patients < 1 or team_size < 1:
            raise CommandError("--patients and --team-size must be positive.")
        name = scale_organisation_name(patients)
        existing = Organisation.objects.filter(name=name).first()
        if existing is not None:
            count = Patient.objects.filter(organisation=existing).count()
            self.stdout.write(f"{name}: already loaded ({count} patients).")
            self._logins(existing.pk)
            return
        started = time.perf_counter()
        with request_context(RequestContext(source=AuditSource.IMPORT)), transaction.atomic():
            panel = seed_scale(
                patients=patients, team_size=team_size, seed=options["seed"], progress=self._say
            )
        analyze_tables()
        self.stdout.write(
            self.style.SUCCESS(
                f"{name}: {panel.patients} patients on {len(panel.teams)} team(s) "
                f"in {time.perf_counter() - started:.1f}s."
            )
        )
        self._logins(panel.organisation.pk)

    def _say(self, message: str) -> None:
        self.stdout.write(f"  {message}")

    def _logins(self, organisation_id: int) -> None:
        stems = ", ".join(stem for stem, _role in TEAM_ROLES)
        self.stdout.write(
            f"Logins (password {SCALE_PASSWORD}): {scale_username(organisation_id, 1, 'rn')} "
            f"leads team 001; the other members end in {stems}."
        )
