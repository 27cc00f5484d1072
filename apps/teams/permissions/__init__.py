"""Who may do what for a team's patients: the one module that talks to django-guardian.

Rights are object permissions on a CareTeam, granted to one auth Group per
(team, role). Joining a team puts a user in the group for their role; leaving
takes them out. Patient visibility follows from `view_patient_record`.
"""

from functools import cache
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import QuerySet
from guardian.shortcuts import assign_perm, remove_perm

from apps.accounts import permissions as accounts_permissions
from apps.accounts.models import Role, User
from apps.teams.models import CareTeam, RoleRights, TeamMembership
from apps.teams.permissions.tables import CareTeamGroupObjectPermission

VIEW_PATIENT = "view_patient_record"

_EVERYONE = frozenset({VIEW_PATIENT})
_COORDINATION = frozenset(
    {"manage_tasks", "manage_referrals", "manage_transitions", "record_sdoh_screen"}
)

# The rights of each role on its own team. Anything not listed is read-only.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.PCP: _EVERYONE
    | {
        "record_clinical_data",
        "manage_tasks",
        "sign_care_plan",
        "manage_referrals",
        "manage_transitions",
        "reconcile_medications",
    },
    Role.SPECIALIST: _EVERYONE | {"record_clinical_data", "manage_tasks"},
    Role.RN_CARE_COORDINATOR: _EVERYONE
    | _COORDINATION
    | {
        "change_patient_record",
        "record_clinical_data",
        "edit_care_plan",
        "edit_medical_goals",
        "edit_behavioral_goals",
        "edit_functional_goals",
        "reconcile_medications",
        "run_huddles",
    },
    Role.PHARMACIST: _EVERYONE
    | {"manage_tasks", "reconcile_medications", "verify_medication_reconciliation"},
    Role.SOCIAL_WORKER: _EVERYONE | _COORDINATION | {"edit_care_plan", "edit_social_goals"},
    Role.CHW: _EVERYONE | _COORDINATION,
    Role.NAVIGATOR: _EVERYONE | _COORDINATION,
    Role.CASE_MANAGER: _EVERYONE | _COORDINATION | {"change_patient_record", "edit_care_plan"},
    Role.BEHAVIORAL_HEALTH: _EVERYONE
    | {"manage_tasks", "record_clinical_data", "edit_care_plan", "edit_behavioral_goals"},
    Role.ADMIN: _EVERYONE | {"change_patient_record", "manage_team"},
}
# The lead coordinator runs the team whatever their role.
LEAD_PERMISSIONS = frozenset({"reassign_tasks", "run_huddles", "manage_team", "manage_tasks"})
LEAD_GROUP_ROLE = "lead"


def role_group_name(team_id: int, role: str) -> str:
    return f"team:{team_id}:{role}"


# The ceiling the code keeps, whatever an organisation tunes: these rights belong to one
# role only (a PCP signs the plan, a pharmacist verifies a reconciliation).
RESERVED_TO_ROLE: dict[str, str] = {
    "sign_care_plan": Role.PCP,
    "verify_medication_reconciliation": Role.PHARMACIST,
}
# Everyone on a team sees its patients; that is membership itself, not a tunable right.
TUNABLE_RIGHTS: tuple[str, ...] = tuple(
    codename
    for codename, _label in CareTeam._meta.permissions  # type: ignore[attr-defined]
    if codename != VIEW_PATIENT
)


def role_ceiling(role: str) -> frozenset[str]:
    """The rights an organisation may give or take from `role`: every team right but the
    reserved ones (never another role's, and never taken from their own role, so a
    team always has someone who signs and someone who verifies)."""
    return frozenset(codename for codename in TUNABLE_RIGHTS if codename not in RESERVED_TO_ROLE)


def role_floor(role: str) -> frozenset[str]:
    """What `role` holds whatever the tuning: seeing the team's patients, and the rights
    reserved to it."""
    return _EVERYONE | frozenset(
        codename for codename, owner in RESERVED_TO_ROLE.items() if owner == role
    )


def role_rights_map(organisation_id: int | None) -> dict[str, frozenset[str]]:
    """Each role's rights in this organisation: the default map, with the organisation's
    tuning (RoleRights) in its place, kept between the role's floor and the ceiling."""
    rights = dict(ROLE_PERMISSIONS)
    if organisation_id is None:
        return rights
    for role, codenames in RoleRights.objects.filter(organisation_id=organisation_id).values_list(
        "role", "rights"
    ):
        if role in rights:
            rights[role] = role_floor(role) | (frozenset(codenames) & role_ceiling(role))
    return rights


