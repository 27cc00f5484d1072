"""In real Chromium: the chart's record loads, and ticking a kind filters the timeline in place."""

import pytest

from apps.patients.models import Encounter, Medication
from tests import factories
from tests.browser import login
from tests.transitions.factories import discharged_home


@pytest.mark.browser
@pytest.mark.timeout(120)
def test_the_chart_shows_the_record_and_filters_the_timeline_by_kind(
    browser_page, live_server, patient, nurse
):
    Medication.objects.create(
        patient=patient, display="metformin 500 MG", source_system="General EHR"
    )
    Encounter.objects.create(patient=patient, kind="ed", admit_date="2025-01-05")
    discharged_home(patient, schedule=False)
    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)

    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.locator("#record-section #medications:has-text('metformin 500 MG')").wait_for()
    assert page.locator("#record-section .timeline-transition").count() >= 1

    page.locator("#timeline input[value=encounter]").check()
    page.locator("#timeline .timeline-transition").first.wait_for(state="detached")

    assert page.locator("#timeline .timeline-encounter").count() == 1
    assert page.locator("#timeline input[value=encounter]").is_checked()
