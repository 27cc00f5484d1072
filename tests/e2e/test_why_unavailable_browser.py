"""In real Chromium: where a role is not offered an action, the page says who does it."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser import login
from tests.careplans.factories import make_plan
from tests.huddles.factories import open_huddle


@pytest.mark.browser
def test_a_nurse_sees_who_edits_social_goals_and_who_signs_the_plan(
    browser_page, live_server, nurse, social_worker, patient
):
    make_plan(patient, nurse)
    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)
    page.goto(f"{live_server.url}/careplans/patients/{patient.pk}/")

    expect(page.locator("#why-not-social")).to_have_text(
        "Social goals are edited by the team's social workers."
    )
    expect(page.locator("#why-not-sign")).to_have_text(
        "The plan is signed by a primary care physician on the patient's team."
    )
    expect(page.locator("#why-not-medical")).to_have_count(0)


@pytest.mark.browser
def test_a_pcp_sees_who_closes_the_huddle_instead_of_a_missing_button(
    browser_page, live_server, team, nurse, pcp
):
    huddle = open_huddle(team, nurse)
    page = browser_page
    login(page, live_server, "pcp", factories.PASSWORD)
    page.goto(f"{live_server.url}/huddles/{huddle.pk}/")

    expect(page.locator("#why-not-close")).to_contain_text("Huddles are run and closed by")
    expect(page.locator("#close-huddle")).to_have_count(0)
