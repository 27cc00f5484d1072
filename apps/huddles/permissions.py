"""Who may see and run a team's huddles. Rights come from the team (apps.teams.permissions).

Every member who sees the team's patients sees its huddles and minutes; only a
holder of `run_huddles` (RN care coordinators and the lead coordinator)
schedules, opens, runs and closes them.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from apps.accounts import permissions as accounts_permissions
from apps.accounts.models import User
from apps.huddles.models import Huddle
from apps.teams import permissions as team_permissions
from apps.teams.models import CareTeam

RUN_HUDDLES = "run_huddles"


def visible_huddles(user: User) -> QuerySet[Huddle]:
    if not (user.is_authenticated and user.is_active):
        return Huddle.objects.none()
    return Huddle.objects.filter(team_id__in=team_permissions.teams_with_permission(user))


def can_run_huddles(user: User, team_id: int) -> bool:
    return team_permissions.has_team_permission(user, RUN_HUDDLES, team_id)


def why_not_run_huddles(user: User, team_id: int) -> str | None:
    """None when `user` runs (opens, closes) the team's huddles; else why not, in a line."""
    if can_run_huddles(user, team_id):
        return None
    organisation_id = (
        CareTeam.objects.filter(pk=team_id).values_list("organisation_id", flat=True).first()
    )
    return (
        f"Huddles are run and closed by {team_permissions.held_by(RUN_HUDDLES, organisation_id)}."
    )


def require_can_run_huddles(user: User, team_id: int) -> None:
    reason = why_not_run_huddles(user, team_id)
    if reason is not None:
        raise PermissionDenied(reason)


def is_organisation_admin(user: User, organisation_id: int) -> bool:
    """Django-admin staff of the team's organisation (the admin door schedules too)."""
    return accounts_permissions.is_organisation_admin(
        user, organisation_id, "huddles.change_huddle"
    )


def can_schedule_huddles(user: User, team: CareTeam) -> bool:
    return can_run_huddles(user, team.pk) or is_organisation_admin(user, team.organisation_id)


def require_can_schedule_huddles(user: User, team: CareTeam) -> None:
    if not can_schedule_huddles(user, team):
        raise PermissionDenied("Only the team's coordinators may schedule its huddles.")


def teams_user_runs(user: User) -> QuerySet[Any, Any]:
    """Ids of the teams whose huddles `user` may run, as a subquery."""
    return team_permissions.teams_with_permission(user, RUN_HUDDLES)
