"""Time and consent on the chart in real Chromium, through the htmx section."""

import pytest

from apps.measures.models import CcmConsent, TimeEntry
from tests import factories
from tests.browser import login


@pytest.mark.browser
def test_a_coordinator_records_consent_and_runs_a_timer_that_survives_a_reload(
    browser_page, live_server, team, nurse, org_admin
):
    patient = factories.make_patient(
        team, actor=org_admin, given_name="Rosa", family_name="Garcia", mrn="MRN7201"
    )
    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    section = page.locator("#time-section")
    section.locator("#consent-status:has-text('No CCM consent in effect.')").wait_for()

    section.locator("summary:has-text('Record consent')").click()
    section.locator("#id_method").select_option("written")
    section.locator("#id_given_by").fill("patient")
    section.locator("button:has-text('Record consent')").click()
    section.locator("#consent-status:has-text('In effect: written')").wait_for()
    assert CcmConsent.objects.filter(patient=patient, revoked_on__isnull=True).exists()

    section.locator("#id_timer-activity").select_option("medications")
    section.locator("button:has-text('Start timer')").click()
    section.locator("#timer:has-text('Your timer is running since')").wait_for()

    page.reload()
    section = page.locator("#time-section")
    section.locator("#timer:has-text('Your timer is running since')").wait_for()
    section.locator("button:has-text('Discard')").click()
    section.locator("button:has-text('Start timer')").wait_for()
    assert not TimeEntry.objects.exists()

    section.locator("summary:has-text('Log time by hand')").click()
    started = section.locator("#id_started_at").input_value()
    section.locator("#id_started_at").fill("2099-01-01T09:00")
    section.locator("#id_minutes").fill("25")
    section.locator("button:has-text('Log time')").click()
    page.wait_for_selector(".refusal-alert[role=alert]:has-text('already started')")
    assert not TimeEntry.objects.exists()
    section.locator("#id_started_at").fill(started)
    section.locator("button:has-text('Log time')").click()
    section.locator("#time-totals:has-text('25 minutes of clinical staff time')").wait_for()
    assert TimeEntry.objects.get().minutes == 25


@pytest.mark.browser
def test_a_programme_lead_opens_last_nights_figures_and_computes_them_now(
    browser_page, live_server, team, nurse, org_admin
):
    from datetime import timedelta

    from django.utils import timezone

    from apps.measures.snapshots import snapshot_organisation
    from apps.patients.models import Encounter, EncounterKind

    patient = factories.make_patient(team, actor=org_admin, mrn="MRN7301")
    yesterday = timezone.localdate() - timedelta(days=1)
    Encounter.objects.create(patient=patient, kind=EncounterKind.ED, admit_date=yesterday)
    snapshot_organisation(organisation_id=team.organisation_id, now=timezone.now())
    Encounter.objects.create(patient=patient, kind=EncounterKind.ED, admit_date=yesterday)
    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)
    page.goto(f"{live_server.url}/measures/")
    row = page.locator("#measure-ed-visits-per-1000-patient-months")
    page.locator("#stored-note:has-text('stored by the nightly job')").wait_for()
    assert row.locator("td").nth(2).inner_text() == "1"

    page.locator("#compute-now").click()
    page.wait_for_url("**live=1**")
    assert page.locator("#stored-note").count() == 0
    assert page.locator("#measure-ed-visits-per-1000-patient-months td").nth(2).inner_text() == "2"
