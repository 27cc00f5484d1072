"""An organisation's admin tunes which rights each role has, within the ceiling the code
keeps; a change applies to every team at once and is audited; defaults are today's map."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from apps.accounts.models import Role, User
from apps.careplans.permissions import can_edit_goal_domain, why_not_edit_goal_domain
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditEvent
from apps.teams.models import RoleRights
from apps.teams.permissions import (
    ROLE_PERMISSIONS,
    VIEW_PATIENT,
    has_team_permission,
    role_floor,
    role_rights_map,
)
from apps.teams.services import role_rights_rows, role_rights_update
from tests import factories


def _row(organisation, role):
    return next(row for row in role_rights_rows(organisation) if row.role == role)


def _fresh(user):
    return User.objects.get(pk=user.pk)


def test_the_defaults_are_todays_role_map(organisation):
    rows = {row.role: set(row.rights) for row in role_rights_rows(organisation)}
    assert rows == {
        role: set(rights) - role_floor(role) for role, rights in ROLE_PERMISSIONS.items()
    }
    assert "sign_care_plan" not in rows[Role.PCP]  # kept by the PCP, not tunable
    assert role_rights_map(organisation.pk) == ROLE_PERMISSIONS


def test_giving_chws_social_goals_applies_to_every_team_at_once_and_is_audited(
    organisation, team, other_team, org_admin, chw, patient
):
    other_chw = factories.make_member(other_team, Role.CHW, username="otherchw")
    assert not can_edit_goal_domain(chw, patient, "social")
    row = _row(organisation, Role.CHW)

    role_rights_update(actor=org_admin, row=row, rights=[*row.rights, "edit_social_goals"])

    assert can_edit_goal_domain(_fresh(chw), patient, "social")
    assert has_team_permission(_fresh(other_chw), "edit_social_goals", other_team.pk)
    event = AuditEvent.objects.get(object_type="teams.rolerights", action=AuditAction.UPDATE)
    assert event.detail["added"] == ["edit_social_goals"]
    # The "why unavailable" line follows the organisation's map.
    assert why_not_edit_goal_domain(_fresh(chw), patient, "medical") is not None
    nurse_line = why_not_edit_goal_domain(
        factories.make_member(team, Role.PHARMACIST, username="pharm2"), patient, "social"
    )
    assert nurse_line == (
        "Social goals are edited by the team's social workers and community health workers."
    )


def test_taking_a_right_away_revokes_it_on_every_team(organisation, team, org_admin, nurse):
    row = _row(organisation, Role.RN_CARE_COORDINATOR)
    assert has_team_permission(nurse, "record_clinical_data", team.pk)
    role_rights_update(
        actor=org_admin,
        row=row,
        rights=[name for name in row.rights if name != "record_clinical_data"],
    )
    assert not has_team_permission(_fresh(nurse), "record_clinical_data", team.pk)
    assert has_team_permission(_fresh(nurse), VIEW_PATIENT, team.pk)


@pytest.mark.parametrize(
    ("role", "reserved"),
    [
        (Role.RN_CARE_COORDINATOR, "sign_care_plan"),
        (Role.PCP, "verify_medication_reconciliation"),
        (Role.CHW, "verify_medication_reconciliation"),
    ],
)
def test_a_pcp_or_pharmacist_only_right_cannot_be_given_to_another_role(
    organisation, team, org_admin, nurse, role, reserved
):
    row = _row(organisation, role)
    before = list(row.rights)
    with pytest.raises(ApplicationError) as refused:
        role_rights_update(actor=org_admin, row=row, rights=[*row.rights, reserved])
    assert "rights" in refused.value.field_errors
    row.refresh_from_db()
    assert row.rights == before
    assert not AuditEvent.objects.filter(object_type="teams.rolerights").exists()


def test_only_the_organisations_admin_tunes_role_rights(organisation, nurse):
    row = _row(organisation, Role.CHW)
    with pytest.raises(PermissionDenied):
        role_rights_update(actor=nurse, row=row, rights=[])
    other_admin = factories.make_user(
        factories.make_organisation(), username="elsewhere", is_staff=True, is_superuser=False
    )
    with pytest.raises(PermissionDenied):
        role_rights_update(actor=other_admin, row=row, rights=[])
    assert RoleRights.objects.get(pk=row.pk).rights == row.rights


def test_the_admin_offers_only_the_roles_ceiling_and_saves_through_the_service(
    client, organisation, team, org_admin, chw, patient
):
    client.force_login(org_admin)
    listing = client.get(reverse("admin:teams_rolerights_changelist"))
    assert listing.status_code == 200
    row = RoleRights.objects.get(organisation=organisation, role=Role.CHW)
    page = client.get(reverse("admin:teams_rolerights_change", args=[row.pk])).content.decode()
    assert 'value="edit_social_goals"' in page
    assert 'value="sign_care_plan"' not in page
    assert 'value="verify_medication_reconciliation"' not in page
    response = client.post(
        reverse("admin:teams_rolerights_change", args=[row.pk]),
        {"rights": [*row.rights, "edit_social_goals"]},
    )
    assert response.status_code == 302
    assert can_edit_goal_domain(_fresh(chw), patient, "social")
    refused = client.post(
        reverse("admin:teams_rolerights_change", args=[row.pk]),
        {"rights": [*row.rights, "sign_care_plan"]},
    )
    assert refused.status_code == 200  # the form says the choice is not offered
    assert "sign_care_plan" not in RoleRights.objects.get(pk=row.pk).rights


def test_the_pcp_keeps_signing_and_the_pharmacist_keeps_verifying_whatever_is_ticked(
    organisation, team, org_admin, pcp, pharmacist, patient
):
    from apps.careplans.permissions import can_sign_care_plan
    from apps.transitions.permissions import can_verify_reconciliation

    role_rights_update(actor=org_admin, row=_row(organisation, Role.PCP), rights=[])
    role_rights_update(actor=org_admin, row=_row(organisation, Role.PHARMACIST), rights=[])
    assert can_sign_care_plan(_fresh(pcp), patient)
    assert can_verify_reconciliation(_fresh(pharmacist), patient)
    assert not has_team_permission(_fresh(pcp), "record_clinical_data", team.pk)
