"""In real Chromium: on the chart, no card covers a task's action buttons at desktop widths."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.tasks.models import Task, TaskStatus
from tests import factories
from tests.browser import login
from tests.tasks.factories import make_task

WIDTHS = (1366, 1600, 1920)

# The element at the control's centre, when it is neither the control nor inside it.
COVERING = """
control => {
  const box = control.getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + box.height / 2;
  const hit = document.elementFromPoint(x, y);
  if (hit === control || control.contains(hit)) return null;
  if (!hit) return `nothing at ${x},${y}`;
  const card = hit.closest("section, .card");
  const where = card ? card.id || card.className : "page";
  return `${hit.tagName.toLowerCase()}.${hit.className} in ${where}`;
}
"""


def _covered_controls(page) -> list[str]:
    problems = []
    controls = page.locator("#patient-tasks .task-actions button, #patient-tasks .task-actions a")
    for index in range(controls.count()):
        control = controls.nth(index)
        control.scroll_into_view_if_needed()
        covering = control.evaluate(COVERING)
        if covering:
            problems.append(f"{control.inner_text()!r} covered by {covering}")
    return problems


@pytest.mark.browser
@pytest.mark.timeout(180)
def test_chart_task_actions_are_clickable_at_common_desktop_widths(
    browser_page, live_server, patient, nurse, chw
):
    tasks = [
        make_task(
            patient,
            nurse,
            actor=nurse,
            title=f"Call the pharmacy about the refill, attempt {number}",
            due_at=timezone.now() + timedelta(days=number),
        )
        for number in range(1, 1 + 3 * len(WIDTHS))
    ]
    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)
    for index, width in enumerate(WIDTHS):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/patients/{patient.pk}/")
        page.locator("#patient-tasks table").wait_for()
        # Every lazily loaded card in place, so the layout is the one the user clicks on.
        page.wait_for_load_state("networkidle")
        assert _covered_controls(page) == [], width

        start, complete, hand_over = tasks[3 * index : 3 * index + 3]
        # Playwright's click itself refuses a control another element would receive.
        row = page.locator(f"#task-{start.pk}")
        row.locator("button:has-text('Start')").click()
        page.locator(f"#task-{start.pk} .task-status:has-text('In progress')").wait_for()

        row = page.locator(f"#task-{complete.pk}")
        row.locator("button:has-text('Complete')").click()
        page.locator(f"#task-{complete.pk} .task-status:has-text('Done')").wait_for()

        page.locator(f"#task-{hand_over.pk} a:has-text('Reassign')").click()
        form = page.locator(f"#task-{hand_over.pk} form")
        form.wait_for()
        form.locator("select[name=owner]").select_option(str(chw.pk))
        form.locator("input[name=reason], textarea[name=reason]").fill("Closer to the patient")
        form.locator("button:has-text('Reassign')").click()
        page.locator(f"#task-{hand_over.pk}:has-text('Handed to')").wait_for()
        assert _covered_controls(page) == [], width

    statuses = dict(Task.objects.filter(pk__in=[t.pk for t in tasks]).values_list("pk", "status"))
    for index in range(len(WIDTHS)):
        start, complete, hand_over = tasks[3 * index : 3 * index + 3]
        assert statuses[start.pk] == TaskStatus.IN_PROGRESS
        assert statuses[complete.pk] == TaskStatus.DONE
        assert Task.objects.get(pk=hand_over.pk).owner == chw
