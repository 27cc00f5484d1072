"""In real Chromium: every main page fits a phone, a tablet and a laptop, and the keyboard works."""

from datetime import timedelta

import pytest

from apps.careplans.models import GoalDomain
from apps.huddles.models import Huddle
from apps.referrals.models import Referral
from apps.tasks.models import Task
from apps.transitions.models import Episode
from tests import factories
from tests.browser import login
from tests.careplans.factories import make_goal, make_intervention, make_plan
from tests.huddles.factories import make_huddle
from tests.patients.factories import make_complex
from tests.referrals.factories import make_referral, make_service
from tests.tasks.factories import make_task
from tests.transitions.factories import discharged_home

WIDTHS = (390, 768, 1366)

# Which element pushes the page wider than the window, to name it in the failure.
OVERFLOW = """
() => {
  const limit = window.innerWidth;
  if (document.documentElement.scrollWidth <= limit) return null;
  let widest = null;
  const clipped = element => {
    for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  for (const element of document.body.querySelectorAll("*")) {
    if (clipped(element)) continue;
    const right = element.getBoundingClientRect().right;
    if (right > limit + 1 && (!widest || right > widest.right)) {
      widest = {right, name: element.tagName.toLowerCase()
        + (element.getAttribute("id") ? "#" + element.getAttribute("id") : "")
        + (element.className && typeof element.className === "string"
           ? "." + element.className.trim().split(/\\s+/).join(".") : "")};
    }
  }
  return `${document.documentElement.scrollWidth}px wide`
    + (widest ? `, widest: ${widest.name} reaching ${Math.round(widest.right)}px` : "");
}
"""


@pytest.fixture
def busy_patient(team, nurse, chw, pcp, org_admin, organisation):
    """A patient with something on every page: tasks, a plan, a referral, a discharge."""
    patient = factories.make_patient(
        team,
        actor=org_admin,
        given_name="Maria-Guadalupe",
        family_name="Hernandez-Villanueva",
        mrn="MRN-PHONE-0001",
    )
    make_complex(nurse, patient)
    make_task(
        patient,
        nurse,
        actor=nurse,
        title="Call the pharmacy about the refill of the long-acting insulin pen",
        due_in=timedelta(hours=-5),
    )
    make_task(patient, nurse, actor=nurse, title="Arrange a home visit", due_in=timedelta(days=2))
    make_task(patient, chw, actor=nurse, title="Bring the food bank form")
    plan = make_plan(patient, nurse)
    goal = make_goal(plan, nurse, description="Walk to the corner shop without getting breathless")
    make_intervention(goal, nurse)
    make_goal(
        plan, nurse, domain=GoalDomain.FUNCTIONAL, description="Keep the flat warm this winter"
    )
    service = make_service(organisation, actor=nurse, name="Neighbourhood food pantry")
    make_referral(patient, actor=nurse, service=service, state="sent")
    discharged_home(patient)
    make_huddle(team, nurse)
    return patient


def main_pages(patient) -> list[tuple[str, str]]:
    return [
        ("patients list", "/patients/"),
        ("chart", f"/patients/{patient.pk}/"),
        ("My work", "/work/"),
        ("team worklist", "/work/team/"),
        ("transitions board", "/transitions/"),
        ("referrals board", "/referrals/"),
        ("huddles list", "/huddles/"),
        ("care plan", f"/careplans/patients/{patient.pk}/"),
        ("plan reviews", "/careplans/review/"),
        ("notifications", "/work/notifications/"),
        ("measures", "/measures/"),
    ]


def detail_pages(patient) -> list[tuple[str, str]]:
    task = Task.objects.filter(patient=patient).order_by("pk").first()
    referral = Referral.objects.get(patient=patient)
    episode = Episode.objects.filter(patient=patient).order_by("pk").first()
    huddle = Huddle.objects.order_by("pk").first()
    assert task is not None
    assert episode is not None
    assert huddle is not None
    return [
        ("task", f"/work/tasks/{task.pk}/"),
        ("referral", f"/referrals/{referral.pk}/"),
        ("transition episode", f"/transitions/episodes/{episode.pk}/"),
        ("huddle", f"/huddles/{huddle.pk}/"),
        ("clinical details", f"/patients/{patient.pk}/clinical/"),
        ("plan versions", f"/careplans/patients/{patient.pk}/versions/"),
        ("new task", f"/work/patients/{patient.pk}/new/"),
        ("resource directory", "/referrals/directory/"),
        ("referral measures", "/referrals/measures/"),
        ("schedule a huddle", "/huddles/schedule/"),
    ]


