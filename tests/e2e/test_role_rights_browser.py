"""In real Chromium: an organisation's admin gives community health workers social goals
in the admin, and a CHW on the team can edit them at once."""

from urllib.parse import urlsplit

import pytest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.mfa import recovery_code_digest
from apps.accounts.models import Role, User
from apps.careplans.permissions import can_edit_goal_domain
from apps.teams.models import RoleRights
from tests import factories
from tests.browser import login

RECOVERY = "abcd2345"
CHANGELIST = "/admin/teams/rolerights/"


def _on_changelist(url: str) -> bool:
    # The path, not the whole address: the verify page's own address ends with
    # "?next=/admin/teams/rolerights/" and must not count as having arrived.
    return urlsplit(url).path == CHANGELIST


@pytest.mark.browser
def test_an_admin_gives_chws_social_goals_and_every_team_has_it_at_once(
    browser_page, live_server, organisation, team, org_admin, chw, patient
):
    # The admin's second factor: an authenticator plus a recovery code typed below.
    TOTPDevice.objects.create(user=org_admin, name="authenticator", confirmed=True)
    static = StaticDevice.objects.create(user=org_admin, name="recovery", confirmed=True)
    StaticToken.objects.create(device=static, token=recovery_code_digest(RECOVERY))
    assert not can_edit_goal_domain(chw, patient, "social")
    page = browser_page
    login(page, live_server, "orgadmin", factories.PASSWORD)
    page.goto(f"{live_server.url}/accounts/mfa/verify/?next={CHANGELIST}")
    page.fill("input[name=token]", RECOVERY)
    page.get_by_role("button", name="Verify", exact=True).click()
    page.wait_for_url(_on_changelist)

    page.get_by_role("link", name="Community health worker", exact=True).click()
    assert page.locator("input[value=sign_care_plan]").count() == 0
    page.locator("input[value=edit_social_goals]").check()
    page.locator("input[name=_save]").click()
    page.wait_for_url(_on_changelist)

    row = RoleRights.objects.get(organisation=organisation, role=Role.CHW)
    assert "edit_social_goals" in row.rights
    assert can_edit_goal_domain(User.objects.get(pk=chw.pk), patient, "social")
