"""The reconciliation page says why the verify button is not there: the refusal's text."""

import pytest
from django.urls import reverse

from apps.core.exceptions import ApplicationError, Refused
from apps.transitions.services import (
    medication_line_add,
    reconciliation_complete,
    reconciliation_start,
    reconciliation_verify,
)
from tests.transitions.factories import discharged_home

LINE = "A reconciliation is verified by the team's pharmacists."


@pytest.fixture
def awaiting(patient, nurse, pharmacist):
    reconciliation = reconciliation_start(actor=nurse, handoff=discharged_home(patient))
    medication_line_add(
        actor=nurse,
        reconciliation=reconciliation,
        name="Lisinopril",
        on_pre_admission=True,
        pre_dose="10 mg",
        on_discharge=True,
        discharge_dose="10 mg",
    )
    return reconciliation_complete(actor=nurse, reconciliation=reconciliation)


def _page(client, reconciliation):
    episode_id = reconciliation.handoff.episode_id
    return client.get(reverse("transitions:episode", args=[episode_id])).content.decode()


def test_a_nurse_reads_that_pharmacists_verify_and_the_refusal_says_the_same(
    awaiting, nurse, chw, client_for
):
    page = _page(client_for(chw), awaiting)
    assert LINE.replace("'", "&#x27;") in page
    assert "Verify the reconciliation" not in page
    with pytest.raises(Refused) as refused:
        reconciliation_verify(actor=chw, reconciliation=awaiting)
    assert str(refused.value) == LINE


def test_the_pharmacist_is_offered_verify_and_no_why_line(awaiting, pharmacist, client_for):
    page = _page(client_for(pharmacist), awaiting)
    assert "Verify the reconciliation" in page
    assert "why-not-verify" not in page


def test_the_person_who_reconciled_reads_that_they_cannot_also_verify(
    patient, nurse, pharmacist, client_for
):
    reconciliation = reconciliation_start(actor=pharmacist, handoff=discharged_home(patient))
    done = reconciliation_complete(actor=pharmacist, reconciliation=reconciliation)
    page = _page(client_for(pharmacist), done)
    assert "The person who reconciled cannot also verify." in page
    with pytest.raises(ApplicationError) as refused:
        reconciliation_verify(actor=pharmacist, reconciliation=done)
    assert refused.value.message == "The person who reconciled cannot also verify."