def _overflowing(page, live_server, pages, widths) -> list[str]:
    overflowing = []
    for width in widths:
        page.set_viewport_size({"width": width, "height": 844})
        for name, path in pages:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None
            assert response.status == 200, (name, response.status)
            # Lazily loaded cards in place, so the width is the one the user scrolls.
            page.wait_for_load_state("networkidle")
            problem = page.evaluate(OVERFLOW)
            if problem:
                overflowing.append(f"{name} at {width}px: {problem}")
    return overflowing


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_main_pages_fit_phone_tablet_and_laptop_widths_without_sideways_scrolling(
    browser_page, live_server, busy_patient
):
    login(browser_page, live_server, "nurse", factories.PASSWORD)
    overflowing = _overflowing(browser_page, live_server, main_pages(busy_patient), WIDTHS)
    assert overflowing == [], "\n".join(overflowing)


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_detail_and_form_pages_fit_a_phone_and_a_tablet_without_sideways_scrolling(
    browser_page, live_server, busy_patient
):
    overflowing = _overflowing(browser_page, live_server, [("sign in", "/accounts/login/")], WIDTHS)
    login(browser_page, live_server, "nurse", factories.PASSWORD)
    pages = detail_pages(busy_patient)
    overflowing += _overflowing(browser_page, live_server, pages, (390, 768))
    assert overflowing == [], "\n".join(overflowing)


@pytest.mark.browser
def test_phone_menu_opens_from_a_button_and_every_link_is_on_screen(
    browser_page, live_server, busy_patient
):
    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/work/")
    menu = page.get_by_role("navigation", name="Main")
    assert not menu.get_by_role("link", name="Referrals").is_visible()

    page.locator(".menu-toggle").click()

    for name in ("Patients", "My work", "Referrals", "Huddles", "Transitions", "Measures"):
        link = menu.get_by_role("link", name=name, exact=True)
        assert link.is_visible(), name
        box = link.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390, name
    menu.get_by_role("link", name="Referrals", exact=True).click()
    page.wait_for_url("**/referrals/")


@pytest.mark.browser
def test_first_tab_focuses_a_visible_skip_link_that_jumps_to_the_content(
    browser_page, live_server, busy_patient
):
    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)
    page.goto(f"{live_server.url}/patients/")
    skip = page.get_by_role("link", name="Skip to content")
    assert not skip.is_visible() or skip.bounding_box()["y"] < 0  # out of sight until focused

    page.keyboard.press("Tab")

    focused = page.evaluate(
        "() => [document.activeElement.textContent.trim(), document.activeElement.hash]"
    )
    assert focused == ["Skip to content", "#content"]
    box = skip.bounding_box()
    assert box is not None
    assert box["y"] >= 0
    assert box["width"] > 1
    assert box["height"] > 1
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#content"
    # Focus moved into the content, so the next Tab starts there rather than in the menu.
    assert page.evaluate("document.activeElement.tagName + '#' + document.activeElement.id") == (
        "MAIN#content"
    )

    # The same first stop on every main page.
    for name, path in main_pages(busy_patient):
        page.goto(f"{live_server.url}{path}")
        page.keyboard.press("Tab")
        first = page.evaluate("document.activeElement.textContent.trim()")
        assert first == "Skip to content", name


@pytest.mark.browser
def test_a_button_focused_from_the_keyboard_shows_a_visible_outline(
    browser_page, live_server, busy_patient
):
    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)
    page.goto(f"{live_server.url}/work/")
    button = page.locator("table.tasks button").first
    # Keyboard focus (not a mouse click) is what :focus-visible answers to.
    page.keyboard.press("Tab")  # the page has keyboard focus mode from here on
    button.focus()
    outline = button.evaluate(
        """element => {
          const style = getComputedStyle(element);
          const visible = element.matches(':focus-visible');
          return [style.outlineStyle, parseFloat(style.outlineWidth), visible];
        }"""
    )
    assert outline[2] is True
    assert outline[0] not in ("none", "")
    assert outline[1] >= 2

    page.goto(f"{live_server.url}/patients/")
    page.keyboard.press("Tab")
    field = page.locator("main input:visible, main select:visible, main textarea:visible").first
    field.focus()
    style = field.evaluate(
        "element => [getComputedStyle(element).outlineStyle, "
        "parseFloat(getComputedStyle(element).outlineWidth)]"
    )
    assert style[0] != "none"
    assert style[1] >= 2


@pytest.mark.browser
def test_tablet_and_laptop_show_the_whole_menu_with_no_button_and_reach_it_by_keyboard(
    browser_page, live_server, busy_patient
):
    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)
    for width in (768, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/work/")
        assert not page.locator(".menu-toggle").is_visible(), width
        menu = page.get_by_role("navigation", name="Main")
        assert menu.get_by_role("link", name="Measures", exact=True).is_visible(), width
        # Skip link, brand, then the first menu entry.
        for _ in range(3):
            page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent.trim()") == "Patients", width
