"""Team membership and the accounts behind it: joining grants, leaving revokes, in the same
transaction; deactivating an account ends its ownership of work at once."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import Actor, Organisation, Role, User, actor_checked
from apps.core.actors import person_behind
from apps.core.audit import audit_record
from apps.core.changes import record_change, validate
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.teams import permissions
from apps.teams.models import CareTeam, RoleRights, TeamMembership


def _membership_audit(
    actor: Actor, membership: TeamMembership, action: str, **detail: object
) -> None:
    """Every membership change is audited with its team, so a team's history can be read."""
    audit_record(
        actor=actor,
        action=action,
        object_type=membership,
        object_id=membership.pk,
        detail={"team_id": membership.team_id, **detail},
    )


def _account_audit(actor: Actor, user: User, **detail: object) -> None:
    """An account switched on or off: the audit says which way, and why."""
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=user,
        object_id=user.pk,
        detail={"fields": ["is_active"], "is_active": user.is_active, **detail},
    )


@transaction.atomic
def care_team_create(
    *, actor: Actor, organisation: Organisation, name: str, description: str = ""
) -> CareTeam:
    actor_checked(actor)
    team = CareTeam(organisation=organisation, name=name.strip(), description=description)
    validate(team, message="The team is not valid.")
    team.save()
    audit_record(actor=actor, action=AuditAction.CREATE, object_type=team, object_id=team.pk)
    return team


@transaction.atomic
def care_team_update(*, actor: Actor, team: CareTeam, name: str, description: str) -> CareTeam:
    """Renames or redescribes a team; the team's organisation never changes."""
    actor_checked(actor)
    record_change(
        actor=actor,
        instance=team,
        values={"name": name.strip(), "description": description},
        message="The team is not valid.",
    )
    return team


@transaction.atomic
def team_member_add(
    *, actor: Actor, team: CareTeam, user: User, role: str, is_lead: bool = False
) -> TeamMembership:
    """Puts `user` on `team` in `role`; they see the team's patients from this moment."""
    actor_checked(actor)
    if role not in Role.values:
        raise ApplicationError("Unknown role.", field_errors={"role": [f"'{role}' is not a role."]})
    if user.organisation_id is not None and user.organisation_id != team.organisation_id:
        raise ApplicationError(
            "That person belongs to another organisation.",
            field_errors={"user": ["Choose someone from the team's organisation."]},
        )
    if TeamMembership.objects.open().filter(team=team, user=user).exists():
        raise ApplicationError(
            "That person is already on the team.",
            field_errors={"user": ["Already an active member; change their role instead."]},
        )
    if is_lead:
        _end_current_lead(actor=actor, team=team)
    membership = TeamMembership.objects.create(team=team, user=user, role=role, is_lead=is_lead)
    permissions.membership_grant(membership)
    _membership_audit(
        actor, membership, AuditAction.CREATE, user_id=user.pk, role=role, is_lead=is_lead
    )
    return membership


@transaction.atomic
def team_member_remove(*, actor: Actor, membership: TeamMembership) -> TeamMembership:
    """Ends a membership and revokes its rights at once. Open work shows as orphaned."""
    actor_checked(actor)
    membership = TeamMembership.objects.select_for_update().get(pk=membership.pk)
    if membership.ended_at is not None:
        return membership
    membership.ended_at = timezone.now()
    membership.is_lead = False
    membership.save(update_fields=["ended_at", "is_lead", "updated_at"])
    permissions.membership_revoke(membership)
    _membership_audit(
        actor, membership, AuditAction.UPDATE, fields=["ended_at"], user_id=membership.user_id
    )
    return membership


@transaction.atomic
def team_member_update(
    *, actor: Actor, membership: TeamMembership, role: str, is_lead: bool
) -> TeamMembership:
    """Changes a member's role or lead flag, moving them between the team's role groups."""
    actor_checked(actor)
    if role not in Role.values:
        raise ApplicationError("Unknown role.", field_errors={"role": [f"'{role}' is not a role."]})
    membership = TeamMembership.objects.select_for_update().get(pk=membership.pk)
    if membership.ended_at is not None:
        raise ApplicationError("That membership has ended; add the person again.")
    changed = [
        name
        for name, value in (("role", role), ("is_lead", is_lead))
        if getattr(membership, name) != value
    ]
    if not changed:
        return membership
    permissions.membership_revoke(membership)
    if is_lead and not membership.is_lead:
        _end_current_lead(actor=actor, team=membership.team)
    membership.role = role
    membership.is_lead = is_lead
    try:
        membership.save(update_fields=["role", "is_lead", "updated_at"])
    except IntegrityError as error:  # pragma: no cover - guarded by _end_current_lead
        raise ApplicationError("The team already has a lead coordinator.") from error
    permissions.membership_grant(membership)
    _membership_audit(actor, membership, AuditAction.UPDATE, fields=changed)
    return membership


