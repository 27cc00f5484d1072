"""Writes of the transitions app; see the modules for the rules."""

from apps.transitions.services.checklist import checklist_item_set, episode_complexity_set
from apps.transitions.services.contacts import ContactDetails, follow_up_contact_record
from apps.transitions.services.episodes import (
    VisitDetails,
    patient_lock_held,
    transition_admit,
    transition_admit_cancel,
    transition_discharge,
    transition_discharge_cancel,
    transition_record,
    transition_register,
    transition_transfer,
    transition_update,
)
from apps.transitions.services.followups import (
    follow_up_schedule,
    follow_up_sweep,
)
from apps.transitions.services.reconciliation import (
    medication_line_add,
    medication_line_remove,
    medication_line_update,
    reconciliation_complete,
    reconciliation_start,
    reconciliation_verify,
)

__all__ = [
    "ContactDetails",
    "VisitDetails",
    "checklist_item_set",
    "episode_complexity_set",
    "follow_up_contact_record",
    "follow_up_schedule",
    "follow_up_sweep",
    "medication_line_add",
    "medication_line_remove",
    "medication_line_update",
    "patient_lock_held",
    "reconciliation_complete",
    "reconciliation_start",
    "reconciliation_verify",
    "transition_admit",
    "transition_admit_cancel",
    "transition_discharge",
    "transition_discharge_cancel",
    "transition_record",
    "transition_register",
    "transition_transfer",
    "transition_update",
]
