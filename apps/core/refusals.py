"""The audit rule for refused requests on a patient, shared by the UI and the API doors."""

from typing import Any

from django.core.exceptions import PermissionDenied
from rest_framework import exceptions as drf_exceptions

from apps.core.audit import audit_record
from apps.core.models import AuditAction

PATIENT = "patients.patient"
_REASON_LENGTH = 200


def audit_refused_request(request: Any, error: Exception) -> None:
    """One DENIED event when a signed-in user is refused (403) on a patient's URL.

    Services raise PermissionDenied after the selector has audited the read, so
    without this the trail would show a VIEW and never the refused write. The
    patient comes from the URL (`patient_id`); the reason is the refusal's text,
    which names a right or a role, never patient data. Readers refused by a
    selector get a 404 and their DENIED event there, not here.
    """
    if not isinstance(error, PermissionDenied | drf_exceptions.PermissionDenied):
        return
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    match = getattr(request, "resolver_match", None)
    raw_patient_id = match.kwargs.get("patient_id") if match is not None else None
    if raw_patient_id is None:
        return
    try:
        patient_id = int(raw_patient_id)
    except (TypeError, ValueError):
        return
    audit_record(
        actor=user,
        action=AuditAction.DENIED,
        object_type=PATIENT,
        object_id=patient_id,
        patient_id=patient_id,
        detail={"method": request.method, "reason": str(error)[:_REASON_LENGTH]},
    )
