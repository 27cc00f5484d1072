"""Reading the ADT store and the patient-match queue; reads of raw messages are audited."""

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.exceptions import NotFoundError
from apps.core.models import AuditAction
from apps.interop.models import AdtMessage, MatchStatus, PatientMatchRequest
from apps.interop.permissions import can_read_adt_message, can_work_match_queue
from apps.patients.permissions import visible_patients


def match_queue_for_user(*, user: User, limit: int = 200) -> list[PatientMatchRequest]:
    organisation_id = user.organisation_id
    if organisation_id is None or not can_work_match_queue(user, organisation_id):
        return []
    rows = list(
        PatientMatchRequest.objects.filter(organisation_id=organisation_id, status=MatchStatus.OPEN)
        .select_related("message")
        .order_by("created_at", "id")[:limit]
    )
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        object_type=PatientMatchRequest,
        detail={"request_ids": [row.pk for row in rows]},
    )
    return rows


def match_request_get_for_user(*, user: User, request_id: int | str) -> PatientMatchRequest:
    try:
        pk = int(request_id)
    except (TypeError, ValueError) as error:
        raise NotFoundError("No such message.") from error
    request = PatientMatchRequest.objects.select_related("message", "patient").filter(pk=pk).first()
    if request is None or not can_work_match_queue(user, request.organisation_id):
        raise NotFoundError("No such message.")
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        object_type=PatientMatchRequest,
        object_id=request.pk,
        patient_id=request.patient_id,
    )
    return request


def match_candidates_for_user(*, user: User, query: str) -> QuerySet:  # type: ignore[type-arg]
    """Patients the user may match to: visible ones by MRN or identifier value (exact)."""
    query = query.strip()
    if not query:
        return visible_patients(user).none()
    from django.db.models import Q

    return (
        visible_patients(user)
        .filter(Q(mrn__iexact=query) | Q(identifiers__value=query))
        .distinct()
        .order_by("family_name", "given_name", "id")[:20]
    )


def adt_message_raw_for_user(*, user: User, message_id: int | str) -> AdtMessage:
    """A stored message with its raw text, for its patient's team, the match queue, or admins."""
    try:
        pk = int(message_id)
    except (TypeError, ValueError) as error:
        raise NotFoundError("No such message.") from error
    message = AdtMessage.objects.filter(pk=pk).first()
    if message is None:
        raise NotFoundError("No such message.")
    if not can_read_adt_message(user, message):
        audit_record(
            actor=user,
            action=AuditAction.DENIED,
            object_type=AdtMessage,
            object_id=pk,
            patient_id=message.patient_id,
        )
        raise NotFoundError("No such message.")
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        object_type=AdtMessage,
        object_id=pk,
        patient_id=message.patient_id,
        detail={"raw": True},
    )
    return message
