from django.db.models import QuerySet

from apps.accounts.models import User
from apps.core.exceptions import ApplicationError
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


def teams_without_lead(*, team_ids: list[int] | None = None) -> QuerySet[CareTeam]:
    """Teams with no live lead coordinator (none named, or theirs was deactivated): a problem
    to fix, since escalations and orphaned work have nobody to go to."""
    teams = CareTeam.objects.exclude(pk__in=TeamMembership.objects.leads().values("team_id"))
    return teams if team_ids is None else teams.filter(pk__in=team_ids)


def membership_active(*, team_id: int, user_id: int) -> TeamMembership | None:
    """The user's open membership of the team (whatever their account's state)."""
    return TeamMembership.objects.open().filter(team_id=team_id, user_id=user_id).first()


def is_live_member(*, team_id: int | None, user: object) -> bool:
    """May `user` own work on this team? (open membership, active account, a person)."""
    if team_id is None or user is None or getattr(user, "pk", None) is None:
        return False
    return TeamMembership.objects.live().filter(team_id=team_id, user_id=user.pk).exists()  # type: ignore[attr-defined]


def live_member_validate(
    *, team_id: int | None, user: User | None, field: str = "owner", who: str = "owner"
) -> User:
    """`user`, if they may own work on the team; else ApplicationError on `field`.

    The one check behind every door that picks or accepts an owner (tasks,
    bulk reassignment, care-plan goals and interventions, referrals, huddle
    decisions): a live member, as `TeamMembership.objects.live()` says.
    """
    if user is None or not is_live_member(team_id=team_id, user=user):
        raise ApplicationError(
            f"The {who} must be a person on the patient's care team.",
            field_errors={field: ["Choose a current member of the patient's care team."]},
        )
    return user
