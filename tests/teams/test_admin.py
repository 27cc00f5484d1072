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


def test_an_organisation_admins_add_forms_offer_only_their_own_organisations_rows(
    client_for, organisation, team, chw
):
    from django.contrib.auth.models import Permission

    elsewhere = factories.make_organisation("Elsewhere Health")
    factories.make_team(elsewhere, "Foreign Shore")
    factories.make_user(elsewhere, username="foreigner")
    rights = Permission.objects.filter(
        codename__in=["add_careteam", "view_careteam", "add_teammembership", "view_teammembership"]
    )
    admin = factories.make_staff(organisation, rights)
    browser = client_for(admin)

    membership_form = browser.get(reverse("admin:teams_teammembership_add")).content.decode()
    assert team.name in membership_form
    assert chw.username in membership_form
    assert "Foreign Shore" not in membership_form
    assert "foreigner" not in membership_form
    team_form = browser.get(reverse("admin:teams_careteam_add")).content.decode()
    assert organisation.name in team_form
    assert "Elsewhere Health" not in team_form

    foreign_team = factories.make_team(elsewhere, "Second Shore")
    refused = browser.post(
        reverse("admin:teams_teammembership_add"),
        {"team": foreign_team.pk, "user": chw.pk, "role": Role.CHW},
    )
    assert refused.status_code == 200  # the form again, with "select a valid choice"
    assert not TeamMembership.objects.filter(team=foreign_team).exists()


def test_renaming_a_team_in_admin_is_audited_and_keeps_its_organisation(client, org_admin, team):
    elsewhere = factories.make_organisation("Elsewhere Health")
    client.force_login(org_admin)
    response = client.post(
        reverse("admin:teams_careteam_change", args=[team.pk]),
        {
            "name": "Northside East",
            "description": "",
            "organisation": elsewhere.pk,
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    team.refresh_from_db()
    assert team.name == "Northside East"
    assert team.organisation_id != elsewhere.pk
    event = AuditEvent.objects.get(object_type="teams.careteam", action=AuditAction.UPDATE)
    assert event.detail["fields"] == ["name"]
