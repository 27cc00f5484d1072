"""End to end in real Chromium: a nurse plans, the owner sees the task, the PCP signs."""

import pytest

from apps.accounts.models import Role
from apps.careplans.models import CarePlan, CarePlanStatus, Goal
from apps.tasks.models import Task
from tests import factories
from tests.browser import login
from tests.careplans.factories import in_days


def session_for(first_page, live_server, username: str):  # type: ignore[no-untyped-def]
    """A separate browser session (its own cookies and page), signed in as `username`.

    A fresh context per person keeps requests still running on the previous
    person's page (htmx polls, lazy sections) out of the next sign-in.
    """
    context = first_page.context.browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    login(page, live_server, username, factories.PASSWORD)
    return page


@pytest.mark.browser
def test_nurse_plans_goal_and_intervention_owner_sees_task_pcp_reviews_and_signs(
    browser_page, live_server, team, nurse, pcp, org_admin
):
    chw = factories.make_member(team, Role.CHW, username="chw")
    patient = factories.make_patient(
        team, actor=org_admin, given_name="Rosa", family_name="Garcia", mrn="MRN7101"
    )
    page = browser_page
    plan_url = f"{live_server.url}/careplans/patients/{patient.pk}/"

    # The nurse starts the plan from the chart and adds a goal and an intervention inline.
    login(page, live_server, "nurse", factories.PASSWORD)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.click("section[aria-labelledby=care-plan] a:has-text('Care plan')")
    page.wait_for_url(plan_url)
    page.click("button:has-text('Start a care plan')")
    page.wait_for_selector("#plan-status-badge:has-text('Draft')")
    page.click("details.add-goal summary")
    page.select_option("#id_goal-domain", "medical")
    page.fill("#id_goal-description", "Breathe easier when I walk to church")
    page.fill("#id_goal-target", "Walk 400 m without stopping")
    page.fill("#id_goal-target_date", in_days(60).isoformat())
    page.select_option("#id_goal-owner", str(nurse.pk))
    page.click("#add-goal-form button[type=submit]")
    page.wait_for_selector(".goal-description:has-text('Breathe easier when I walk to church')")
    goal = Goal.objects.get(description="Breathe easier when I walk to church")
    goal_box = page.locator(f"#goal-{goal.pk}")
    goal_box.locator("a:has-text('Add an intervention')").click()
    prefix = f"#id_new-intervention-{goal.pk}"
    page.wait_for_selector(f"{prefix}-description")
    page.fill(f"{prefix}-description", "Check inhaler technique at home")
    page.select_option(f"{prefix}-owner", str(chw.pk))
    page.fill(f"{prefix}-due_date", in_days(3).isoformat())
    goal_box.locator("button:has-text('Add intervention')").click()
    page.wait_for_selector(".intervention-description:has-text('Check inhaler technique at home')")
    assert chw.display_name in page.locator(".intervention-owner").inner_text()
    # Inline: the page was never reloaded, htmx swapped the plan body.
    assert page.url == plan_url
    task = Task.objects.get(title="Check inhaler technique at home")
    assert task.owner == chw

    # The owner finds the task on "My work".
    page = session_for(browser_page, live_server, "chw")
    page.goto(f"{live_server.url}/work/")
    page.wait_for_selector("text=Check inhaler technique at home")

    # The PCP sees what changed since the last signature (never signed: all new) and signs.
    page.context.close()
    page = session_for(browser_page, live_server, "pcp")
    page.goto(f"{plan_url}review/")
    changes = page.locator(".diff").inner_text()
    assert "Breathe easier when I walk to church" in changes
    assert "Check inhaler technique at home" in changes
    assert "Walk 400 m without stopping" in changes
    page.click("#sign-button")
    page.wait_for_selector("text=You signed version")
    plan = CarePlan.objects.get(patient=patient)
    assert plan.status == CarePlanStatus.ACTIVE
    assert plan.versions.get(number=plan.version_count).signed_by == pcp
    page.goto(f"{plan_url}review/")
    page.wait_for_selector("#no-changes")
    page.context.close()
