"""HL7 v2 ADT in: one service behind the HTTP and MLLP doors, and the patient-match queue.

`adt_receive` stores the message, answers with an ACK and applies the event
through the transitions services, all in one transaction:

- the same message (sender + MSH-10 + content without MSH-7) again gets the
  stored ACK and changes nothing; two copies arriving at once serialise on
  the unique index; a different message under a used MSH-10 is a clash:
  stored, answered AE naming the clash, never given the earlier ACK;
- a message we do not take (not ADT, unknown version, no control id,
  unparseable) is answered AR, one with wrong content AE; either way the
  domain is untouched (the event is applied in a savepoint that is rolled
  back), while the raw message is kept for audit and replay;
- a patient found by none of the PID-3 identifiers is not guessed: the
  message waits in the match queue (ACK AA, "queued");
- a refused message can be replayed from its stored text once the cause is
  fixed (`adt_message_replay`, Django admin's "Replay" action);
- contention (a deadlock, a serialization failure, a lock held too long) is
  retried here, HL7_CONTENTION_ATTEMPTS times in all; a message that still
  cannot be processed is stored as "busy" and answered AR, so the sender
  resends it (and its resend is processed afresh).
"""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Exists, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from apps.accounts.models import Actor, User
from apps.core.audit import audit_record
from apps.core.contention import backoff_seconds, is_contention, limit_lock_waits
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.core.transactions import one_transaction
from apps.interop import permissions
from apps.interop.adt.ack import build_ack
from apps.interop.adt.parse import (
    HANDLED_EVENTS,
    REVIEW_EVENTS,
    AdtEvent,
    AdtProblem,
    Header,
    Identifier,
    check_header,
    content_hash,
    normalise,
    parse_adt,
    read_header,
    storable,
)
from apps.interop.models import (
    AdtChannel,
    AdtMessage,
    AdtStatus,
    MatchKind,
    MatchStatus,
    PatientMatchRequest,
)
from apps.patients.models import Patient, PatientIdentifier, Sex
from apps.patients.services import patient_identifier_add
from apps.patients.services.feed import patient_update_from_feed
from apps.transitions.models import Handoff, HandoffSource
from apps.transitions.selectors import discharge_reads_loaded, with_discharge_reads
from apps.transitions.services import (
    VisitDetails,
    patient_lock_held,
    transition_admit,
    transition_admit_cancel,
    transition_discharge,
    transition_discharge_cancel,
    transition_register,
    transition_transfer,
    transition_update,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AdtResult:
    ack: str
    ack_code: str
    status: str
    message_id: int | None
    duplicate: bool = False


@dataclass(frozen=True)
class Outcome:
    status: str
    text: str
    patient: Patient | None = None
    handoff: Handoff | None = None


def adt_receive(*, actor: User, raw: str, channel: str = AdtChannel.HTTP) -> AdtResult:
    """Receives one ER7 message and returns the ACK to send back. Never raises on content.

    One transaction when the message is accepted (the domain changes, the
    stored message and its audit event). A refused message rolls everything
    back and is then stored on its own with its AE/AR. A repeat, whether it
    comes later or at the same time, meets the unique index when it is
    stored: its transaction rolls back and it answers with the stored ACK.
    """
    organisation_id = permissions.require_can_send_adt(actor)
    # Never cut: the doors refuse a message over HL7_MAX_MESSAGE_BYTES whole.
    text = normalise(raw)
    try:
        header = read_header(text)
    except AdtProblem as problem:
        return _refuse_unreadable(
            actor=actor, organisation_id=organisation_id, raw=text, channel=channel, problem=problem
        )
    message = _received(
        header,
        organisation_id=organisation_id,
        actor=actor,
        channel=channel,
        raw=text,
        control_id=header.control_id,
        content_hash=content_hash(text),
    )
    try:
        try:
            return _accept_retrying(actor=actor, message=message, header=header)
        except _Refused as refused:
            return _store_refusal(actor=actor, message=message, header=header, refused=refused)
        except _Contended:
            return _store_busy(actor=actor, message=message, header=header)
    except IntegrityError:
        earlier = _repeat_or_clash(actor=actor, message=message, header=header)
        if earlier is not None:
            return earlier
        logger.exception("ADT message could not be processed")
    except Exception:
        logger.exception("ADT message could not be processed")
    return _store_failed(actor=actor, message=message, header=header)


# AR, not AE: in original mode AE says the message itself is wrong (resent as it is, it
# fails again), AR that it failed for a reason unrelated to its content, so the sender
# may send it again later.
_FAILED = AdtProblem("AR", "Internal error; send the message again later.", "207")


def _store_failed(*, actor: User, message: AdtMessage, header: Header) -> AdtResult:
    """Intake itself failed (a fault of ours, not the message's): kept like a message
    contention held up, so it shows in the admin for replay and the sender's resend is
    processed afresh. Only when even that cannot be stored (the database is gone) does
    the sender's resend remain the one copy."""
    try:
        return _store_unapplied(
            actor=actor, message=message, header=header, status=AdtStatus.BUSY, problem=_FAILED
        )
    except Exception:
        logger.exception("ADT message could not be stored after a failure")
    return AdtResult(
        ack=_ack_refusing(header, _FAILED),
        ack_code="AR",
        status=AdtStatus.ERROR,
        message_id=None,
    )


class _Contended(Exception):
    """Every attempt met another transaction in the way."""


def _accept_retrying(*, actor: User, message: AdtMessage, header: Header) -> AdtResult:
    """`_accept`, again after a short jittered wait when another transaction was in the way.

    A deadlock (e.g. an A13 arriving while its A03's follow-up job locks the
    same rows) rolls this message back whole; the next attempt starts clean.
    """
    attempts = max(1, int(settings.HL7_CONTENTION_ATTEMPTS))
    for attempt in range(1, attempts + 1):
        try:
            return _accept(actor=actor, message=message, header=header)
        except OperationalError as error:
            if not is_contention(error):
                raise
            logger.warning(
                "ADT intake met contention (%s), attempt %s of %s",
                type(error.__cause__).__name__,
                attempt,
                attempts,
            )
            if attempt == attempts:
                raise _Contended from error
            # Rolled back: whatever the attempt saved (a queued message) is gone.
            message.pk = None
            message._state.adding = True
            time.sleep(backoff_seconds(attempt))
    raise AssertionError("unreachable")


@transaction.atomic
def _store_busy(*, actor: User, message: AdtMessage, header: Header) -> AdtResult:
    """Keeps a message contention kept from being processed, answered AR (HL7 table 0357
    code 206, record locked) so the sender's engine sends it again.

    The stored row does not hold the control id (see the model's constraint):
    the resend is processed as new. An admin may also replay it.
    """
    text = "Records busy (another update in progress); not processed, send the message again."
    return _store_unapplied(
        actor=actor,
        message=message,
        header=header,
        status=AdtStatus.BUSY,
        problem=AdtProblem("AR", text, "206"),
    )


class _Refused(AdtProblem):
    """A refusal raised inside the accepting transaction, so that everything it did rolls back."""


def _store_unapplied(
    *,
    actor: User,
    message: AdtMessage,
    header: Header,
    status: str,
    problem: AdtProblem,
    clash_of: AdtMessage | None = None,
) -> AdtResult:
    """Stores `message` as a new row that changed nothing (whatever an attempt saved was
    rolled back), with the ACK that refused it."""
    message.pk = None
    message._state.adding = True
    message.status = status
    if clash_of is not None:
        message.clash_of = clash_of
    message.ack_code = problem.ack_code
    message.ack_text = problem.text[:200]
    message.patient = None
    message.handoff = None
    message.applied_at = None
    message.ack = _ack_refusing(header, problem)
    return _finish(actor=actor, message=message)


def _ack_refusing(header: Header, problem: AdtProblem) -> str:
    return build_ack(
        header,
        code=problem.ack_code,
        text=problem.text,
        error_code=problem.error_code,
        location=problem.location,
    )


def _repeat_or_clash(*, actor: User, message: AdtMessage, header: Header) -> AdtResult | None:
    """The answer to a control id this sender used before, or None when it is new.

    The very same message (same content without MSH-7) gets the stored ACK
    and changes nothing. A different one is a clash: stored on its own with
    an AE naming the clash, for an admin to replay or dismiss; the sender is
    never told AA for a message that was not processed.
    """
    if not header.control_id:
        return None
    earlier = list(
        AdtMessage.objects.filter(
            organisation_id=message.organisation_id,
            sending_application=header.sending_application,
            sending_facility=header.sending_facility,
            control_id=header.control_id,
        )
        .exclude(status__in=(AdtStatus.BUSY, AdtStatus.RESENT))
        .only("pk", "ack", "ack_code", "status", "content_hash", "clash_of_id", "created_at")
        .order_by("pk")
    )
    original = next((row for row in earlier if row.clash_of_id is None), None)
    if original is None:
        return None
    for row in earlier:
        # Messages stored before content hashes existed are hashed from their text.
        if (row.content_hash or content_hash(row.received_text())) == message.content_hash:
            return AdtResult(
                ack=row.ack,
                ack_code=row.ack_code,
                status=row.status,
                message_id=row.pk,
                duplicate=True,
            )
    try:
        return _store_clash(actor=actor, message=message, header=header, original=original)
    except IntegrityError:
        # The same clashing message, stored a moment ago by a parallel delivery.
        return _repeat_or_clash(actor=actor, message=message, header=header)


@transaction.atomic
def _store_clash(
    *, actor: User, message: AdtMessage, header: Header, original: AdtMessage
) -> AdtResult:
    received = timezone.localtime(original.created_at).strftime("%Y-%m-%d %H:%M")
    text = (
        f"Control id {header.control_id} clash: already used by this sender for another "
        f"message (received {received}); not processed, kept for review."
    )
    return _store_unapplied(
        actor=actor,
        message=message,
        header=header,
        status=AdtStatus.CLASH,
        problem=AdtProblem("AE", text, "205", "MSH^1^10"),
        clash_of=original,
    )


def _received(
    header: Header, *, organisation_id: int, actor: User, channel: str, raw: str, **values: Any
) -> AdtMessage:
    """A message as it is stored on receipt: who sent it, by which door, and its header."""
    return AdtMessage(
        organisation_id=organisation_id,
        channel=channel,
        received_by=actor,
        sending_application=header.sending_application,
        sending_facility=header.sending_facility,
        message_type=header.message_type,
        event_code=header.event_code,
        version=header.version,
        raw=raw,
        **values,
    )


def _refuse_unreadable(
    *, actor: User, organisation_id: int, raw: str, channel: str, problem: AdtProblem
) -> AdtResult:
    return adt_store_refused(
        actor=actor,
        raw=raw,
        channel=channel,
        header=Header(),
        problem=AdtProblem(problem.ack_code, problem.text, problem.error_code, "MSH"),
    )


@transaction.atomic
def adt_store_refused(
    *, actor: Actor, raw: str, channel: str, header: Header, problem: AdtProblem
) -> AdtResult:
    """Keeps what could not be taken as a message (no readable MSH, a broken batch) with its AR.

    Stored without a control id, so never mistaken for a repeat; the raw text
    (bad bytes kept beside it) stays for audit and replay, and the receipt
    is audited like any message's.
    """
    if not isinstance(actor, User) or actor.organisation_id is None:
        raise PermissionDenied("Only an interface account of an organisation may send ADT.")
    message = _received(
        header,
        organisation_id=actor.organisation_id,
        actor=actor,
        channel=channel,
        raw=raw,
        status=AdtStatus.REJECTED,
        ack_code=problem.ack_code,
        ack_text=problem.text[:200],
        ack=_ack_refusing(header, problem),
    )
    return _finish(actor=actor, message=message)


def _finish(*, actor: User, message: AdtMessage) -> AdtResult:
    if message.raw_bytes is None:  # not yet made storable (a clash may come back here)
        message.raw, message.raw_bytes = storable(message.raw)
    message.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=AdtMessage,
        object_id=message.pk,
        patient_id=message.patient_id,
        detail={
            "event": message.event_code,
            "status": message.status,
            **({"clash_of": message.clash_of_id} if message.clash_of_id else {}),
        },
    )
    return AdtResult(
        ack=message.ack, ack_code=message.ack_code, status=message.status, message_id=message.pk
    )


