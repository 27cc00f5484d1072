"""Who may record and work on transitions of care; built on the patient rights."""

from django.core.exceptions import PermissionDenied

from apps.accounts.models import User
from apps.patients.models import Patient
from apps.patients.permissions import has_patient_permission, is_interface_for

MANAGE = "manage_transitions"
RECONCILE = "reconcile_medications"
VERIFY = "verify_medication_reconciliation"


def can_record_transition(user: User | None, patient: Patient) -> bool:
    """Jobs (None), the organisation's interface accounts, and team members with the right."""
    if user is None:
        return True
    return is_interface_for(user, patient) or has_patient_permission(user, patient, MANAGE)


def require_can_record_transition(user: User | None, patient: Patient) -> None:
    if not can_record_transition(user, patient):
        raise PermissionDenied("Your role on this patient's team does not record transitions.")


def can_manage_transitions(user: User, patient: Patient) -> bool:
    return has_patient_permission(user, patient, MANAGE)


def require_can_manage_transitions(user: User, patient: Patient) -> None:
    if not can_manage_transitions(user, patient):
        raise PermissionDenied("Your role on this patient's team does not manage transitions.")


def can_reconcile(user: User, patient: Patient) -> bool:
    return has_patient_permission(user, patient, RECONCILE)


def require_can_reconcile(user: User, patient: Patient) -> None:
    if not can_reconcile(user, patient):
        raise PermissionDenied("Your role on this patient's team does not reconcile medications.")


def can_verify_reconciliation(user: User, patient: Patient) -> bool:
    return has_patient_permission(user, patient, VERIFY)


def require_can_verify_reconciliation(user: User, patient: Patient) -> None:
    if not can_verify_reconciliation(user, patient):
        raise PermissionDenied("Only the team's pharmacist verifies a reconciliation.")
