"""In real Chromium: a refused reconciliation says why, right where the nurse clicked."""

import pytest

from apps.transitions.models import MedicationReconciliation, ReconciliationStatus
from apps.transitions.services import medication_line_add, reconciliation_start
from tests import factories
from tests.browser import login
from tests.transitions.factories import discharged_home


@pytest.mark.browser
def test_reconciliation_done_with_unexplained_change_shows_the_refusal_where_clicked(
    browser_page, live_server, patient, nurse
):
    handoff = discharged_home(patient)
    reconciliation = reconciliation_start(actor=nurse, handoff=handoff)
    medication_line_add(
        actor=nurse,
        reconciliation=reconciliation,
        name="Metoprolol",
        on_pre_admission=True,
        pre_dose="50 mg",
        on_discharge=True,
        discharge_dose="25 mg",
    )
    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)
    page.goto(f"{live_server.url}/transitions/episodes/{handoff.episode_id}/")

    done = page.locator("button:has-text('Reconciliation done')")
    done.click()

    # The alert sits right after the form whose button was clicked, and names the problem.
    alert = page.locator(f"#reconciliation-{handoff.pk} form + .refusal-alert[role=alert]")
    alert.wait_for()
    assert "Metoprolol: dose changed without a reason" in alert.inner_text()
    form_of_button = done.locator("xpath=ancestor::form[1]")
    assert form_of_button.evaluate(
        "form => form.nextElementSibling.classList.contains('refusal-alert')"
    )
    assert alert.get_attribute("aria-live") == "assertive"
    assert page.locator(".reconciliation-status").first.inner_text() == "In progress"
    assert MedicationReconciliation.objects.get().status == ReconciliationStatus.IN_PROGRESS

    # Explaining the change and trying again goes through; the old alert goes away.
    page.fill("input[aria-label='Reason for Metoprolol']", "Lower dose: bradycardia")
    page.click("button:has-text('Resolve')")
    page.wait_for_selector(".reconciliation-status:has-text('In progress')")
    page.click("button:has-text('Reconciliation done')")
    page.wait_for_selector(".reconciliation-status:has-text('Awaiting')")
    assert page.locator(".refusal-alert").count() == 0
