"""Team membership: joining grants, leaving revokes, in the same transaction."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import Organisation, Role, User
from apps.core.audit import audit_record, object_type_of
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.teams import permissions
from apps.teams.models import CareTeam, TeamMembership


@transaction.atomic
def care_team_create(
    *, actor: User | None, organisation: Organisation, name: str, description: str = ""
) -> CareTeam:
    team = CareTeam(organisation=organisation, name=name.strip(), description=description)
    try:
        team.full_clean()
    except ValidationError as error:
        raise ApplicationError("The team is not valid.", field_errors=error.message_dict) from error
    team.save()
    audit_record(
        actor=actor, action=AuditAction.CREATE, object_type=object_type_of(team), object_id=team.pk
    )
    return team


@transaction.atomic
def team_member_add(
    *, actor: User | None, team: CareTeam, user: User, role: str, is_lead: bool = False
) -> TeamMembership:
    """Puts `user` on `team` in `role`; they see the team's patients from this moment."""
    if role not in Role.values:
        raise ApplicationError("Unknown role.", field_errors={"role": [f"'{role}' is not a role."]})
    if user.organisation_id is not None and user.organisation_id != team.organisation_id:
        raise ApplicationError(
            "That person belongs to another organisation.",
            field_errors={"user": ["Choose someone from the team's organisation."]},
        )
    if TeamMembership.objects.filter(team=team, user=user, ended_at__isnull=True).exists():
        raise ApplicationError(
            "That person is already on the team.",
            field_errors={"user": ["Already an active member; change their role instead."]},
        )
    if is_lead:
        _end_current_lead(actor=actor, team=team)
    membership = TeamMembership.objects.create(team=team, user=user, role=role, is_lead=is_lead)
    permissions.membership_grant(membership)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=object_type_of(membership),
        object_id=membership.pk,
        detail={"team_id": team.pk, "user_id": user.pk, "role": role, "is_lead": is_lead},
    )
    return membership


@transaction.atomic
def team_member_remove(*, actor: User | None, membership: TeamMembership) -> TeamMembership:
    """Ends a membership and revokes its rights at once. Open work shows as orphaned."""
    membership = TeamMembership.objects.select_for_update().get(pk=membership.pk)
    if membership.ended_at is not None:
        return membership
    membership.ended_at = timezone.now()
    membership.is_lead = False
    membership.save(update_fields=["ended_at", "is_lead", "updated_at"])
    permissions.membership_revoke(membership)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=object_type_of(membership),
        object_id=membership.pk,
        detail={
            "fields": ["ended_at"],
            "team_id": membership.team_id,
            "user_id": membership.user_id,
        },
    )
    return membership


@transaction.atomic
def team_member_update(
    *, actor: User | None, membership: TeamMembership, role: str, is_lead: bool
) -> TeamMembership:
    """Changes a member's role or lead flag, moving them between the team's role groups."""
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
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=object_type_of(membership),
        object_id=membership.pk,
        detail={"fields": changed, "team_id": membership.team_id},
    )
    return membership


def _end_current_lead(*, actor: User | None, team: CareTeam) -> None:
    current = (
        TeamMembership.objects.select_for_update()
        .filter(team=team, is_lead=True, ended_at__isnull=True)
        .first()
    )
    if current is None:
        return
    current.is_lead = False
    current.save(update_fields=["is_lead", "updated_at"])
    permissions.lead_revoke(current)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=object_type_of(current),
        object_id=current.pk,
        detail={"fields": ["is_lead"], "team_id": team.pk},
    )
