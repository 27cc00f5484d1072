"""In real Chromium: a coordinator logs a reached call on the chart and it closes the
patient's post-discharge contact task in the same step."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.tasks.models import Task, TaskStatus
from apps.transitions.models import FollowUp, FollowUpContact
from tests import factories
from tests.browser import login
from tests.transitions.factories import discharged_home


@pytest.mark.browser
def test_nurse_logs_a_reached_call_on_the_chart_and_it_completes_the_follow_up_call(
    browser_page, live_server, nurse, patient
):
    follow_up = FollowUp.objects.get(handoff=discharged_home(patient))
    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")

    open_tasks = page.locator("#patient-tasks")
    expect(open_tasks).to_contain_text(follow_up.contact_task.title)
    section = page.locator("#patient-contacts")
    section.get_by_label("Outcome").select_option("reached")
    section.get_by_label("When").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    section.get_by_label("Note").fill("Feeling better, has the tablets")
    section.locator(f"#complete-task-{follow_up.contact_task_id}").check()
    section.get_by_role("button", name="Log contact").click()

    expect(section.locator("#contact-log-list li")).to_have_count(1)
    entry = section.locator("#contact-log-list li").first.inner_text()
    assert "Phone call" in entry
    assert "Reached" in entry
    assert "Feeling better" in entry
    assert Task.objects.get(pk=follow_up.contact_task_id).status == TaskStatus.DONE
    # The chart's open tasks follow in the same step.
    expect(open_tasks).not_to_contain_text(follow_up.contact_task.title)
    assert FollowUpContact.objects.get(follow_up=follow_up).contact_log_id is not None