def _accept(*, actor: User, message: AdtMessage, header: Header) -> AdtResult:
    # One transaction, rolled back whole on any error: the nested services join it
    # without savepoints, and the audit events go in one INSERT at its end.
    with one_transaction():
        return _accept_in_transaction(actor=actor, message=message, header=header)


def _accept_in_transaction(*, actor: User, message: AdtMessage, header: Header) -> AdtResult:
    # No look-up for a repeat first: the stored message's unique index finds
    # it (IntegrityError, everything rolled back, the stored ACK answered).
    # Repeats are rare; a read before every message is not.
    limit_lock_waits(settings.HL7_LOCK_TIMEOUT_MS)
    try:
        check_header(header)
        event = parse_adt(message.raw)
        outcome = adt_apply(actor=actor, message=message, event=event)
    except AdtProblem as problem:
        raise _Refused(
            problem.ack_code, problem.text, problem.error_code, problem.location
        ) from problem
    except ApplicationError as error:
        raise _Refused("AE", error.message, "207") from error
    except PermissionDenied as error:
        raise _Refused("AE", str(error), "207") from error
    message.status = outcome.status
    message.ack_code = "AA"
    message.ack_text = outcome.text[:200]
    message.patient = outcome.patient
    message.handoff = outcome.handoff
    message.applied_at = timezone.now() if outcome.status == AdtStatus.APPLIED else None
    message.ack = build_ack(header, code="AA", text=outcome.text)
    return _finish(actor=actor, message=message)


