"""The discharge the transitions role matrices (pages and API) are run against."""

from typing import Any

from apps.accounts.models import User
from apps.patients.models import Patient
from apps.transitions.models import ChecklistItem, ChecklistItemCode, FollowUp
from apps.transitions.services import medication_line_add, reconciliation_start
from tests.transitions.factories import discharged_home


def reconciliation_world(patient: Patient, nurse: User) -> dict[str, Any]:
    """A discharge home with its follow-up and an open reconciliation of one explained line."""
    discharge = discharged_home(patient)
    reconciliation = reconciliation_start(actor=nurse, handoff=discharge)
    line = medication_line_add(
        actor=nurse,
        reconciliation=reconciliation,
        name="Furosemide",
        on_pre_admission=True,
        pre_dose="40 mg",
        reason="Dry at discharge",
    )
    return {
        "discharge": discharge,
        "episode": discharge.episode,
        "reconciliation": reconciliation,
        "line": line,
        "follow_up": FollowUp.objects.get(handoff=discharge),
        "item": ChecklistItem.objects.get(
            handoff=discharge, code=ChecklistItemCode.SUMMARY_RECEIVED
        ),
    }