def _codenames_for(role: str, organisation_id: int | None = None) -> frozenset[str]:
    if role == LEAD_GROUP_ROLE:
        return LEAD_PERMISSIONS
    return role_rights_map(organisation_id)[role]


def team_role_group(team: CareTeam, role: str) -> Group:
    """The team's group for a role, created with its object permissions on first use."""
    group, created = Group.objects.get_or_create(name=role_group_name(team.pk, role))
    if created:
        # One INSERT for the role's rights: guardian's assign_perm costs several
        # queries per permission, which adds up when teams are set up in bulk.
        CareTeamGroupObjectPermission.objects.bulk_create(
            CareTeamGroupObjectPermission(
                group=group, content_object=team, permission_id=_permission_id(codename)
            )
            for codename in sorted(_codenames_for(role, team.organisation_id))
        )
    return group


def team_permissions_sync(team: CareTeam) -> tuple[int, int]:
    """Re-applies the organisation's role rights (ROLE_PERMISSIONS as tuned by its
    RoleRights) to a team's existing groups, after the map or the tuning changes.

    Returns how many rights were (granted, revoked); a team already in line gives (0, 0).
    """
    granted = revoked = 0
    rights = role_rights_map(team.organisation_id)
    for role in [*ROLE_PERMISSIONS, LEAD_GROUP_ROLE]:
        group = Group.objects.filter(name=role_group_name(team.pk, role)).first()
        if group is None:
            continue
        wanted = LEAD_PERMISSIONS if role == LEAD_GROUP_ROLE else rights[role]
        held = set(
            CareTeamGroupObjectPermission.objects.filter(
                group=group, content_object=team
            ).values_list("permission__codename", flat=True)
        )
        for codename in sorted(wanted - held):
            assign_perm(f"teams.{codename}", group, team)
            granted += 1
        for codename in sorted(held - wanted):
            remove_perm(f"teams.{codename}", group, team)
            revoked += 1
    return granted, revoked


def membership_grant(membership: TeamMembership) -> None:
    """Called by the team services inside their transaction."""
    user = membership.user
    user.groups.add(team_role_group(membership.team, membership.role))
    if membership.is_lead:
        user.groups.add(team_role_group(membership.team, LEAD_GROUP_ROLE))
    _forget_cached(user)


def membership_revoke(membership: TeamMembership) -> None:
    user = membership.user
    names = [
        role_group_name(membership.team_id, membership.role),
        role_group_name(membership.team_id, LEAD_GROUP_ROLE),
    ]
    user.groups.remove(*Group.objects.filter(name__in=names))
    _forget_cached(user)


def lead_revoke(membership: TeamMembership) -> None:
    membership.user.groups.remove(
        *Group.objects.filter(name=role_group_name(membership.team_id, LEAD_GROUP_ROLE))
    )
    _forget_cached(membership.user)


@cache
def _permission_ids() -> dict[str, int]:
    """Codename -> id of the team permissions: fixed once migrated, read once a process."""
    return dict(
        Permission.objects.filter(content_type__app_label="teams").values_list("codename", "pk")
    )


def _permission_id(codename: str) -> int:
    ids = _permission_ids()
    if codename not in ids:  # a permission migrated in after the first read
        _permission_ids.cache_clear()
        ids = _permission_ids()
    return ids[codename]


def _codenames(permission_ids: set[int]) -> dict[int, str]:
    codenames = {pk: codename for codename, pk in _permission_ids().items()}
    if not permission_ids <= codenames.keys():
        _permission_ids.cache_clear()
        codenames = {pk: codename for codename, pk in _permission_ids().items()}
    return codenames


def teams_with_permission(user: User, codename: str = VIEW_PATIENT) -> QuerySet[Any, Any]:
    """Ids of the teams on which `user` holds `codename`, as a subquery (no OR of tables).

    For queries built in background jobs or over many users; a request that
    already holds the user's rights uses `team_ids_with_permission`.
    """
    return CareTeamGroupObjectPermission.objects.filter(
        group__user=user.pk, permission_id=_permission_id(codename)
    ).values("content_object_id")


# Bumped by every grant and revoke in this process, so no cached answer outlives a change.
_generation = 0


