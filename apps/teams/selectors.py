from django.db.models import QuerySet

from apps.accounts.models import User
from apps.teams import permissions
from apps.teams.models import CareTeam, TeamMembership


def team_list_for_user(*, user: User) -> QuerySet[CareTeam]:
    """The teams whose patients `user` may see."""
    return CareTeam.objects.filter(pk__in=permissions.teams_with_permission(user)).order_by("name")


def team_active_members(*, team_ids: list[int]) -> QuerySet[TeamMembership]:
    """Current members of the given teams, lead first, with their user loaded."""
    return (
        TeamMembership.objects.filter(team_id__in=team_ids, ended_at__isnull=True)
        .select_related("user")
        .order_by("team_id", "-is_lead", "role", "user__last_name", "user__first_name")
    )


def team_lead(*, team_id: int) -> TeamMembership | None:
    return (
        TeamMembership.objects.filter(team_id=team_id, is_lead=True, ended_at__isnull=True)
        .select_related("user")
        .first()
    )


def membership_active(*, team_id: int, user_id: int) -> TeamMembership | None:
    return TeamMembership.objects.filter(
        team_id=team_id, user_id=user_id, ended_at__isnull=True
    ).first()
