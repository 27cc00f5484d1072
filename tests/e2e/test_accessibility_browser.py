"""In real Chromium, axe-core checks the main pages each role uses: no serious or critical
accessibility violation anywhere (form controls named, contrast, landmarks, ...).

axe-core is vendored under tests/e2e/vendor for these tests only; the app never serves it.
"""

from pathlib import Path

import pytest

from tests import factories
from tests.browser import login
from tests.core.test_screen_sizes_browser import busy_patient, detail_pages, main_pages

__all__ = ["busy_patient"]  # the fixture, shared with the screen-size tests

AXE = Path(__file__).parent / "vendor" / "axe.min.js"

RUN_AXE = """
async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations
    .filter(violation => ["serious", "critical"].includes(violation.impact))
    .map(violation => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.slice(0, 5).map(node => node.target.join(" ")),
    }));
}
"""


def _violations(page, live_server, pages) -> list[str]:
    # An init script runs in every new document through the browser's debugging channel,
    # so the app's Content-Security-Policy (script-src 'self') needs no loosening for it.
    page.add_init_script(path=str(AXE))
    found = []
    for name, path in pages:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None
        assert response.status == 200, (name, response.status)
        page.wait_for_load_state("networkidle")
        # Forms folded inside <details> (add a condition, run a screen) are checked too.
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        for violation in page.evaluate(RUN_AXE):
            found.append(
                f"{name} ({path}): {violation['impact']} {violation['id']}: "
                f"{violation['help']} at {violation['targets']}"
            )
    return found


def role_pages(patient) -> dict[str, list[tuple[str, str]]]:
    chart = [
        ("chart", f"/patients/{patient.pk}/"),
        ("clinical details and screens", f"/patients/{patient.pk}/clinical/"),
        ("care plan", f"/careplans/patients/{patient.pk}/"),
    ]
    return {
        "pcp": [("landing", "/"), *chart, ("plan reviews", "/careplans/review/")],
        "pharmacist": [("landing", "/"), *chart, ("transitions board", "/transitions/")],
        "chw": [("landing", "/"), ("My work", "/work/"), *chart],
        "socialworker": [("landing", "/"), ("My work", "/work/"), ("referrals", "/referrals/")],
    }


@pytest.mark.browser
def test_sign_in_page_has_no_serious_or_critical_accessibility_violations(
    browser_page, live_server
):
    found = _violations(browser_page, live_server, [("sign in", "/accounts/login/")])
    assert found == [], "\n".join(found)


@pytest.mark.browser
@pytest.mark.timeout(600)
def test_nurse_main_and_detail_pages_have_no_serious_or_critical_accessibility_violations(
    browser_page, live_server, busy_patient
):
    login(browser_page, live_server, "nurse", factories.PASSWORD)
    task = busy_patient.tasks.order_by("pk").first()
    pages = [
        *main_pages(busy_patient),
        *detail_pages(busy_patient),
        ("edit a task", f"/work/tasks/{task.pk}/edit/"),
        ("snooze a task", f"/work/tasks/{task.pk}/snooze/"),
        ("My work, searched and showing snoozed", "/work/?q=call&sort=priority&snoozed=on"),
        ("notification preferences", "/work/notifications/preferences/"),
    ]
    found = _violations(browser_page, live_server, pages)
    assert found == [], "\n".join(found)


@pytest.mark.browser
@pytest.mark.timeout(600)
def test_every_role_lands_on_pages_with_no_serious_or_critical_accessibility_violations(
    browser_page, live_server, busy_patient, pcp, pharmacist, chw, social_worker
):
    found = []
    for role, pages in role_pages(busy_patient).items():
        browser_page.context.clear_cookies()
        login(browser_page, live_server, role, factories.PASSWORD)
        found += [f"{role}: {line}" for line in _violations(browser_page, live_server, pages)]
    assert found == [], "\n".join(found)


@pytest.mark.browser
def test_each_hrsn_screen_question_names_its_radio_group_so_a_screen_reader_reads_it(
    browser_page, live_server, busy_patient
):
    from apps.patients.hrsn import QUESTIONS

    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)
    page.goto(f"{live_server.url}/patients/{busy_patient.pk}/clinical/")
    page.get_by_text("Run an HRSN screen").click()
    form = page.locator("form.screen-form")
    for question in QUESTIONS:
        group = form.get_by_role("group", name=question.text, exact=True)
        assert group.count() == 1, question.text
        choices = group.get_by_role("radio").count() + group.get_by_role("checkbox").count()
        assert choices >= 2, question.text


@pytest.mark.browser
def test_the_axe_check_really_runs_and_catches_a_form_control_without_a_name(
    browser_page, live_server
):
    page = browser_page
    page.add_init_script(path=str(AXE))
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate(
        """() => {
          const box = document.createElement("input");
          box.type = "text";
          document.querySelector("main").appendChild(box);
        }"""
    )
    found = {violation["id"] for violation in page.evaluate(RUN_AXE)}
    assert "label" in found
