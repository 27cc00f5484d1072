"""manage.py sync_team_permissions: existing teams follow the role permission map."""

from io import StringIO

from django.core.management import call_command
from guardian.shortcuts import assign_perm, remove_perm

from apps.accounts.models import Role, User
from apps.teams.permissions import has_team_permission, role_group_name, team_role_group


def _sync() -> str:
    out = StringIO()
    call_command("sync_team_permissions", stdout=out)
    return out.getvalue()


def test_sync_team_permissions_restores_the_role_map_on_existing_teams(team, nurse, chw):
    nurse_group = team_role_group(team, Role.RN_CARE_COORDINATOR)
    chw_group = team_role_group(team, Role.CHW)
    assert nurse_group.name == role_group_name(team.pk, Role.RN_CARE_COORDINATOR)
    remove_perm("teams.reconcile_medications", nurse_group, team)
    assign_perm("teams.sign_care_plan", chw_group, team)
    assert not has_team_permission(User.objects.get(pk=nurse.pk), "reconcile_medications", team.pk)
    assert has_team_permission(User.objects.get(pk=chw.pk), "sign_care_plan", team.pk)

    assert "1 rights granted, 1 revoked" in _sync()

    assert has_team_permission(User.objects.get(pk=nurse.pk), "reconcile_medications", team.pk)
    assert not has_team_permission(User.objects.get(pk=chw.pk), "sign_care_plan", team.pk)
    assert "0 rights granted, 0 revoked" in _sync()