@transaction.atomic
def _store_refusal(
    *, actor: User, message: AdtMessage, header: Header, refused: _Refused
) -> AdtResult:
    """Keeps a refused message (raw included, for replay) with the AE/AR it was answered."""
    earlier = _repeat_or_clash(actor=actor, message=message, header=header)
    if earlier is not None:
        return earlier
    return _store_unapplied(
        actor=actor,
        message=message,
        header=header,
        status=AdtStatus.REJECTED if refused.ack_code == "AR" else AdtStatus.ERROR,
        problem=refused,
    )


def _identifier_rows(
    organisation_id: int, event: AdtEvent, *, related: tuple[str, ...] = ("patient__care_team",)
) -> QuerySet[PatientIdentifier]:
    return PatientIdentifier.objects.filter(
        organisation_id=organisation_id,
        assigning_authority__in={identifier.authority for identifier in event.identifiers},
        value__in={identifier.value for identifier in event.identifiers},
    ).select_related("patient", *related)


def _one_patient(rows: Sequence[PatientIdentifier], event: AdtEvent) -> Patient | None:
    keys = {identifier.key for identifier in event.identifiers}
    patients = {
        row.patient_id: row.patient
        for row in rows
        if f"{row.assigning_authority}|{row.value}" in keys
    }
    if len(patients) > 1:
        raise AdtProblem(
            "AE",
            "The identifiers in PID-3 belong to different patients here.",
            "205",
            "PID^1^3",
        )
    return next(iter(patients.values()), None)


