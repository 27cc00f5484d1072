from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.accounts.models import Organisation
from apps.core.context import RequestContext, request_context
from apps.core.models import AuditSource
from apps.demo.seeders.careplans import seed_careplans
from apps.demo.seeders.complexity import seed_complexity
from apps.demo.seeders.huddles import seed_huddles
from apps.demo.seeders.patients import seed_patients
from apps.demo.seeders.people import DEMO_PASSWORD, ORGANISATION_NAME, seed_people
from apps.demo.seeders.referrals import seed_referrals
from apps.demo.seeders.tasks import seed_tasks
from apps.demo.seeders.transitions import seed_transitions
from apps.measures.snapshots import snapshot_all


class Command(BaseCommand):
    help = "Loads the synthetic demo panel (3 care teams, ~200 patients, staff in every role)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--patients", type=int, default=200)

    def handle(self, *args: Any, **options: Any) -> None:
        if Organisation.objects.filter(name=ORGANISATION_NAME).exists():
            self.stdout.write("Demo data already loaded.")
        else:
            with request_context(RequestContext(source=AuditSource.IMPORT)), transaction.atomic():
                people = seed_people()
                seed_patients(actor=people.admin, teams=people.teams, count=options["patients"])
                seed_complexity(actor=people.admin)
                seed_referrals(people=people)
                seed_careplans(people=people)
                seed_transitions(people=people)
                seed_tasks(people=people)
                seed_huddles(people=people)
            with request_context(RequestContext(source=AuditSource.TASK)):
                # What the nightly job stores (a year of months, the default 90 days), so
                # the measures and trends pages show figures from the first sign-in.
                snapshot_all().raise_if_failed("organisations' measure snapshots")
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(
            f"\nDemo logins (password for all: {DEMO_PASSWORD})\n"
            "  admin   administrator (/admin/; sets up an authenticator app at first sign-in)\n"
            "  nurse1  RN care coordinator, lead of Northside Team (also on Eastside Team)\n"
            "  pcp1    primary care physician, Northside Team\n"
            "  sw1     social worker, Northside Team\n"
            "  chw1    community health worker, Northside Team\n"
            "  pharm1  pharmacist, Northside Team\n"
            "  hl7     HL7 interface account (token: manage.py api_token_create hl7 --by admin)\n"
            "  nurse2, pcp2, sw2 ... Eastside Team; nurse3, pcp3 ... Harbor Team\n"
        )
