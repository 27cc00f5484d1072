"""My work in real Chromium: complete and reassign inline, with no page reload."""

from datetime import timedelta

import pytest

from apps.tasks.models import Task, TaskStatus
from tests import factories
from tests.browser import login
from tests.tasks.factories import make_task


@pytest.mark.browser
def test_nurse_completes_and_reassigns_inline_on_my_work(
    browser_page, live_server, nurse, chw, patient
):
    late = make_task(
        patient, nurse, title="Call about missed appointment", due_in=timedelta(hours=-3)
    )
    later = make_task(patient, nurse, title="Arrange a home visit", due_in=timedelta(days=2))
    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)
    page.goto(f"{live_server.url}/work/")
    assert page.inner_text("#count-overdue") == "1"
    assert "Call about missed appointment" in page.content()
    assert "Arrange a home visit" in page.content()
    page.evaluate("window.stillTheSamePage = true")

    page.click(f"#task-{late.pk} button:has-text('Complete')")
    page.wait_for_selector(f"#task-{late.pk} .task-status:has-text('Done')")
    page.wait_for_selector("#count-overdue:has-text('0')")

    page.click(f"#task-{later.pk} a:has-text('Reassign')")
    page.wait_for_selector(f"#task-{later.pk} select[name=owner]")
    page.select_option(f"#task-{later.pk} select[name=owner]", str(chw.pk))
    page.fill(f"#task-{later.pk} input[name=reason]", "CHW is visiting that street")
    page.click(f"#task-{later.pk} button:has-text('Reassign')")
    page.wait_for_selector(f"#task-{later.pk} .notice:has-text('Handed to')")

    assert page.evaluate("window.stillTheSamePage") is True
    assert Task.objects.get(pk=late.pk).status == TaskStatus.DONE
    assert Task.objects.get(pk=later.pk).owner == chw