def match_patient(*, organisation_id: int, event: AdtEvent) -> Patient | None:
    """The one patient all matching PID-3 identifiers point to; never by name."""
    return _one_patient(list(_identifier_rows(organisation_id, event)), event)


# Whether an open match request holds any of the identifiers (its JSON list of keys).
# Written out, not an ORM `Exists`: compiling that subquery cost a third of a
# millisecond of Python on every message of the feed, more than the rest of the match.
_WAITING = (
    f"EXISTS (SELECT 1 FROM {PatientMatchRequest._meta.db_table} "  # noqa: S608  # fixed text
    "WHERE organisation_id = %s AND status = %s AND kind = %s AND identifiers ?| %s::text[])"
)


def _waiting(organisation_id: int, keys: list[str]) -> RawSQL | Exists:
    """The match-queue check of `_match_for_intake`: written out on PostgreSQL, the ORM's
    on the embedded SQLite (the same rule; speed matters on the busy feeds' server)."""
    if connection.vendor == "postgresql":
        return RawSQL(  # noqa: S611  # fixed text, values as parameters
            _WAITING, (organisation_id, MatchStatus.OPEN, MatchKind.MATCH, keys)
        )
    return Exists(
        PatientMatchRequest.objects.filter(
            organisation_id=organisation_id,
            status=MatchStatus.OPEN,
            kind=MatchKind.MATCH,
            identifiers__has_any_keys=keys,
        )
    )


def _match_for_intake(organisation_id: int, event: AdtEvent) -> tuple[Patient | None, bool]:
    """`match_patient`, its row locked for the transition services (which then do not
    read and lock it again), and whether earlier messages for any of these identifiers
    still wait in the match queue: one statement. For a discharge it also loads what
    the discharge reads about the patient (`with_discharge_reads`)."""
    keys = sorted({identifier.key for identifier in event.identifiers})
    # Not the care team: the transition services need only its id, which the patient holds.
    rows = _identifier_rows(organisation_id, event, related=()).select_for_update(of=("patient",))
    discharge = event.event_code == "A03"
    if discharge:
        rows = with_discharge_reads(rows, patient_path="patient", organisation_id=organisation_id)
    found = list(rows.annotate(queued=_waiting(organisation_id, keys)))
    patient = _one_patient(found, event)
    if patient is None:
        return None, False
    if discharge:
        row = next(row for row in found if row.patient_id == patient.pk)
        discharge_reads_loaded(patient, row, organisation_id=organisation_id)
    return patient_lock_held(patient), any(row.queued for row in found)  # type: ignore[attr-defined]


