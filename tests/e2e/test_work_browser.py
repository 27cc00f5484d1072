"""In real Chromium: a coordinator edits, snoozes, repeats and finds tasks on My work."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from apps.tasks.models import Task, TaskStatus
from tests import factories
from tests.browser import login
from tests.tasks.factories import make_task


@pytest.fixture
def rosa(team, org_admin):
    return factories.make_patient(
        team, actor=org_admin, given_name="Rosa", family_name="Garcia", mrn="MRN7101"
    )


@pytest.mark.browser
def test_nurse_edits_a_task_and_reads_the_change_in_its_history(
    browser_page, live_server, nurse, rosa
):
    task = make_task(rosa, nurse, title="Call Rosa")
    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)
    page.goto(f"{live_server.url}/work/tasks/{task.pk}/")

    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Title").fill("Call Rosa about the glucose log")
    page.get_by_label("Priority").select_option("urgent")
    page.get_by_role("button", name="Save changes").click()

    page.wait_for_selector("h1:has-text('Call Rosa about the glucose log')")
    history = page.locator("section.history").inner_text()
    assert "Title: Call Rosa → Call Rosa about the glucose log" in history
    assert "Priority: Routine → Urgent" in history


@pytest.mark.browser
def test_my_work_search_and_sort_narrow_the_list_as_the_nurse_types(
    browser_page, live_server, nurse, rosa
):
    make_task(rosa, nurse, title="Call about insulin", due_in=timedelta(days=1))
    make_task(
        rosa, nurse, title="Bring the housing form", due_in=timedelta(days=2), priority="stat"
    )
    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)
    page.goto(f"{live_server.url}/work/")
    rows = page.locator("#my-work-results table.tasks tbody tr")
    assert rows.count() == 2

    page.get_by_label("Search").fill("housing")
    expect(rows).to_have_count(1)
    assert "Bring the housing form" in rows.first.inner_text()
    assert "q=housing" in page.url

    page.get_by_label("Search").fill("")
    page.get_by_label("Sort by").select_option("priority")
    page.wait_for_url("**sort=priority**")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Bring the housing form")


@pytest.mark.browser
def test_snoozing_hides_a_task_from_my_work_until_its_date_and_an_overdue_one_stays(
    browser_page, live_server, nurse, rosa
):
    later = make_task(rosa, nurse, title="Book the eye exam", due_in=timedelta(days=10))
    late = make_task(rosa, nurse, title="Late call", due_in=timedelta(hours=-3))
    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)

    page.goto(f"{live_server.url}/work/tasks/{later.pk}/snooze/")
    until = (later.due_at - timedelta(days=2)).date().isoformat()
    page.get_by_label("Snooze until").fill(until)
    page.get_by_label("Why it waits").fill("Clinic opens bookings next week")
    page.get_by_role("button", name="Snooze", exact=True).click()
    page.wait_for_selector("#task-snoozed")

    page.goto(f"{live_server.url}/work/")
    main = page.locator("#my-work-results")
    assert "Book the eye exam" not in main.inner_text()
    assert "Late call" in main.inner_text()
    page.locator("#show-snoozed").click()
    page.wait_for_selector("#my-work-results :text('Book the eye exam')")

    page.goto(f"{live_server.url}/work/tasks/{late.pk}/snooze/")
    page.get_by_label("Snooze until").fill(until)
    page.get_by_label("Why it waits").fill("Busy")
    page.get_by_role("button", name="Snooze", exact=True).click()
    assert page.get_by_text("This task is already overdue.").is_visible()
    late.refresh_from_db()
    assert late.snoozed_until is None


@pytest.mark.browser
def test_a_weekly_task_created_on_the_page_comes_back_a_week_later_when_completed(
    browser_page, live_server, nurse, rosa
):
    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)
    page.goto(f"{live_server.url}/work/patients/{rosa.pk}/new/")
    page.get_by_label("Title").fill("Weekly call: glucose log")
    page.get_by_label("Type").select_option("phone_call")
    page.get_by_label("Repeat every (days)").fill("7")
    page.get_by_role("button", name="Create task").click()
    page.wait_for_selector("#task-repeats:has-text('weekly')")
    first = Task.objects.get(title="Weekly call: glucose log")

    page.get_by_role("button", name="Complete").click()
    page.wait_for_selector("#task-status:has-text('Done')")

    following = Task.objects.exclude(pk=first.pk).get(title="Weekly call: glucose log")
    assert following.status == TaskStatus.REQUESTED
    assert following.due_at == first.due_at + timedelta(days=7)
    page.goto(f"{live_server.url}/work/")
    assert page.locator("#my-work-results").get_by_text("Weekly call: glucose log").count() == 1


@pytest.mark.browser
def test_edit_snooze_and_filtered_my_work_pages_fit_a_phone_without_sideways_scrolling(
    browser_page, live_server, nurse, rosa
):
    from tests.core.test_screen_sizes_browser import _overflowing

    task = make_task(rosa, nurse, title="Call the pharmacy about the long-acting insulin pen")
    login(browser_page, live_server, "nurse", factories.PASSWORD)
    pages = [
        ("edit", f"/work/tasks/{task.pk}/edit/"),
        ("snooze", f"/work/tasks/{task.pk}/snooze/"),
        ("my work filtered", "/work/?q=call&sort=priority&snoozed=on"),
        ("team worklist filtered", "/work/team/?q=call&sort=patient"),
    ]
    overflowing = _overflowing(browser_page, live_server, pages, (390, 768))
    assert overflowing == [], "\n".join(overflowing)
