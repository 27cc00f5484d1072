"""Who may see which measures: a team's figures follow the right to see its patients."""

from apps.accounts import permissions as accounts_permissions
from apps.accounts.models import User
from apps.teams import permissions as team_permissions
from apps.teams.models import CareTeam


def measure_team_ids(user: User) -> list[int]:
    """The teams whose figures `user` may see: those whose patients they may see."""
    if not (user.is_authenticated and user.is_active):
        return []
    return team_permissions.team_ids_with_permission(user)


def can_view_organisation_measures(user: User) -> bool:
    """Organisation-wide figures (every team) are for the organisation's admins only."""
    return user.organisation_id is not None and accounts_permissions.is_organisation_admin(
        user, user.organisation_id
    )


def measure_team_ids_for(user: User) -> list[int]:
    """The teams `user` may pick on the measures page: every team of their organisation
    for an organisation admin, else the teams whose patients they may see."""
    if user.organisation_id is not None and can_view_organisation_measures(user):
        return list(
            CareTeam.objects.filter(organisation_id=user.organisation_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return measure_team_ids(user)