def _visit(event: AdtEvent, message: AdtMessage, occurred: object) -> VisitDetails:
    return VisitDetails(
        occurred_at=occurred,  # type: ignore[arg-type]
        facility=event.facility,
        location=event.location,
        visit_number=event.visit_number,
        patient_class=event.patient_class,
        disposition=event.disposition,
        discharged_to=event.discharged_to,
        admitted_at=event.admitted_at,
        source=HandoffSource.HL7,
        source_reference=f"{message.sending_facility}:{message.control_id}"[:120],
        deceased=event.deceased,
        died_at=event.died_at,
        # Only a discharge's own time (PV1-45, EVN-6) may correct a recorded one.
        time_reported=bool(event.discharged_at or event.occurred_at),
    )


# HL7 table 0001 (administrative sex) to the record's choices; A, N, O and X
# (ambiguous, not applicable, other, non-binary) are all "other" here.
_SEXES = {"F": Sex.FEMALE, "M": Sex.MALE, "U": Sex.UNKNOWN}


def _demographics(event: AdtEvent) -> dict[str, object]:
    code = event.sex.strip().upper()[:1]
    return {
        "family_name": event.family_name,
        "given_name": event.given_name,
        "date_of_birth": event.date_of_birth,
        "sex": _SEXES.get(code, Sex.OTHER) if code else "",
        "address_line": event.address_line,
        "city": event.city,
        "state": event.state,
        "postal_code": event.postal_code,
        "phone": event.phone,
        "preferred_language": event.language,
    }


def adt_apply(*, actor: User, message: AdtMessage, event: AdtEvent) -> Outcome:
    """Applies one parsed event for the message's organisation (caller holds a savepoint)."""
    if event.event_code in REVIEW_EVENTS:
        return _queue_review(message=message, event=event)
    if event.event_code not in HANDLED_EVENTS:
        return Outcome(AdtStatus.IGNORED, f"Event {event.event_code} accepted; not processed.")
    patient, waiting = _match_for_intake(message.organisation_id, event)
    if patient is None or waiting:
        _queue(message=message, event=event)
        return Outcome(AdtStatus.UNMATCHED, "Patient not matched; queued for review.")
    return _apply_for_patient(actor=actor, message=message, event=event, patient=patient)


def _patient_by_identifiers(
    organisation_id: int, identifiers: tuple[Identifier, ...]
) -> Patient | None:
    if not identifiers:
        return None
    try:
        return match_patient(
            organisation_id=organisation_id,
            event=AdtEvent(
                header=Header(),
                event_code="",
                recorded_at=timezone.now(),
                occurred_at=None,
                identifiers=identifiers,
            ),
        )
    except AdtProblem:
        return None


def _describe(patient: Patient | None) -> str:
    if patient is None:
        return "Not one of our patients"
    return (
        f"{patient.family_name}, {patient.given_name} · MRN {patient.mrn} · "
        f"born {patient.date_of_birth:%Y-%m-%d}"
    )


def _queue_review(*, message: AdtMessage, event: AdtEvent) -> Outcome:
    """A merge or a class change: nothing is changed; a person sees both sides and decides.

    Answered AA (the message was taken and is visibly queued), never ignored.
    """
    patient = match_patient(organisation_id=message.organisation_id, event=event)
    in_message = f"{event.family_name}, {event.given_name}" + (
        f" · born {event.date_of_birth:%Y-%m-%d}" if event.date_of_birth else ""
    )
    other: Patient | None = None
    if event.event_code == "A40":
        other = _patient_by_identifiers(message.organisation_id, event.prior_identifiers)
        kind = MatchKind.MERGE
        columns = ["Surviving record (PID)", "Record merged into it (MRG)"]
        rows = [
            [
                "Identifiers",
                ", ".join(i.key for i in event.identifiers),
                ", ".join(i.key for i in event.prior_identifiers) or "—",
            ],
            ["Our patient", _describe(patient), _describe(other)],
            ["In the message", in_message, ""],
        ]
        text = "Merge queued for review; nothing changed."
    else:
        recorded = (
            Handoff.objects.filter(
                episode__patient=patient,
                visit_number=event.visit_number,
                cancelled_at__isnull=True,
            )
            .order_by("-sequence", "-id")
            .values_list("patient_class", flat=True)
            .first()
            if patient is not None and event.visit_number
            else None
        )
        kind = MatchKind.CLASS_CHANGE
        columns = ["In the message", "On record"]
        rows = [
            ["Patient class", event.patient_class or "—", recorded or "—"],
            ["Visit", event.visit_number or "—", event.visit_number if recorded else "—"],
            ["Patient", in_message, _describe(patient)],
        ]
        text = f"{event.event_code} class change queued for review; nothing changed."
    if message.pk is None:
        message.status = AdtStatus.REVIEW
        message.save()
    PatientMatchRequest.objects.create(
        organisation_id=message.organisation_id,
        message=message,
        kind=kind,
        patient=patient,
        other_patient=other,
        review={"columns": columns, "rows": rows},
        identifiers=[identifier.key for identifier in event.identifiers],
        family_name=event.family_name,
        given_name=event.given_name,
        date_of_birth=event.date_of_birth,
        sex=event.sex,
    )
    return Outcome(AdtStatus.REVIEW, text, patient=patient)


