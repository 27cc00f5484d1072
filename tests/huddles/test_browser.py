"""A huddle end to end in real Chromium: schedule, open, attendance, decide, task, close."""

from datetime import timedelta

import pytest

from apps.huddles.models import Huddle, HuddleStatus
from apps.tasks.models import Task, TaskSource
from tests import factories
from tests.browser import login
from tests.huddles.factories import make_task


@pytest.mark.browser
def test_run_a_huddle_end_to_end_and_the_task_lands_on_its_owners_work_list(
    browser_page, live_server, team, nurse, pcp, org_admin
):
    patient = factories.make_patient(
        team, actor=org_admin, given_name="Rosa", family_name="Garcia", mrn="MRN8001"
    )
    make_task(patient, pcp, due_in=-timedelta(days=3), title="Review the potassium result")
    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)

    # Schedule a one-off huddle from the form.
    page.goto(f"{live_server.url}/huddles/")
    page.click("text=Schedule a huddle")
    page.fill("#id_one-scheduled_start", "2030-01-08T09:00")
    page.fill("#id_one-duration_minutes", "20")
    page.locator("form:has(#id_one-scheduled_start) button[type=submit]").click()
    page.wait_for_selector("#open-huddle")
    huddle = Huddle.objects.get(team=team)
    assert huddle.duration_minutes == 20

    # Open it: the agenda builds itself from the overdue task.
    page.click("#open-huddle")
    item = page.locator("article.agenda-item").first
    item.wait_for()
    assert "Garcia, Rosa" in item.inner_text()
    assert "Review the potassium result" in item.inner_text()

    # From here on nothing reloads: a marker on the window survives every action.
    page.evaluate("window.__huddleMarker = 'still here'")

    for username in ("nurse", "pcp"):
        box = page.locator(f"#attendance input[data-user='{username}']")
        with page.expect_response(lambda r: "/attendance/" in r.url):
            box.check()
        page.locator(f"#attendance input[data-user='{username}']:checked").wait_for()

    # One owner, one click on a due date: the task appears on the item.
    item.locator("select[name=owner]").select_option(str(pcp.pk))
    item.locator("input[name=title]").fill("Call the lab about potassium")
    item.locator("button[name=due][value='1bd']").click()
    page.locator(
        "article.agenda-item .item-task:has-text('Call the lab about potassium')"
    ).wait_for()

    # Closing without a decision is refused; with one it closes.
    item = page.locator("article.agenda-item").first
    item.locator("button:has-text('Close as discussed')").click()
    page.locator("article.agenda-item [role=alert]:has-text('Record the decision')").wait_for()
    item = page.locator("article.agenda-item").first
    item.locator("textarea[name=decision]").fill("Lab to repeat the test on Monday")
    item.locator("button:has-text('Close as discussed')").click()
    page.locator("article.agenda-item.status-discussed").wait_for()
    assert page.evaluate("window.__huddleMarker") == "still here"

    # Close the huddle: the minutes show attendance, the decision and the owned task.
    page.click("#close-huddle")
    page.wait_for_url(f"{live_server.url}/huddles/{huddle.pk}/minutes/")
    minutes = page.locator("section.minutes").inner_text()
    assert "Lab to repeat the test on Monday" in minutes
    assert f"owner {pcp.display_name}" in minutes
    assert pcp.display_name in page.locator("#minutes-present").inner_text()
    huddle.refresh_from_db()
    assert huddle.status == HuddleStatus.CLOSED
    task = Task.objects.get(source_type=TaskSource.HUDDLE)
    assert task.owner_id == pcp.pk

    # The owner signs in and finds the task on "My work".
    page.click("button:has-text('Sign out')")
    login(page, live_server, "pcp", factories.PASSWORD)
    page.goto(f"{live_server.url}/work/")
    page.locator("td.task-title:has-text('Call the lab about potassium')").wait_for()
