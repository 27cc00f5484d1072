"""What an ADT discharge reads about its patient comes with the match, not on its own.

The complexity flag, the organisation's transition settings and its closure
days are read in the statement that matches and locks the patient; the
follow-up is planned from them exactly as from separate reads.
"""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import OrganisationClosure
from apps.interop.services import adt_receive
from apps.patients.models import PatientComplexity
from apps.transitions.models import Complexity, FollowUp
from apps.transitions.selectors import transition_settings_for
from tests.interop.messages import adt

pytestmark = pytest.mark.django_db(transaction=True)

OWN_READS = ("patients_patientcomplexity", "transitions_transitionsettings", "organisationclosure")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.get_current_timezone())  # type: ignore[misc]


def _reads_of_their_own(captured: CaptureQueriesContext) -> list[str]:
    """Statements reading those rows other than the match (which reads the identifiers)."""
    return [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith("SELECT")
        and any(table in query["sql"] for table in OWN_READS)
        and "patients_patientidentifier" not in query["sql"]
    ]


@pytest.fixture
def rules(organisation, known_patient):
    """Rules that differ from every default, so the follow-up shows which were read."""
    config = transition_settings_for(organisation)
    config.visit_days_moderate = 10
    config.due_time = time(9, 0)
    config.save()
    OrganisationClosure.objects.create(
        organisation=organisation, date=date(2025, 3, 12), name="Staff training"
    )
    PatientComplexity.objects.create(
        patient=known_patient,
        organisation=organisation,
        is_complex=False,
        as_of=date(2025, 3, 1),
        computed_at=local(2025, 3, 1, 2, 0),
    )


def test_an_adt_discharge_plans_from_the_flag_settings_and_closures_read_with_the_match(
    interface, rules, nurse
):
    discharged = local(2025, 3, 11, 14, 0)  # a Tuesday; the Wednesday is a closure day
    with time_machine.travel(discharged + timedelta(minutes=5), tick=False):
        admitted = adt("A01", control_id="R1", admitted_at=discharged - timedelta(days=2))
        assert adt_receive(actor=interface, raw=admitted).ack_code == "AA"
        raw = adt("A03", control_id="R2", discharged_at=discharged, disposition="01")
        with CaptureQueriesContext(connection) as captured:
            result = adt_receive(actor=interface, raw=raw)
    assert result.ack_code == "AA", result.ack
    assert _reads_of_their_own(captured) == []
    follow_up = FollowUp.objects.get()
    assert follow_up.complexity == Complexity.MODERATE  # the patient's flag
    assert follow_up.contact_due_at == local(2025, 3, 14, 9, 0)  # closure skipped, 9:00
    assert follow_up.visit_due_at == local(2025, 3, 21, 9, 0)  # 10 days, as configured


def test_an_adt_discharge_without_settings_yet_still_makes_them_with_the_defaults(
    interface, known_patient, nurse
):
    """No settings row to load with the match: the discharge makes it, as elsewhere."""
    discharged = timezone.now() - timedelta(hours=2)
    admitted = adt("A01", control_id="S1", admitted_at=discharged - timedelta(days=2))
    assert adt_receive(actor=interface, raw=admitted).ack_code == "AA"
    raw = adt("A03", control_id="S2", discharged_at=discharged, disposition="01")
    assert adt_receive(actor=interface, raw=raw).ack_code == "AA"
    follow_up = FollowUp.objects.get()
    assert follow_up.complexity == Complexity.HIGH  # never computed: the default
    assert timezone.localtime(follow_up.visit_due_at).date() == (
        timezone.localtime(discharged).date() + timedelta(days=7)
    )
