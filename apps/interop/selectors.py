"""Reading the ADT store and the patient-match queue; reads of raw messages are audited."""

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.exceptions import NotFoundError
from apps.core.models import AuditAction
from apps.interop.models import AdtMessage, MatchStatus, PatientMatchRequest
from apps.interop.permissions import can_read_adt_message, workable_match_requests
from apps.patients.permissions import visible_patients


def match_queue_for_user(*, user: User, limit: int = 200) -> list[PatientMatchRequest]:
    rows = list(
        workable_match_requests(user)
        .filter(status=MatchStatus.OPEN)
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
    request = (
        workable_match_requests(user)
        .select_related("message", "patient", "other_patient")
        .filter(pk=pk)
        .first()
    )
    if request is None:
        _audit_denied_request(user, pk)
        raise NotFoundError("No such message.")
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        object_type=PatientMatchRequest,
        object_id=request.pk,
        patient_id=request.patient_id,
        patient_ids=[request.other_patient_id] if request.other_patient_id else (),
    )
    return request


def _audit_denied_request(user: User, pk: int) -> None:
    """A request of the user's organisation that is not theirs to open (it names a patient
    outside their teams, or they do not work the queue) leaves a denied event."""
    if user.organisation_id is None:
        return
    named = (
        PatientMatchRequest.objects.filter(pk=pk, organisation_id=user.organisation_id)
        .values("patient_id", "other_patient_id")
        .first()
    )
    if named is None:
        return
    audit_record(
        actor=user,
        action=AuditAction.DENIED,
        object_type=PatientMatchRequest,
        object_id=pk,
        patient_id=named["patient_id"],
        patient_ids=[named["other_patient_id"]] if named["other_patient_id"] else (),
    )


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
