import pytest

from apps.accounts.models import Role
from apps.core.exceptions import ApplicationError
from apps.teams import permissions
from apps.teams.models import TeamMembership
from apps.teams.services import team_member_add, team_member_remove, team_member_update
from tests import factories
from tests.factories import SETUP


def test_joining_grants_the_roles_rights_and_leaving_revokes_them(team):
    user = factories.make_member(team, Role.PHARMACIST)
    assert permissions.has_team_permission(user, "verify_medication_reconciliation", team.pk)
    assert not permissions.has_team_permission(user, "sign_care_plan", team.pk)
    membership = TeamMembership.objects.get(user=user)
    team_member_remove(actor=SETUP, membership=membership)
    user.refresh_from_db()
    assert permissions.team_permissions_for_user(user) == {}


def test_a_team_has_one_lead_and_a_new_lead_replaces_the_old(team, nurse):
    newcomer = factories.make_member(team, Role.CASE_MANAGER, is_lead=True)
    leads = TeamMembership.objects.filter(team=team, is_lead=True, ended_at__isnull=True)
    assert [m.user for m in leads] == [newcomer]
    nurse.refresh_from_db()
    assert not permissions.has_team_permission(nurse, "reassign_tasks", team.pk)
    assert permissions.has_team_permission(newcomer, "reassign_tasks", team.pk)


def test_the_same_person_cannot_join_a_team_twice(team, nurse):
    with pytest.raises(ApplicationError):
        team_member_add(actor=SETUP, team=team, user=nurse, role=Role.CHW)


def test_changing_role_moves_rights(team, chw):
    membership = TeamMembership.objects.get(user=chw)
    team_member_update(actor=SETUP, membership=membership, role=Role.SOCIAL_WORKER, is_lead=False)
    chw.refresh_from_db()
    assert permissions.has_team_permission(chw, "edit_social_goals", team.pk)


def test_people_of_another_organisation_cannot_join(team):
    stranger = factories.make_user(factories.make_organisation())
    with pytest.raises(ApplicationError):
        team_member_add(actor=SETUP, team=team, user=stranger, role=Role.CHW)


def test_team_services_refuse_a_missing_actor_and_change_nothing(organisation, team, chw, nurse):
    from apps.core.models import AuditEvent
    from apps.teams.models import CareTeam
    from apps.teams.services import care_team_create

    membership = TeamMembership.objects.get(user=chw)
    stranger = factories.make_user(organisation)
    before = (AuditEvent.objects.count(), CareTeam.objects.count(), TeamMembership.objects.count())
    refused = [
        lambda: care_team_create(actor=None, organisation=organisation, name="Nobody's team"),
        lambda: team_member_add(actor=None, team=team, user=stranger, role=Role.CHW),
        lambda: team_member_update(
            actor=None, membership=membership, role=Role.SOCIAL_WORKER, is_lead=False
        ),
        lambda: team_member_remove(actor=None, membership=membership),
    ]
    for call in refused:
        with pytest.raises(TypeError):
            call()  # type: ignore[arg-type]
    membership.refresh_from_db()
    assert (membership.role, membership.ended_at) == (Role.CHW, None)
    assert (
        AuditEvent.objects.count(),
        CareTeam.objects.count(),
        TeamMembership.objects.count(),
    ) == before