def _team_grants(user_id: int) -> list[tuple[int, int]]:
    """(team id, permission id) granted to the user's role groups.

    Every request reads this, so it is one plain statement: the same rows as
    CareTeamGroupObjectPermission.objects.filter(group__user=user_id), without
    the auth_group join or the ORM's compile step (a third of the time).
    """
    grants = CareTeamGroupObjectPermission._meta.db_table
    memberships = User.groups.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.content_object_id, p.permission_id FROM {grants} p "  # noqa: S608 - table names from models
            f"JOIN {memberships} m ON m.group_id = p.group_id WHERE m.user_id = %s",
            [user_id],
        )
        return list(cursor.fetchall())


def team_permissions_for_user(user: User) -> dict[int, frozenset[str]]:
    """Every team right of `user` in one query, cached on the user object for the request."""
    cached: tuple[int, dict[int, frozenset[str]]] | None = getattr(
        user, "_caregraph_team_perms", None
    )
    if cached is not None and cached[0] == _generation:
        return cached[1]
    rights: dict[int, set[str]] = {}
    if user.is_authenticated and user.is_active:
        rows = _team_grants(user.pk)
        codenames = _codenames({permission_id for _, permission_id in rows})
        for team_id, permission_id in rows:
            rights.setdefault(team_id, set()).add(codenames[permission_id])
    frozen = {team_id: frozenset(codenames) for team_id, codenames in rights.items()}
    user._caregraph_team_perms = (_generation, frozen)  # type: ignore[attr-defined]
    return frozen


def team_ids_with_permission(user: User, codename: str = VIEW_PATIENT) -> list[int]:
    """The same teams as `teams_with_permission`, from the rights cached for the request.

    A short list of literal ids lets PostgreSQL plan the patient list from the
    care-team index alone, where the subquery costs a join and a longer plan.
    """
    return sorted(
        team_id
        for team_id, codenames in team_permissions_for_user(user).items()
        if codename in codenames
    )


def _forget_cached(user: User) -> None:
    global _generation
    _generation += 1
    user.__dict__.pop("_caregraph_team_perms", None)


def has_team_permission(user: User, codename: str, team_id: int | None) -> bool:
    if team_id is None:
        return False
    return codename in team_permissions_for_user(user).get(team_id, frozenset())


def can_view_team_patients(user: User, team_id: int | None) -> bool:
    return has_team_permission(user, VIEW_PATIENT, team_id)


# How a role's members are named in a "why unavailable" line.
_ROLE_PLURALS: dict[str, str] = {
    Role.PCP: "primary care physicians",
    Role.SPECIALIST: "specialists",
    Role.RN_CARE_COORDINATOR: "RN care coordinators",
    Role.PHARMACIST: "pharmacists",
    Role.SOCIAL_WORKER: "social workers",
    Role.CHW: "community health workers",
    Role.NAVIGATOR: "patient navigators",
    Role.CASE_MANAGER: "case managers",
    Role.BEHAVIORAL_HEALTH: "behavioral health clinicians",
    Role.ADMIN: "administrators",
}


def roles_holding(codename: str, organisation_id: int | None = None) -> list[str]:
    """The roles whose members hold `codename` on their team, in the map's order."""
    return [
        role
        for role, codenames in role_rights_map(organisation_id).items()
        if codename in codenames
    ]


def held_by(codename: str, organisation_id: int | None = None) -> str:
    """Who holds a right in the organisation, in words for a "why unavailable" line: "the
    team's social workers", "the team's RN care coordinators and behavioral health
    clinicians"."""
    names = [_ROLE_PLURALS[role] for role in roles_holding(codename, organisation_id)]
    if codename in LEAD_PERMISSIONS:
        names.append("lead coordinator")
    if not names:
        return "no one on the team"
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"the team's {listed}"


def can_tune_role_rights(user: User, organisation_id: int) -> bool:
    """An organisation's admin (Django-admin staff of it with the model right)."""
    return accounts_permissions.is_organisation_admin(
        user, organisation_id, "teams.change_rolerights"
    )


def require_can_tune_role_rights(user: Any, organisation_id: int) -> None:
    if not (isinstance(user, User) and can_tune_role_rights(user, organisation_id)):
        raise PermissionDenied("Only the organisation's administrators tune role rights.")


def role_rights_applied() -> None:
    """After an organisation's rights change: no cached answer in this process outlives it."""
    global _generation
    _generation += 1