def _admitted_at(event: AdtEvent) -> datetime:
    return event.admitted_at or event.occurred_at or event.recorded_at


def _moved_at(event: AdtEvent) -> datetime:
    return event.occurred_at or event.recorded_at


def _discharged_at(event: AdtEvent) -> datetime:
    return event.discharged_at or event.occurred_at or event.recorded_at


# The events that move a patient along a visit: the transition service each one
# calls, and which of the event's times the handoff is dated by.
_VISIT_MOVES: dict[str, tuple[Callable[..., Handoff | None], Callable[[AdtEvent], datetime]]] = {
    "A01": (transition_admit, _admitted_at),
    "A04": (transition_register, _admitted_at),
    "A02": (transition_transfer, _moved_at),
    "A03": (transition_discharge, _discharged_at),
}


def _apply_for_patient(
    *, actor: User, message: AdtMessage, event: AdtEvent, patient: Patient
) -> Outcome:
    code = event.event_code
    sender = message.sending_facility or "the sender"
    handoff: Handoff | None
    if code in _VISIT_MOVES:
        move, dated_by = _VISIT_MOVES[code]
        handoff = move(actor=actor, patient=patient, visit=_visit(event, message, dated_by(event)))
    elif code == "A08":
        changed = patient_update_from_feed(
            actor=actor,
            patient=patient,
            values=_demographics(event),
            source=f"ADT A08 from {sender}",
            at=event.recorded_at,
        )
        handoff = transition_update(
            actor=actor, patient=patient, visit=_visit(event, message, _moved_at(event))
        )
        if handoff is None and (changed or event.deceased):
            said = [f"demographics updated ({', '.join(changed)})"] if changed else []
            said += ["death recorded"] if event.deceased else []
            return Outcome(AdtStatus.APPLIED, f"Applied: {'; '.join(said)}.", patient=patient)
    else:
        cancel = transition_admit_cancel if code == "A11" else transition_discharge_cancel
        handoff = cancel(
            actor=actor,
            patient=patient,
            visit_number=event.visit_number,
            reason=f"{code} from {sender}",
        )
    text = "Applied." if handoff is not None else f"{code} accepted; nothing to change."
    return Outcome(AdtStatus.APPLIED, text, patient=patient, handoff=handoff)


def _queue(*, message: AdtMessage, event: AdtEvent) -> PatientMatchRequest:
    if message.pk is None:
        message.status = AdtStatus.UNMATCHED
        message.save()
    return PatientMatchRequest.objects.create(
        organisation_id=message.organisation_id,
        message=message,
        identifiers=[identifier.key for identifier in event.identifiers],
        family_name=event.family_name,
        given_name=event.given_name,
        date_of_birth=event.date_of_birth,
        sex=event.sex,
    )


def patient_match_request_open(
    *,
    organisation_id: int,
    identifiers: list[str],
    origin: str,
    family_name: str = "",
    given_name: str = "",
    date_of_birth: date | None = None,
    sex: str = "",
) -> PatientMatchRequest:
    """Queues a person no identifier matched (a FHIR Patient from a record import), once:
    an open request sharing an identifier is the same person waiting already."""
    keys = set(identifiers)
    for request in PatientMatchRequest.objects.filter(
        organisation_id=organisation_id, status=MatchStatus.OPEN, kind=MatchKind.MATCH
    ).order_by("created_at", "id"):
        if keys & set(request.identifiers):
            return request
    return PatientMatchRequest.objects.create(
        organisation_id=organisation_id,
        identifiers=sorted(keys),
        origin=origin[:200],
        family_name=family_name[:100],
        given_name=given_name[:100],
        date_of_birth=date_of_birth,
        sex=sex[:10],
    )


