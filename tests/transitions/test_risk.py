from datetime import timedelta

import pytest
from django.utils import timezone

from apps.transitions.models import ChecklistItem, ChecklistItemCode, Episode, FollowUp
from apps.transitions.process import LATE, MET, MISSED, NOT_APPLICABLE, PENDING, process_measures
from apps.transitions.risk import chain_risk, handoff_failure
from apps.transitions.selectors import episode_view, transition_settings_for
from apps.transitions.services import transition_discharge_cancel
from tests.transitions.factories import JOB, admit, discharge, discharged_home, record_contact


def test_handoff_failure_combines_the_base_and_the_missing_items():
    assert handoff_failure(0.02, []) == pytest.approx(0.02)
    assert handoff_failure(0.02, [0.1, 0.2]) == pytest.approx(1 - 0.98 * 0.9 * 0.8)


def test_clean_journey_is_the_product_over_the_discharges(organisation, patient, nurse):
    admit(patient, at=timezone.now() - timedelta(days=10))
    first = discharge(patient, at=timezone.now() - timedelta(days=8), disposition="03")
    admit(patient, at=timezone.now() - timedelta(days=8), visit_number="SNF")
    second = discharge(patient, visit_number="SNF")
    ChecklistItem.objects.filter(handoff=first).update(done_at=timezone.now())
    config = transition_settings_for(organisation)
    episode = Episode.objects.prefetch_related("handoffs__checklist").get(pk=first.episode_id)
    risk = chain_risk(episode.handoffs.all(), config)
    all_weights = [
        0.12,
        0.15,
        0.06,
        0.10,
        0.08,
        0.04,
    ]  # every step of the second discharge open
    expected_second = handoff_failure(0.02, all_weights)
    assert [round(row.failure, 6) for row in risk.handoffs] == [
        pytest.approx(0.02),
        pytest.approx(expected_second),
    ]
    assert risk.clean == pytest.approx(0.98 * (1 - expected_second))
    assert risk.costliest.handoff.pk == second.pk
    assert risk.costliest.code == ChecklistItemCode.RECONCILIATION_DONE
    assert risk.costliest.gain == pytest.approx(risk.clean / 0.85 - risk.clean)


def test_cancelled_discharges_do_not_count(organisation, patient, nurse):
    discharged_home(patient)
    transition_discharge_cancel(actor=JOB, patient=patient, visit_number="V1", reason="A13")
    episode = Episode.objects.prefetch_related("handoffs__checklist").get()
    risk = chain_risk(episode.handoffs.all(), transition_settings_for(organisation))
    assert (risk.handoffs, risk.clean, risk.costliest) == ([], 1.0, None)


def test_process_measures_follow_the_tasks_and_the_checklist(patient, nurse):
    handoff = discharged_home(patient)
    follow_up = FollowUp.objects.get(handoff=handoff)
    measures = process_measures(follow_up, handoff)
    assert (measures.contact, measures.visit) == (PENDING, PENDING)
    ChecklistItem.objects.filter(handoff=handoff, code=ChecklistItemCode.SUMMARY_RECEIVED).update(
        done_at=timezone.now()
    )
    record_contact(nurse, follow_up)
    record_contact(nurse, follow_up, kind="visit")
    follow_up.refresh_from_db()
    measures = process_measures(follow_up, handoff)
    assert (measures.contact, measures.visit) == (MET, MET)
    assert measures.summary_before_visit == MET
    assert measures.reconciliation_by_visit == MISSED  # never reconciled before the visit
    late = process_measures(follow_up, handoff, now=timezone.now())
    assert late.contact == MET
    follow_up.contact_due_at = timezone.now() - timedelta(days=1)
    assert process_measures(follow_up, handoff).contact == LATE


def test_no_follow_up_means_not_applicable(patient, nurse, organisation):
    admit(patient)
    handoff = discharge(patient, disposition="03")
    view = episode_view(
        Episode.objects.prefetch_related("handoffs__checklist").get(pk=handoff.episode_id),
        config=transition_settings_for(organisation),
    )
    assert view.discharges[0].measures.contact == NOT_APPLICABLE
