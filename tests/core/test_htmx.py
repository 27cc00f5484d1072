"""A refused htmx action answers with its message and a status that says why."""

import pytest
from django.urls import reverse

from apps.careplans.models import CarePlan
from apps.core.models import AuditAction, AuditEvent
from apps.referrals.models import Referral, ReferralState
from apps.transitions.models import MedicationReconciliation, ReconciliationStatus
from apps.transitions.services import medication_line_add, reconciliation_start
from tests.referrals.factories import RESULT, make_referral, make_service
from tests.transitions.factories import discharged_home

HTMX = {"HTTP_HX_REQUEST": "true"}


def _unexplained_dose_change(patient, nurse):
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
    return handoff


def test_refused_htmx_action_returns_its_message_with_status(
    client_for, organisation, org_admin, patient, nurse, chw, social_worker
):
    handoff = _unexplained_dose_change(patient, nurse)
    complete = reverse("transitions:reconciliation_complete", args=[handoff.pk])

    # A domain rule refuses: 400, the message and each field message, nothing changed.
    response = client_for(nurse).post(complete, **HTMX)
    body = response.content.decode()
    assert response.status_code == 400
    assert response["X-Refusal"] == "1"
    assert "data-refusal" in body
    assert "Metoprolol: dose changed without a reason" in body
    assert "<html" not in body
    assert MedicationReconciliation.objects.get().status == ReconciliationStatus.IN_PROGRESS

    # A missing right: 403 with the reason, and nothing changed.
    response = client_for(chw).post(complete, **HTMX)
    assert response.status_code == 403
    assert response["X-Refusal"] == "1"
    assert "reconcil" in response.content.decode().lower()
    assert MedicationReconciliation.objects.get().status == ReconciliationStatus.IN_PROGRESS

    # ... each refusal audited exactly once, naming the patient, as the 403 page would be
    # (the reconciliation refusal above names its patient too).
    denials = AuditEvent.objects.filter(actor=chw, action=AuditAction.DENIED, patient_id=patient.pk)
    assert denials.count() == 1
    response = client_for(chw).post(reverse("careplans:plan", args=[patient.pk]), **HTMX)
    assert response.status_code == 403
    assert response["X-Refusal"] == "1"
    assert not CarePlan.objects.exists()
    assert denials.count() == 2

    # The object is not where that move starts: 409 with what is allowed.
    service = make_service(organisation, actor=org_admin)
    referral = make_referral(patient, actor=nurse, service=service, owner=social_worker)
    response = client_for(social_worker).post(
        reverse("referrals:transition", args=[referral.pk]),
        {"to_state": ReferralState.CLOSED, **RESULT},
        **HTMX,
    )
    assert response.status_code == 409
    assert "A referral cannot go from Draft to Closed" in response.content.decode()
    assert Referral.objects.get(pk=referral.pk).state == ReferralState.DRAFT


def test_refused_plain_post_shows_the_message_on_the_page_it_came_from(client_for, patient, nurse):
    handoff = _unexplained_dose_change(patient, nurse)
    episode_url = reverse("transitions:episode", args=[handoff.episode_id])
    client = client_for(nurse)
    response = client.post(
        reverse("transitions:reconciliation_complete", args=[handoff.pk]),
        HTTP_REFERER=f"http://testserver{episode_url}",
        follow=True,
    )
    assert response.redirect_chain[-1][0].endswith(episode_url)
    assert "Metoprolol: dose changed without a reason" in response.content.decode()


@pytest.mark.parametrize("referer", ["", "https://elsewhere.example/phish"])
def test_refused_plain_post_without_a_safe_page_to_return_to_says_why(
    client_for, patient, nurse, referer
):
    handoff = _unexplained_dose_change(patient, nurse)
    response = client_for(nurse).post(
        reverse("transitions:reconciliation_complete", args=[handoff.pk]),
        HTTP_REFERER=referer,
    )
    assert response.status_code == 400
    assert "Metoprolol: dose changed without a reason" in response.content.decode()
