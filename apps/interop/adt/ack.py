"""Original-mode acknowledgements: MSH, MSA (code, control id, text) and ERR on errors."""

import uuid

from django.utils import timezone

from apps.interop.adt.parse import ERROR_NAMES, Header, full_encoding

RECEIVING_APPLICATION = "CAREGRAPH"


def _escape(text: str, header: Header, *, echo: bool = False) -> str:
    """Escapes the sender's delimiters (HL7 2.10.4). Free text has its line breaks and runs
    of spaces made one space; an `echo` of the sender's own value (MSA-2 is their MSH-10,
    which they match the ACK by) keeps every other character as it came."""
    encoding = full_encoding(header.encoding_characters)
    component, repetition, escape, subcomponent = encoding[0], encoding[1], encoding[2], encoding[3]
    out = []
    for char in text if echo else " ".join(text.split()):
        if char == escape:
            out.append(f"{escape}E{escape}")
        elif char == header.field_separator:
            out.append(f"{escape}F{escape}")
        elif char == component:
            out.append(f"{escape}S{escape}")
        elif char == repetition:
            out.append(f"{escape}R{escape}")
        elif char == subcomponent:
            out.append(f"{escape}T{escape}")
        else:
            out.append(char)
    return "".join(out)


def _version_at_least(version: str, minimum: tuple[int, ...]) -> bool:
    try:
        parts = tuple(int(part) for part in version.split("."))
    except ValueError:
        return True
    return parts >= minimum


def build_ack(
    header: Header,
    *,
    code: str,
    text: str = "",
    error_code: str = "",
    location: str = "",
) -> str:
    """The ACK for `header`'s message, in the sender's delimiters and version.

    v2.5 and later carry the error in ERR-2 (location), ERR-3 (code), ERR-4
    (severity) and ERR-8 (user message); earlier versions in ERR-1.
    """
    sep = header.field_separator or "|"
    encoding = full_encoding(header.encoding_characters)
    component, subcomponent = encoding[0], encoding[3]
    version = header.version or "2.5.1"
    now = timezone.now().strftime("%Y%m%d%H%M%S+0000")
    trigger = header.event_code
    if _version_at_least(version, (2, 3, 1)):
        message_type = component.join(["ACK", trigger, "ACK"]) if trigger else "ACK"
    else:
        message_type = component.join(["ACK", trigger]) if trigger else "ACK"
    msh = sep.join(
        [
            "MSH",
            encoding,
            RECEIVING_APPLICATION,
            _escape(header.receiving_facility, header),
            _escape(header.sending_application, header),
            _escape(header.sending_facility, header),
            now,
            "",
            message_type,
            uuid.uuid4().hex[:20].upper(),
            header.processing_id or "P",
            version,
        ]
    )
    msa = sep.join(
        ["MSA", code, _escape(header.control_id, header, echo=True), _escape(text[:80], header)]
    )
    segments = [msh, msa]
    if code != "AA" and error_code:
        name = ERROR_NAMES.get(error_code, "")
        where = location.split("^") if location else []
        if _version_at_least(version, (2, 5)):
            err = sep.join(
                [
                    "ERR",
                    "",
                    component.join(where),
                    component.join([error_code, name, "HL70357"]),
                    "E",
                    "",
                    "",
                    "",
                    _escape(text, header),
                ]
            )
        else:
            padded = [*where, "", "", ""][:3]
            err = sep.join(
                [
                    "ERR",
                    component.join([*padded, subcomponent.join([error_code, name, "HL70357"])]),
                ]
            )
        segments.append(err)
    return "\r".join(segments) + "\r"


def build_batch_ack(envelope: Header, acks: list[str], *, with_file: bool) -> str:
    """The ACKs of a batch, wrapped in BHS/BTS (and FHS/FTS when the batch came in a file).

    BHS-12 (FHS-12) names the batch (file) acknowledged; BTS-1 counts the
    ACKs inside, so the sender can check nothing went missing.
    """
    sep = envelope.field_separator or "|"
    encoding = full_encoding(envelope.encoding_characters)
    now = timezone.now().strftime("%Y%m%d%H%M%S+0000")

    def head(name: str) -> str:
        fields = [
            name,
            encoding,
            RECEIVING_APPLICATION,
            _escape(envelope.receiving_facility, envelope),
            _escape(envelope.sending_application, envelope),
            _escape(envelope.sending_facility, envelope),
            now,
            "",
            "",
            "",
            uuid.uuid4().hex[:20].upper(),
            _escape(envelope.control_id, envelope, echo=True),
        ]
        return sep.join(fields)

    segments = [head("BHS"), *(ack.rstrip("\r") for ack in acks), f"BTS{sep}{len(acks)}"]
    if with_file:
        segments = [head("FHS"), *segments, f"FTS{sep}1"]
    return "\r".join(segments) + "\r"
