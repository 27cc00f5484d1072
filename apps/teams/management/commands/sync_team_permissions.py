"""Brings every team's role groups in line with ROLE_PERMISSIONS (as each organisation
tuned it in RoleRights) after the map changes.

Grants are given when a member joins; a release that changes what a role may do
runs this once so existing teams get the new map too. A rerun changes nothing.
"""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.teams.models import CareTeam
from apps.teams.permissions import team_permissions_sync


class Command(BaseCommand):
    help = "Re-applies the role permission map to every care team's role groups."

    def handle(self, *args: Any, **options: Any) -> None:
        granted = revoked = teams = 0
        for team in CareTeam.objects.order_by("pk").iterator():
            with transaction.atomic():
                team_granted, team_revoked = team_permissions_sync(team)
            granted += team_granted
            revoked += team_revoked
            teams += 1
        self.stdout.write(f"{teams} teams checked: {granted} rights granted, {revoked} revoked.")
