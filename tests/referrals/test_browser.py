"""From referral to closed loop in real Chromium, through the htmx pages."""

import pytest
from playwright.sync_api import expect

from apps.referrals.models import Referral, ReferralState
from tests import factories
from tests.browser import login


@pytest.mark.browser
def test_a_coordinator_refers_a_patient_and_follows_the_loop_to_closure(
    browser_page, live_server, team, nurse, chw, org_admin, food_service, cardiology
):
    patient = factories.make_patient(
        team, actor=org_admin, given_name="Rosa", family_name="Garcia", mrn="MRN7101"
    )
    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    section = page.locator("#referrals-section")
    section.locator("text=No referrals.").wait_for()
    section.locator("text=Refer…").click()

    page.wait_for_selector("h1:has-text('New referral')")
    page.fill("#service-search", "food spanish")
    expect(page.locator("#id_service option")).to_have_count(1)
    assert "Weekly food boxes" in page.locator("#id_service").inner_text()
    page.fill("#id_reason", "Food insecurity on the social needs screen")
    page.select_option("#id_urgency", "urgent")
    page.select_option("#id_owner", str(chw.pk))
    page.check("#id_consent_given")
    page.select_option("#id_consent_method", "verbal")
    page.click("button:has-text('Draft the referral')")

    page.wait_for_selector("#referral-state:has-text('Draft')")
    assert chw.display_name in page.locator("#referral-owner").inner_text()
    assert "Given (Verbal" in page.locator("#referral-consent").inner_text()

    def move(button: str, state: str) -> None:
        page.click(f"button[data-to-state='{button}']")
        page.wait_for_selector(f"#referral-state:has-text('{state}')")

    move("sent", "Sent")
    move("received", "Received")
    move("scheduled", "Scheduled")
    move("completed", "Completed")

    # Closing without the result is refused on the page, the loop stays open.
    page.click("button[data-to-state='closed']")
    page.wait_for_selector(".refusal-alert[role=alert]:has-text('Document what happened')")
    assert page.locator("#referral-state").text_content() == "Completed"

    page.fill("#result-summary", "Enrolled; weekly food box from Monday")
    page.fill("#result-reported-by", "Intake desk, Riverside Food Bank")
    page.click("button[data-to-state='closed']")
    page.wait_for_selector("#referral-state:has-text('Closed')")
    assert "Enrolled; weekly food box" in page.locator("#referral-result").inner_text()
    timeline = page.locator("#referral-timeline + .timeline").inner_text()
    for step in ("Drafted", "Draft → Sent", "Completed → Closed"):
        assert step in timeline
    assert page.locator(".referral-actions").count() == 0

    referral = Referral.objects.get()
    assert referral.state == ReferralState.CLOSED
    assert referral.result_documented_by == nurse

    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    item = page.locator(f"#referral-{referral.pk}")
    item.wait_for()
    assert "Closed" in item.text_content()

    page.goto(f"{live_server.url}/referrals/")
    page.locator("#closed-without-result").wait_for()
    assert page.locator("#closed-without-result").inner_text().startswith("0")
