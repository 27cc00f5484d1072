"""The audit rule for refused requests, shared by every door (UI, API, admin)."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model
from rest_framework import exceptions as drf_exceptions

from apps.core.audit import audit_record, object_type_of
from apps.core.models import AuditAction

PATIENT = "patients.patient"
REQUEST = "request"
_REASON_LENGTH = 200
_OBJECT_TYPE_LENGTH = 64


def _as_id(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _refused_object(
    request: Any, error: Exception, obj: Model | None
) -> tuple[str, object, int | None]:
    """What was refused: (object type, object id, patient id when known).

    A refusal that names its patient (`Refused`) wins; then the object the door
    was acting on; then a `patient_id` in the URL; otherwise the URL's name and
    its first id say which object was asked for.
    """
    patient_id = _as_id(getattr(error, "patient_id", None))
    object_type = getattr(error, "object_type", "") or ""
    if not isinstance(object_type, str):
        object_type = object_type_of(object_type)
    object_id: object = getattr(error, "object_id", "") or ""
    if obj is not None:
        if patient_id is None:
            is_patient = object_type_of(obj) == PATIENT
            patient_id = _as_id(obj.pk if is_patient else getattr(obj, "patient_id", None))
        if not object_type:
            object_type, object_id = object_type_of(obj), obj.pk
    match = getattr(request, "resolver_match", None)
    kwargs = dict(match.kwargs) if match is not None else {}
    if patient_id is None:
        patient_id = _as_id(kwargs.get("patient_id"))
    if not object_type:
        if patient_id is not None and set(kwargs) <= {"patient_id"}:
            object_type, object_id = PATIENT, patient_id
        else:
            object_type = (match.view_name if match is not None else "") or REQUEST
            object_id = next(
                (value for name, value in kwargs.items() if name != "patient_id"), object_id
            )
    return str(object_type)[:_OBJECT_TYPE_LENGTH], object_id, patient_id


def audit_refused_request(request: Any, error: Exception, *, obj: Model | None = None) -> None:
    """One DENIED event when a signed-in user is refused (403), whatever the door.

    Services raise PermissionDenied after the selector has audited the read, so
    without this the trail would show a VIEW and never the refused write. The
    event names the patient when the refusal or the URL knows it, and the object
    asked for (the request's path is recorded with every event); the reason is
    the refusal's text, which names a right or a role, never patient data.
    Readers refused by a selector get a 404 and their DENIED event there, not here.
    Each door calls this once per refusal: the UI and admin from the middleware,
    the API from its exception handler (DRF answers before the middleware sees it),
    and a view or admin action that catches the refusal to show it as a message
    calls it itself, with the object it was acting on (`obj`).
    """
    if not isinstance(error, PermissionDenied | drf_exceptions.PermissionDenied):
        return
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    object_type, object_id, patient_id = _refused_object(request, error, obj)
    audit_record(
        actor=user,
        action=AuditAction.DENIED,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        detail={"method": request.method, "reason": str(error)[:_REASON_LENGTH]},
    )