def _end_current_lead(*, actor: Actor, team: CareTeam) -> None:
    current = (
        # Open, not live: a deactivated lead still holds the flag until replaced.
        TeamMembership.objects.select_for_update().open().filter(team=team, is_lead=True).first()
    )
    if current is None:
        return
    current.is_lead = False
    current.save(update_fields=["is_lead", "updated_at"])
    permissions.lead_revoke(current)
    _membership_audit(actor, current, AuditAction.UPDATE, fields=["is_lead"])


@transaction.atomic
def user_deactivate(*, actor: Actor, user: User, reason: str) -> User:
    """Deactivates an account: the one path for the admin form, its action and any job.

    Memberships stay (a reactivation restores them), but from this moment the
    person is no live member anywhere: their open work shows as orphaned on
    every list that asks `TeamMembership.objects.live()`, a team they led has
    no lead coordinator (`team_lead()` is None) until one is named, and no
    reminder, escalation or email goes to them. Audited with the teams they
    led, so the admin can see what needs fixing.
    """
    actor_checked(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            "Say why the account is deactivated.",
            field_errors={"reason": ["A reason is required."]},
        )
    person = person_behind(actor)
    if person is not None and person.pk == user.pk:
        raise ApplicationError(
            "You cannot deactivate your own account.",
            field_errors={"is_active": ["Ask another administrator."]},
        )
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        return user
    user.is_active = False
    user.save(update_fields=["is_active"])
    led = sorted(
        TeamMembership.objects.open()
        .filter(user_id=user.pk, is_lead=True)
        .values_list("team_id", flat=True)
    )
    _account_audit(actor, user, reason=reason, teams_left_without_lead=led)
    return user


@transaction.atomic
def user_reactivate(*, actor: Actor, user: User, reason: str = "") -> User:
    """Reactivates an account: its open memberships (and a lead flag still held) count again."""
    actor_checked(actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        return user
    user.is_active = True
    user.save(update_fields=["is_active"])
    _account_audit(actor, user, reason=reason.strip())
    return user


# --- role rights, per organisation ---------------------------------------------------------


def role_rights_rows(organisation: Organisation) -> list[RoleRights]:
    """The organisation's row for every role, made with today's default rights on first use
    (so the admin always has one to edit)."""
    existing = {row.role: row for row in RoleRights.objects.filter(organisation_id=organisation.pk)}
    missing = [
        RoleRights(
            organisation=organisation,
            role=role,
            rights=sorted(permissions.ROLE_PERMISSIONS[role] - permissions.role_floor(role)),
        )
        for role in permissions.ROLE_PERMISSIONS
        if role not in existing
    ]
    if missing:
        RoleRights.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {
            row.role: row for row in RoleRights.objects.filter(organisation_id=organisation.pk)
        }
    return [existing[role] for role in permissions.ROLE_PERMISSIONS if role in existing]


@transaction.atomic
def role_rights_update(*, actor: Actor, row: RoleRights, rights: list[str]) -> tuple[int, int]:
    """Tunes one role's rights in the organisation and applies them to every team at once.

    Refused (nothing changed) beyond the ceiling the code keeps: a right reserved to
    another role (signing a plan is a PCP's, verifying a reconciliation a
    pharmacist's; they keep them whatever is ticked) or an unknown one. The change
    is audited with the rights added and removed; returns how many team rights
    were (granted, revoked).
    """
    permissions.require_can_tune_role_rights(actor, row.organisation_id)
    row = RoleRights.objects.select_for_update().get(pk=row.pk)
    # What the role holds anyway (its reserved rights) is not the organisation's to tune.
    wanted = set(rights) - permissions.role_floor(row.role)
    beyond = sorted(wanted - permissions.role_ceiling(row.role))
    if beyond:
        reserved = [name for name in beyond if name in permissions.RESERVED_TO_ROLE]
        message = (
            "Only a primary care physician signs a plan and only a pharmacist verifies a "
            "reconciliation: those rights are never given to another role."
            if reserved
            else "Choose from the team rights listed."
        )
        raise ApplicationError(
            f"{Role(row.role).label}: {message}", field_errors={"rights": [message]}
        )
    before = set(row.rights)
    record_change(
        actor=actor,
        instance=row,
        values={"rights": sorted(wanted)},
        detail={
            "role": row.role,
            "added": sorted(wanted - before),
            "removed": sorted(before - wanted),
        },
    )
    granted = revoked = 0
    for team in CareTeam.objects.filter(organisation_id=row.organisation_id).order_by("pk"):
        team_granted, team_revoked = permissions.team_permissions_sync(team)
        granted += team_granted
        revoked += team_revoked
    permissions.role_rights_applied()
    return granted, revoked
