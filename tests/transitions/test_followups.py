"""Due times of the post-discharge follow-up across weekends, holidays and closures."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from apps.accounts.models import OrganisationClosure
from apps.patients.models import PatientComplexity
from apps.transitions.models import Complexity, Episode, FollowUp
from apps.transitions.selectors import transition_settings_for
from tests.transitions.factories import admit, discharge, discharged_home

NEW_YORK = ZoneInfo("America/New_York")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)  # type: ignore[misc]


def due(day: date) -> datetime:
    return datetime.combine(day, time(17, 0), tzinfo=NEW_YORK)


def discharge_at(patient, moment: datetime) -> FollowUp:
    with time_machine.travel(moment + timedelta(minutes=5), tick=False):
        admit(patient, at=moment - timedelta(days=2))
        handoff = discharge(patient, at=moment)
    return FollowUp.objects.get(handoff=handoff)


@pytest.mark.parametrize(
    ("discharged", "contact_day"),
    [
        # Tuesday: Wednesday, Thursday.
        (local(2025, 3, 11, 14, 0), date(2025, 3, 13)),
        # Friday: the weekend does not count: Monday, Tuesday.
        (local(2025, 11, 21, 16, 30), date(2025, 11, 25)),
        # Late Friday evening is still Friday locally (Saturday in UTC).
        (local(2025, 11, 21, 23, 30), date(2025, 11, 25)),
        # Saturday: Monday, Tuesday.
        (local(2025, 3, 15, 10, 0), date(2025, 3, 18)),
        # Thursday before Independence Day (Friday 4 July 2025): Monday, Tuesday.
        (local(2025, 7, 3, 11, 0), date(2025, 7, 8)),
        # Wednesday before Thanksgiving (27 Nov 2025): Friday, Monday.
        (local(2025, 11, 26, 9, 0), date(2025, 12, 1)),
        # Christmas Eve 2025 (Wednesday): Friday 26th, Monday 29th.
        (local(2025, 12, 24, 12, 0), date(2025, 12, 29)),
    ],
)
def test_contact_is_due_on_the_second_business_day_after_discharge(
    patient, nurse, discharged, contact_day
):
    follow_up = discharge_at(patient, discharged)
    assert follow_up.contact_due_at == due(contact_day)


def test_an_organisation_closure_day_is_skipped_like_a_holiday(organisation, patient, nurse):
    OrganisationClosure.objects.create(
        organisation=organisation, date=date(2025, 12, 1), name="Staff training"
    )
    follow_up = discharge_at(patient, local(2025, 11, 26, 9, 0))
    assert follow_up.contact_due_at == due(date(2025, 12, 2))


@pytest.mark.parametrize(
    ("observed", "contact_day"),
    [
        # Federal only: Thursday 12 Feb 2026 (Lincoln's Birthday in Illinois) is a
        # working day: Thursday, Friday.
        (False, date(2026, 2, 13)),
        # Illinois' holidays turned on: Friday, then Presidents' Day (Monday 16th,
        # federal) is skipped too: Tuesday.
        (True, date(2026, 2, 17)),
    ],
)
def test_state_holidays_count_only_when_the_organisation_turns_them_on(
    organisation, patient, nurse, observed, contact_day
):
    organisation.subdivision = "IL"
    organisation.observe_subdivision_holidays = observed
    organisation.save(update_fields=["subdivision", "observe_subdivision_holidays"])
    follow_up = discharge_at(patient, local(2026, 2, 11, 9, 0))
    assert follow_up.contact_due_at == due(contact_day)


def test_visit_is_due_7_calendar_days_after_discharge_for_high_complexity(patient, nurse):
    follow_up = discharge_at(patient, local(2025, 7, 3, 11, 0))
    assert follow_up.complexity == Complexity.HIGH
    assert follow_up.visit_due_at == due(date(2025, 7, 10))


def test_a_patient_computed_as_not_complex_gets_the_14_day_visit(organisation, patient, nurse):
    PatientComplexity.objects.create(
        patient=patient,
        organisation=organisation,
        is_complex=False,
        as_of=date(2025, 7, 1),
        computed_at=local(2025, 7, 1, 2, 30),
    )
    follow_up = discharge_at(patient, local(2025, 7, 3, 11, 0))
    assert follow_up.complexity == Complexity.MODERATE
    assert follow_up.visit_due_at == due(date(2025, 7, 17))


def test_the_episode_complexity_overrides_the_patient_flag(organisation, patient, nurse):
    PatientComplexity.objects.create(
        patient=patient,
        organisation=organisation,
        is_complex=True,
        as_of=date(2025, 7, 1),
        computed_at=local(2025, 7, 1, 2, 30),
    )
    with time_machine.travel(local(2025, 7, 3, 12, 0), tick=False):
        handoff = admit(patient, at=local(2025, 7, 1, 9, 0))
        Episode.objects.filter(pk=handoff.episode_id).update(complexity=Complexity.MODERATE)
        discharged = discharge(patient, at=local(2025, 7, 3, 11, 0))
    assert FollowUp.objects.get(handoff=discharged).complexity == Complexity.MODERATE


def test_organisation_settings_change_the_rules(organisation, patient, nurse):
    config = transition_settings_for(organisation)
    config.contact_business_days = 1
    config.due_time = time(9, 0)
    config.save()
    follow_up = discharge_at(patient, local(2025, 11, 21, 16, 30))
    assert follow_up.contact_due_at == datetime(2025, 11, 24, 9, 0, tzinfo=NEW_YORK)


def test_due_times_are_aware_and_stored_in_utc(patient, nurse):
    follow_up = discharge_at(patient, local(2025, 3, 11, 14, 0))
    assert timezone.is_aware(follow_up.contact_due_at)
    assert follow_up.contact_due_at.astimezone(ZoneInfo("UTC")).hour == 21  # 17:00 EDT


@pytest.mark.parametrize(
    ("local_discharge", "complexity", "days"),
    [
        ((2026, 6, 10, 0, 1), Complexity.HIGH, 7),
        ((2026, 6, 10, 16, 59), Complexity.HIGH, 7),
        ((2026, 6, 10, 17, 30), Complexity.MODERATE, 14),
        ((2026, 6, 10, 23, 59), Complexity.HIGH, 7),
        ((2026, 6, 10, 23, 59), Complexity.MODERATE, 14),
        # Clocks go forward on Sun 8 March 2026 and back on Sun 1 November (New York).
        ((2026, 3, 5, 17, 0), Complexity.HIGH, 7),
        ((2026, 3, 5, 23, 59), Complexity.MODERATE, 14),
        ((2026, 10, 28, 23, 59), Complexity.HIGH, 7),
        ((2026, 10, 28, 16, 0), Complexity.MODERATE, 14),
    ],
)
def test_visit_title_says_7_or_14_days_whatever_the_discharge_hour(
    patient, nurse, organisation, local_discharge, complexity, days
):
    config = transition_settings_for(organisation)
    config.default_complexity = complexity
    config.save(update_fields=["default_complexity"])
    zone = ZoneInfo("America/New_York")
    with timezone.override(zone):
        at = datetime(*local_discharge, tzinfo=zone)
        handoff = discharged_home(patient, at=at)
    follow_up = FollowUp.objects.select_related("visit_task").get(handoff=handoff)
    title = follow_up.visit_task.title
    assert title == f"Post-discharge face-to-face visit within {days} days"
    assert f"within {days} days of discharge" in follow_up.visit_task.description
    assert timezone.localtime(follow_up.visit_due_at, zone).date() == at.date() + timedelta(
        days=days
    )