@transaction.atomic
def patient_match_resolve(
    *, actor: User, request: PatientMatchRequest, patient: Patient
) -> PatientMatchRequest:
    """Links the message's identifiers to `patient` and applies the queued messages.

    Every open request of the organisation sharing an identifier with this one
    is applied too, oldest first, so an A01 and its A03 land in order. A
    message whose content the transition services refuse is marked AE; the
    match itself stands.
    """
    request = (
        PatientMatchRequest.objects.select_for_update(of=("self",))
        .select_related("message")
        .get(pk=request.pk)
    )
    if request.status != MatchStatus.OPEN:
        raise ApplicationError("This message was already matched or dismissed.")
    if request.kind != MatchKind.MATCH:
        raise ApplicationError(
            "A merge or class change is not applied from here: act on it in the records, "
            "then close it with a note."
        )
    if patient.organisation_id != request.organisation_id:
        raise ApplicationError(
            "Choose a patient of your organisation.", field_errors={"patient": ["Not found."]}
        )
    permissions.require_can_match_to(actor, patient)
    for key in request.identifiers:
        authority, _, value = key.partition("|")
        owner = PatientIdentifier.objects.filter(
            organisation_id=request.organisation_id, assigning_authority=authority, value=value
        ).first()
        if owner is None:
            patient_identifier_add(
                actor=actor, patient=patient, assigning_authority=authority, value=value
            )
        elif owner.patient_id != patient.pk:
            raise ApplicationError(
                "One of the message's identifiers already belongs to another patient.",
                field_errors={"patient": [f"{authority} {value} is someone else's."]},
            )
    keys = set(request.identifiers)
    queued = [
        item
        for item in PatientMatchRequest.objects.select_for_update(of=("self",))
        .select_related("message")
        .filter(
            organisation_id=request.organisation_id,
            status=MatchStatus.OPEN,
            kind=MatchKind.MATCH,
        )
        .order_by("message__created_at", "message_id")
        if keys & set(item.identifiers)
    ]
    now = timezone.now()
    for item in queued:
        _apply_queued(actor=actor, item=item, patient=patient)
        item.status = MatchStatus.MATCHED
        item.patient = patient
        item.resolved_by = actor
        item.resolved_at = now
        item.save(update_fields=["status", "patient", "resolved_by", "resolved_at", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type=PatientMatchRequest,
            object_id=item.pk,
            patient_id=patient.pk,
            detail={"fields": ["status", "patient"], "message_id": item.message_id},
        )
    request.refresh_from_db()
    return request


def _refusal_text(error: Exception) -> str:
    """What an HL7 problem, a domain rule or a permission refusal says, for the ACK text."""
    return getattr(error, "text", None) or getattr(error, "message", None) or str(error)


def _apply_queued(*, actor: User, item: PatientMatchRequest, patient: Patient) -> None:
    message = item.message
    if message is None:
        # A FHIR Patient: its identifiers are now linked; the import, run again, applies
        # the resources that waited.
        return
    try:
        event = parse_adt(message.raw)
        with transaction.atomic():
            outcome = _apply_for_patient(actor=actor, message=message, event=event, patient=patient)
    except (AdtProblem, ApplicationError, PermissionDenied) as error:
        text = _refusal_text(error)
        message.status = AdtStatus.ERROR
        message.ack_text = f"Matched by a coordinator; not applied: {text}"[:200]
        message.patient = patient
        message.save(update_fields=["status", "ack_text", "patient", "updated_at"])
        return
    message.status = outcome.status
    message.ack_text = "Matched by a coordinator and applied."
    message.patient = patient
    message.handoff = outcome.handoff
    message.applied_at = timezone.now()
    message.save(
        update_fields=["status", "ack_text", "patient", "handoff", "applied_at", "updated_at"]
    )


@transaction.atomic
def patient_match_dismiss(
    *, actor: User, request: PatientMatchRequest, reason: str
) -> PatientMatchRequest:
    """Not one of our patients (e.g. a feed sent too widely): closed with a reason, unapplied."""
    request = PatientMatchRequest.objects.select_for_update().get(pk=request.pk)
    permissions.require_can_work_match_request(actor, request)
    if request.status != MatchStatus.OPEN:
        raise ApplicationError("This message was already matched or dismissed.")
    if not reason.strip():
        raise ApplicationError(
            "Say why the message is dismissed.", field_errors={"reason": ["A reason is required."]}
        )
    request.status = (
        MatchStatus.DISMISSED if request.kind == MatchKind.MATCH else MatchStatus.REVIEWED
    )
    request.resolved_by = actor
    request.resolved_at = timezone.now()
    request.resolution_note = reason.strip()[:300]
    request.save(
        update_fields=["status", "resolved_by", "resolved_at", "resolution_note", "updated_at"]
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=PatientMatchRequest,
        object_id=request.pk,
        detail={"fields": ["status"], "message_id": request.message_id},
    )
    return request


REPLAYABLE = (AdtStatus.ERROR, AdtStatus.REJECTED, AdtStatus.CLASH, AdtStatus.BUSY)


@transaction.atomic
def adt_message_replay(*, actor: User, message: AdtMessage) -> AdtMessage:
    """Processes a refused (AE/AR) message again from its stored text.

    For a message refused for a cause since fixed: a parser that now reads
    it, a missing setting. It is applied as the interface account that
    received it, exactly as if it arrived now; the sender's ACK stays what it
    was told. One that still cannot be applied stays refused with the new
    reason. Applied, ignored and queued messages have had their effect and
    are refused here.
    """
    message = (
        AdtMessage.objects.select_for_update(of=("self",))
        .select_related("received_by")
        .get(pk=message.pk)
    )
    permissions.require_can_replay_adt(actor, message.organisation_id)
    if message.status not in REPLAYABLE:
        raise ApplicationError(
            f"Only refused messages are replayed; this one is {message.get_status_display()}."
        )
    sender = message.received_by
    if not (permissions.can_send_adt(sender) and sender.organisation_id == message.organisation_id):
        raise ApplicationError(
            "The interface account that received this message is no longer active."
        )
    before = message.status
    if before == AdtStatus.BUSY and (resent := _processed_resend(message)) is not None:
        message.status = AdtStatus.RESENT
        message.ack_text = f"Resent by the sender and processed as message #{resent}."
        message.save(update_fields=["status", "ack_text", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type=AdtMessage,
            object_id=message.pk,
            detail={"replay": True, "from": before, "to": message.status, "resent_as": resent},
        )
        return message
    try:
        text = message.received_text()
        header = read_header(text)
        with transaction.atomic():
            check_header(header)
            outcome = adt_apply(actor=sender, message=message, event=parse_adt(text))
    except IntegrityError:
        # Its identifiers match no patient, and it has been through the queue already.
        message.ack_text = "Replayed; still refused: the patient is not matched."
        message.save(update_fields=["ack_text", "updated_at"])
    except (AdtProblem, ApplicationError, PermissionDenied) as error:
        text = _refusal_text(error)
        message.ack_text = f"Replayed; still refused: {text}"[:200]
        message.save(update_fields=["ack_text", "updated_at"])
    else:
        message.status = outcome.status
        message.ack_text = f"Replayed: {outcome.text}"[:200]
        message.patient = outcome.patient
        message.handoff = outcome.handoff
        message.applied_at = timezone.now() if outcome.status == AdtStatus.APPLIED else None
        fields = ["status", "ack_text", "patient", "handoff", "applied_at", "updated_at"]
        if before == AdtStatus.BUSY:
            # The sender was asked to resend: its resend now finds this message
            # and must hear that it was taken, not the AR again.
            message.ack_code = "AA"
            message.ack = build_ack(header, code="AA", text=outcome.text)
            fields += ["ack_code", "ack"]
        message.save(update_fields=fields)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=AdtMessage,
        object_id=message.pk,
        patient_id=message.patient_id,
        detail={"replay": True, "from": before, "to": message.status},
    )
    return message


def _processed_resend(message: AdtMessage) -> int | None:
    """The id of the same message from the same sender, processed since it was stored busy."""
    if not message.control_id:
        return None
    return (
        AdtMessage.objects.filter(
            organisation_id=message.organisation_id,
            sending_application=message.sending_application,
            sending_facility=message.sending_facility,
            control_id=message.control_id,
            content_hash=message.content_hash,
            clash_of__isnull=True,
        )
        .exclude(status__in=(AdtStatus.BUSY, AdtStatus.RESENT))
        .values_list("pk", flat=True)
        .first()
    )


@transaction.atomic
def adt_message_dismiss(*, actor: Actor, message: AdtMessage, reason: str) -> AdtMessage:
    """Closes a refused or clashing message an admin decides will never be applied.

    What the sender was told stays on record; the message is no longer
    replayable and leaves the admin's list of work to do.
    """
    message = AdtMessage.objects.select_for_update(of=("self",)).get(pk=message.pk)
    permissions.require_can_replay_adt(actor, message.organisation_id)
    if message.status not in REPLAYABLE:
        raise ApplicationError(
            f"Only refused messages are dismissed; this one is {message.get_status_display()}."
        )
    if not reason.strip():
        raise ApplicationError(
            "Say why the message is dismissed.", field_errors={"reason": ["A reason is required."]}
        )
    before = message.status
    message.status = AdtStatus.DISMISSED
    message.ack_text = f"Dismissed: {reason.strip()}"[:200]
    message.save(update_fields=["status", "ack_text", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=AdtMessage,
        object_id=message.pk,
        detail={"dismissed": True, "from": before, "to": message.status},
    )
    return message
