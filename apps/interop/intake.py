"""What a door receives, as bytes, turned into messages and the answers to send back.

Both doors (HTTP and MLLP) hand their payload here. One payload may carry
one message, several back to back, or an FHS/BHS batch: every message goes
through `adt_receive` on its own (its own transaction, its own ACK), or, when
the payload cannot be split safely (a batch whose count does not add up,
text before the first MSH), the whole payload is refused with one AR saying
why and nothing in it is processed. Never the first applied and the rest
dropped.

One size limit for both doors, `HL7_MAX_MESSAGE_BYTES`: a payload over it
is refused whole (HTTP 413, an AR on MLLP), never cut and then parsed.
"""

from dataclasses import dataclass, replace

from django.conf import settings

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.models import AuditAction
from apps.interop.adt.ack import build_ack, build_batch_ack
from apps.interop.adt.parse import (
    AdtProblem,
    Header,
    decode_payload,
    normalise,
    read_envelope,
    read_header,
)
from apps.interop.models import AdtMessage
from apps.interop.services import adt_receive, adt_store_refused

ENVELOPE = ("FHS", "BHS", "BTS", "FTS")


def max_message_bytes() -> int:
    return int(settings.HL7_MAX_MESSAGE_BYTES)


@dataclass(frozen=True)
class Split:
    """A payload cut at each MSH, its batch envelope apart, or why it cannot be cut."""

    messages: tuple[str, ...]
    envelope: Header | None = None
    in_file: bool = False
    problem: AdtProblem | None = None


@dataclass(frozen=True)
class PayloadAnswer:
    """One ACK per message received (or the one AR refusing the payload), in order."""

    acks: tuple[str, ...]
    envelope: Header | None = None
    in_file: bool = False

    def as_text(self) -> str:
        """The HTTP reply: a batch ACK for a batch, the ACKs back to back otherwise."""
        if self.envelope is not None:
            return build_batch_ack(self.envelope, list(self.acks), with_file=self.in_file)
        return "".join(self.acks)


def split_payload(text: str) -> Split:
    segments = normalise(text).split("\r")
    messages: list[str] = []
    envelope: dict[str, list[str]] = {name: [] for name in ENVELOPE}
    for segment in segments:
        name = segment[:3]
        if name in ENVELOPE:
            envelope[name].append(segment)
        elif name == "MSH" or not messages:
            messages.append(segment)
        else:
            messages[-1] += "\r" + segment
    batch_head = envelope["BHS"] or envelope["FHS"]
    header = read_envelope(batch_head[0]) if batch_head else None
    in_file = bool(envelope["FHS"])
    problem = _envelope_problem(envelope, messages)
    if problem is None and len(messages) > 1 and not messages[0].startswith("MSH"):
        problem = AdtProblem(
            "AR", "Text before the first MSH segment; the payload was not processed.", "100"
        )
    return Split(tuple(messages), header, in_file, problem)


def _count(segment: str) -> int | None:
    parts = segment.split(segment[3] if len(segment) > 3 else "|")
    value = parts[1].strip() if len(parts) > 1 else ""
    return int(value) if value.isdigit() else None


def _envelope_problem(envelope: dict[str, list[str]], messages: list[str]) -> AdtProblem | None:
    """A batch that is cut short or whose counts disagree may have lost messages: refuse it."""
    if not any(envelope.values()):
        return None
    whole = "the batch was not processed; send it again complete."
    if len(envelope["FHS"]) != len(envelope["FTS"]) or len(envelope["BHS"]) != len(envelope["BTS"]):
        return AdtProblem(
            "AR", f"Batch header without its trailer (or the reverse): {whole}", "100"
        )
    if not messages:
        return AdtProblem("AR", "The batch holds no message.", "100")
    declared = [_count(segment) for segment in envelope["BTS"]]
    if declared and None not in declared and sum(c or 0 for c in declared) != len(messages):
        return AdtProblem(
            "AR",
            f"BTS-1 counts {sum(c or 0 for c in declared)} messages but {len(messages)} "
            f"arrived: {whole}",
            "100",
        )
    return None


def adt_receive_payload(*, actor: User, payload: bytes, channel: str) -> PayloadAnswer:
    """Every message of a door's payload processed and answered, or the whole payload refused."""
    text = decode_payload(payload)
    split = split_payload(text)
    if split.problem is not None:
        header = _header_for_refusal(split)
        refused = adt_store_refused(
            actor=actor, raw=normalise(text), channel=channel, header=header, problem=split.problem
        )
        return PayloadAnswer(acks=(refused.ack,))
    acks = tuple(
        adt_receive(actor=actor, raw=message, channel=channel).ack
        for message in split.messages or (text,)
    )
    return PayloadAnswer(acks=acks, envelope=split.envelope, in_file=split.in_file)


def _header_for_refusal(split: Split) -> Header:
    """Whom to answer: the first message's sender, under the batch's control id if any."""
    try:
        header = read_header(split.messages[0]) if split.messages else Header()
    except AdtProblem:
        header = Header()
    if split.envelope is not None:
        header = replace(header, control_id=split.envelope.control_id)
    return header


def adt_refuse_oversized(*, actor: User, size: int, head: bytes, channel: str) -> str:
    """The AR for a payload over the limit, addressed from its MSH when the head holds one.

    Nothing is stored (the point of a limit) but the receipt is audited.
    """
    limit = max_message_bytes()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=AdtMessage,
        detail={"status": "rejected", "reason": "too large", "bytes": size, "limit": limit},
    )
    header = Header()
    first = decode_payload(head).lstrip("\x0b\r\n").replace("\n", "\r").split("\r", 1)
    if len(first) > 1:  # the whole MSH arrived: answer under its control id
        try:
            header = read_header(first[0])
        except AdtProblem:
            header = Header()
    return build_ack(
        header,
        code="AR",
        text=f"Message over {limit} bytes (HL7_MAX_MESSAGE_BYTES); refused, not processed.",
        error_code="207",
    )
