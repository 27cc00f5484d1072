"""Admins manage memberships through the same services: grants and revocations are immediate."""

from django.urls import reverse

from apps.accounts.models import Role
from apps.core.models import AuditAction, AuditEvent
from apps.teams.models import TeamMembership
from tests import factories


def test_adding_a_member_in_admin_grants_access_at_once(
    client, client_for, org_admin, team, patient
):
    newcomer = factories.make_user(team.organisation, username="newcomer")
    assert client_for(newcomer).get(reverse("patients:chart", args=[patient.pk])).status_code == 404
    client.force_login(org_admin)
    response = client.post(
        reverse("admin:teams_teammembership_add"),
        {"team": team.pk, "user": newcomer.pk, "role": Role.CHW},
    )
    assert response.status_code == 302
    assert client_for(newcomer).get(reverse("patients:chart", args=[patient.pk])).status_code == 200
    assert AuditEvent.objects.filter(
        object_type="teams.teammembership", action=AuditAction.CREATE
    ).exists()


def test_ending_a_membership_in_admin_revokes_access_at_once(
    client, client_for, org_admin, chw, patient
):
    membership = TeamMembership.objects.get(user=chw, ended_at__isnull=True)
    browser = client_for(chw)
    assert browser.get(reverse("patients:chart", args=[patient.pk])).status_code == 200
    client.force_login(org_admin)
    response = client.post(
        reverse("admin:teams_teammembership_changelist"),
        {"action": "end_memberships", "_selected_action": [membership.pk]},
    )
    assert response.status_code == 302
    assert browser.get(reverse("patients:chart", args=[patient.pk])).status_code == 404
    membership.refresh_from_db()
    assert membership.ended_at is not None


def test_an_organisation_admin_sees_only_their_own_organisations_teams_and_members(
    client_for, organisation, team, chw
):
    from django.contrib.auth.models import Permission

    elsewhere = factories.make_organisation("Elsewhere Health")
    foreign_team = factories.make_team(elsewhere, "Foreign Shore")
    foreigner = factories.make_member(foreign_team, Role.CHW, username="foreigner")
    rights = Permission.objects.filter(codename__in=["view_careteam", "view_teammembership"])
    admin = factories.make_staff(organisation, rights)
    browser = client_for(admin)

    teams = browser.get(reverse("admin:teams_careteam_changelist")).content.decode()
    assert team.name in teams
    assert "Foreign Shore" not in teams
    members = browser.get(reverse("admin:teams_teammembership_changelist")).content.decode()
    assert chw.username in members
    assert foreigner.username not in members
    foreign = TeamMembership.objects.get(user=foreigner)
    url = reverse("admin:teams_teammembership_change", args=[foreign.pk])
    assert browser.get(url).status_code == 302  # Django's admin: "does not exist", back to the list
