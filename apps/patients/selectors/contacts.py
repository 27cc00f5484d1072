"""Reading the chart's contact log."""

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.exceptions import NotFoundError
from apps.core.models import AuditAction
from apps.patients import permissions
from apps.patients.models import ContactLog, Patient

CONTACT_LOG_SHOWN = 50


def contact_log_for_patient(*, user: User, patient: Patient) -> list[ContactLog]:
    """The patient's latest contacts, newest first; the read is audited as one event.

    The chart's rule (team, or a live break-the-glass access); anyone else gets
    "not found", like a missing patient.
    """
    if not permissions.can_read_patient_record(user, patient):
        raise NotFoundError("No such patient.")
    rows = list(
        ContactLog.objects.filter(patient=patient)
        .select_related("performed_by")
        .order_by("-contact_at", "-id")[:CONTACT_LOG_SHOWN]
    )
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        object_type=ContactLog,
        patient_id=patient.pk,
        break_glass=not permissions.can_view_patient(user, patient),
        detail={"rows": len(rows)},
    )
    return rows
