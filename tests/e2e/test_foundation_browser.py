import pytest

from tests import factories
from tests.browser import login


@pytest.mark.browser
def test_nurse_logs_in_searches_a_patient_and_sees_the_care_team(
    browser_page, live_server, team, nurse, pcp, org_admin
):
    factories.make_patient(
        team, actor=org_admin, given_name="Rosa", family_name="Garcia", mrn="MRN7001"
    )
    factories.make_patient(
        team, actor=org_admin, given_name="Ivan", family_name="Petrov", mrn="MRN7002"
    )
    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)
    # A nurse lands on My work (apps.tasks.landing); the patient list is one click away.
    page.goto(f"{live_server.url}/patients/")
    page.fill("#id_q", "garcia")
    page.wait_for_selector("#result-count:has-text('1 patient matching')")
    assert page.locator("table.list tbody tr").count() == 1
    page.click("text=Garcia, Rosa")
    page.wait_for_selector("h1:has-text('Garcia, Rosa')")
    team_section = page.locator("section[aria-labelledby=care-team]")
    assert "Lead coordinator" in team_section.inner_text()
    assert pcp.display_name in team_section.inner_text()
    assert "Primary care physician" in team_section.inner_text()
