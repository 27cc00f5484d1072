"""In real Chromium: a Spanish-speaking patient's copy of the plan fits a phone and passes axe."""

import pytest

from tests import factories
from tests.browser import login
from tests.careplans.test_summary_language import plan_with_a_goal, prefers
from tests.core.test_screen_sizes_browser import _overflowing
from tests.e2e.test_accessibility_browser import _violations


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_the_spanish_patient_copy_fits_a_phone_and_has_no_serious_accessibility_violations(
    browser_page, live_server, patient, nurse
):
    prefers(patient, "Spanish")
    plan_with_a_goal(patient, nurse)
    login(browser_page, live_server, "nurse", factories.PASSWORD)
    pages = [("patient's copy in Spanish", f"/careplans/patients/{patient.pk}/summary/")]

    overflowing = _overflowing(browser_page, live_server, pages, (390, 768, 1366))
    found = _violations(browser_page, live_server, pages)

    assert overflowing == [], "\n".join(overflowing)
    assert found == [], "\n".join(found)
    assert browser_page.get_by_role("heading", name="Mi plan de cuidado").is_visible()
    assert browser_page.locator("html").get_attribute("lang") == "es"
