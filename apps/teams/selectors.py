from django.db.models import QuerySet

from apps.accounts.models import User
from apps.teams import permissions
from apps.teams.models import CareTeam, TeamMembership


def team_list_for_user(*, user: User) -> QuerySet[CareTeam]:
    """The teams whose patients `user` may see."""
    return CareTeam.objects.filter(pk__in=permissions.teams_with_permission(user)).order_by("name")


def team_active_members(*, team_ids: list[int]) -> QuerySet[TeamMembership]:
    """Live members of the given teams (who may own work), lead first, with their user loaded."""
    return (
        TeamMembership.objects.live()
        .filter(team_id__in=team_ids)
        .select_related("user")
        .order_by("team_id", "-is_lead", "role", "user__last_name", "user__first_name")
    )


def team_lead(*, team_id: int) -> TeamMembership | None:
    """The team's live lead coordinator; None when there is none or their account is
    deactivated (the team then shows "no lead coordinator" as a problem to fix)."""
    return TeamMembership.objects.leads().filter(team_id=team_id).select_related("user").first()


def membership_active(*, team_id: int, user_id: int) -> TeamMembership | None:
    """The user's open membership of the team (whatever their account's state)."""
    return TeamMembership.objects.open().filter(team_id=team_id, user_id=user_id).first()


def is_live_member(*, team_id: int | None, user: object) -> bool:
    """May `user` own work on this team? (open membership, active account, a person)."""
    if team_id is None or user is None or getattr(user, "pk", None) is None:
        return False
    return TeamMembership.objects.live().filter(team_id=team_id, user_id=user.pk).exists()  # type: ignore[attr-defined]
