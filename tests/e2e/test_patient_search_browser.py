"""In real Chromium: the header's patient search, on a phone and from the keyboard."""

from datetime import date

import pytest

from apps.core.models import AuditAction, AuditEvent
from tests import factories
from tests.browser import login


@pytest.fixture
def same_birthday(team, other_team, org_admin):
    born = date(1948, 3, 9)
    ours = factories.make_patient(
        team,
        actor=org_admin,
        given_name="Ada",
        family_name="Okafor",
        mrn="HDR1001",
        date_of_birth=born,
    )
    theirs = factories.make_patient(
        other_team,
        actor=org_admin,
        given_name="Bea",
        family_name="Okafor",
        mrn="HDR1002",
        date_of_birth=born,
    )
    return ours, theirs


@pytest.mark.browser
def test_header_search_on_a_phone_finds_own_team_patient_by_birth_date_and_is_audited(
    browser_page, live_server, nurse, outsider, same_birthday
):
    ours, _theirs = same_birthday
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, "nurse", factories.PASSWORD)
    page.goto(f"{live_server.url}/work/")

    box = page.get_by_role("searchbox", name="Find a patient by name, MRN or date of birth")
    assert box.is_visible()  # on show without opening the phone menu
    bounds = box.bounding_box()
    assert bounds is not None
    assert bounds["x"] + bounds["width"] <= 390
    box.fill("03/09/1948")
    box.press("Enter")

    page.wait_for_url("**/patients/?q=*")
    rows = page.locator("#patient-results table.list tbody tr")
    assert rows.count() == 1
    assert "Okafor, Ada" in rows.first.inner_text()
    assert "Bea" not in page.locator("#patient-results").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    searched = AuditEvent.objects.filter(
        actor=nurse, action=AuditAction.LIST, detail__searched=True
    ).latest("occurred_at")
    assert searched.patient_ids == [ours.pk]


@pytest.mark.browser
def test_slash_key_jumps_to_header_search_and_finds_a_patient_by_mrn_from_the_keyboard(
    browser_page, live_server, nurse, same_birthday
):
    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)
    page.goto(f"{live_server.url}/work/")
    page.locator("main").click(position={"x": 5, "y": 5})

    page.keyboard.press("/")

    assert page.evaluate("document.activeElement.id") == "header-search-q"
    page.keyboard.type("hdr1001")
    page.keyboard.press("Enter")
    page.wait_for_url("**/patients/?q=*")
    assert page.locator("#patient-results table.list tbody tr").count() == 1
    page.get_by_role("link", name="Okafor, Ada").click()
    page.wait_for_selector("h1:has-text('Okafor, Ada')")


@pytest.mark.browser
def test_header_search_is_reached_by_tab_on_a_laptop(browser_page, live_server, nurse):
    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)
    page.goto(f"{live_server.url}/work/")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "header-search-q":
            break
    assert page.evaluate("document.activeElement.id") == "header-search-q"
