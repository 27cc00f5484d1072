"""Who may record and work on transitions of care; built on the patient rights."""

from django.core.exceptions import PermissionDenied

from apps.accounts.models import Actor, User
from apps.accounts.permissions import is_organisation_admin
from apps.core.actors import JobActor
from apps.core.exceptions import Refused
from apps.patients.models import Patient
from apps.patients.permissions import has_patient_permission, is_interface_for
from apps.teams.permissions import held_by

MANAGE = "manage_transitions"
RECONCILE = "reconcile_medications"
VERIFY = "verify_medication_reconciliation"


def can_record_transition(user: Actor, patient: Patient) -> bool:
    """Jobs, the organisation's interface accounts, and team members with the right."""
    if isinstance(user, JobActor):
        return True
    return is_interface_for(user, patient) or has_patient_permission(user, patient, MANAGE)


def require_can_record_transition(user: Actor, patient: Patient) -> None:
    if not can_record_transition(user, patient):
        raise Refused(
            "Your role on this patient's team does not record transitions.",
            patient_id=patient.pk,
        )


def can_manage_transitions(user: User, patient: Patient) -> bool:
    return has_patient_permission(user, patient, MANAGE)


def require_can_manage_transitions(user: User, patient: Patient) -> None:
    if not can_manage_transitions(user, patient):
        raise Refused(
            "Your role on this patient's team does not manage transitions.",
            patient_id=patient.pk,
        )


def can_reconcile(user: User, patient: Patient) -> bool:
    return has_patient_permission(user, patient, RECONCILE)


def require_can_reconcile(user: User, patient: Patient) -> None:
    if not can_reconcile(user, patient):
        raise Refused(
            "Your role on this patient's team does not reconcile medications.",
            patient_id=patient.pk,
        )


def can_verify_reconciliation(user: User, patient: Patient) -> bool:
    return has_patient_permission(user, patient, VERIFY)


def why_not_verify_reconciliation(user: User, patient: Patient) -> str | None:
    """None when `user` verifies this patient's reconciliations; else why not, in a line."""
    if can_verify_reconciliation(user, patient):
        return None
    return f"A reconciliation is verified by {held_by(VERIFY, patient.organisation_id)}."


def require_can_verify_reconciliation(user: User, patient: Patient) -> None:
    reason = why_not_verify_reconciliation(user, patient)
    if reason is not None:
        raise Refused(reason, patient_id=patient.pk)


def can_change_transition_settings(user: User, organisation_id: int) -> bool:
    return is_organisation_admin(user, organisation_id, "transitions.change_transitionsettings")


def require_can_change_transition_settings(user: User, organisation_id: int) -> None:
    if not can_change_transition_settings(user, organisation_id):
        raise PermissionDenied("You may not change this organisation's transition settings.")
