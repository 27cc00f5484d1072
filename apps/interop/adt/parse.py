"""HL7 v2 ADT (ER7 text) into a neutral event, with the `hl7` package doing the splitting.

Tolerant of what senders really do: v2.3 to v2.8 headers, LF or CRLF instead
of CR between segments, custom encoding characters (MSH-2), repetitions in
PID-3, escape sequences (\\F\\ \\S\\ \\T\\ \\R\\ \\E\\ \\Xhh\\), Z-segments (ignored)
and absent optional fields. Strict about what the rules need: a message
control id, an ADT message type, a patient identifier with its assigning
authority, parseable timestamps. A problem raises AdtProblem carrying the
acknowledgement code (AR: we do not take this message; AE: its content is
wrong) and an HL7 table 0357 error code with its location.
"""

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone

import hl7
from django.utils import timezone
from hl7.parser import create_parse_plan

from apps.patients.models import IDENTIFIER_AUTHORITY_MAX, IDENTIFIER_VALUE_MAX

SUPPORTED_VERSIONS = (
    "2.1",
    "2.2",
    "2.3",
    "2.3.1",
    "2.4",
    "2.5",
    "2.5.1",
    "2.6",
    "2.7",
    "2.7.1",
    "2.8",
)
# Production and debugging messages are processed; training (T) ones are refused.
ACCEPTED_PROCESSING_IDS = ("P", "D", "")
HANDLED_EVENTS = ("A01", "A02", "A03", "A04", "A08", "A11", "A13")
# Events a person must look at before anything changes: a merge of two
# records (A40) and a change of patient class (A06 outpatient to inpatient,
# A07 back). Queued for review with both sides shown, never ignored.
REVIEW_EVENTS = ("A06", "A07", "A40")
NEEDS_VISIT = ("A01", "A02", "A03", "A04", "A06", "A07", "A11", "A13")
_HIGHLIGHTS = {"H": "", "N": ""}
_DTM = re.compile(
    r"^(?P<y>\d{4})(?P<m>\d{2})?(?P<d>\d{2})?(?P<H>\d{2})?(?P<M>\d{2})?(?P<S>\d{2})?"
    r"(?:\.\d{1,4})?(?P<tz>[+-]\d{4})?$"
)


class AdtProblem(Exception):
    """Why a message is refused: the ACK code, an HL7 table 0357 code, where, and a text."""

    def __init__(
        self, ack_code: str, text: str, error_code: str = "207", location: str = ""
    ) -> None:
        super().__init__(text)
        self.ack_code = ack_code
        self.text = text
        self.error_code = error_code
        self.location = location


ERROR_NAMES = {
    "100": "Segment sequence error",
    "101": "Required field missing",
    "102": "Data type error",
    "103": "Table value not found",
    "200": "Unsupported message type",
    "201": "Unsupported event code",
    "202": "Unsupported processing id",
    "203": "Unsupported version id",
    "204": "Unknown key identifier",
    "205": "Duplicate key identifier",
    "206": "Application record locked",
    "207": "Application internal error",
}


# MSH-2's characters in order: component, repetition, escape, subcomponent (v2.7 adds
# an optional fifth, truncation). A sender that leaves the last ones out means these.
DEFAULT_ENCODING = "^~\\&"


def full_encoding(encoding: str) -> str:
    """MSH-2 with the positions a sender left out taken from the defaults, as parsers read it."""
    return encoding + DEFAULT_ENCODING[len(encoding) :]


def usable_delimiters(separator: str, encoding: str) -> bool:
    """HL7 v2 chapter 2: MSH-1 and MSH-2 each give one character per delimiter, all different,
    none a letter, digit, space or control character."""
    chosen = separator + full_encoding(encoding)
    return (
        len(encoding) <= 5
        and len(set(chosen)) == len(chosen)
        and all(char.isprintable() and not (char.isalnum() or char.isspace()) for char in chosen)
    )


@dataclass(frozen=True)
class Header:
    """MSH, read even from a message whose body is broken, so it can be acknowledged."""

    field_separator: str = "|"
    encoding_characters: str = "^~\\&"
    sending_application: str = ""
    sending_facility: str = ""
    receiving_application: str = ""
    receiving_facility: str = ""
    sent_at_text: str = ""
    message_type: str = ""
    event_code: str = ""
    control_id: str = ""
    processing_id: str = ""
    version: str = ""


@dataclass(frozen=True)
class Identifier:
    value: str
    authority: str
    type_code: str = ""

    @property
    def key(self) -> str:
        return f"{self.authority}|{self.value}"


@dataclass(frozen=True)
class AdtEvent:
    header: Header
    event_code: str
    recorded_at: datetime
    occurred_at: datetime | None
    identifiers: tuple[Identifier, ...]
    family_name: str = ""
    given_name: str = ""
    date_of_birth: date | None = None
    sex: str = ""
    has_visit: bool = False
    patient_class: str = ""
    location: str = ""
    prior_location: str = ""
    facility: str = ""
    visit_number: str = ""
    admitted_at: datetime | None = None
    discharged_at: datetime | None = None
    disposition: str = ""
    discharged_to: str = ""
    # PID-30 death indicator (Y) and PID-29 date/time of death.
    deceased: bool = False
    died_at: datetime | None = None
    # Demographics beside the name, birth date and sex (A08 applies them).
    address_line: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    phone: str = ""
    language: str = ""
    # MRG-1: the identifiers of the record an A40 merges into this one.
    prior_identifiers: tuple[Identifier, ...] = ()
    z_segments: tuple[str, ...] = field(default_factory=tuple)


# C0 controls and DEL have no place in ER7 text; CR and LF end segments, TAB is
# tolerated in free text. Lone surrogates stand for bytes that were not UTF-8.
_BAD_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\udc80-\udcff]")
_UNSTORABLE = re.compile(r"[\x00\udc80-\udcff]")
# MSH-18 values that mean Latin-1 (or its Euro variant, the same bytes for text).
_LATIN_CHARSETS = ("8859/1", "8859/15", "ISO-8859-1", "ISO-8859-15", "LATIN1", "LATIN-1")


def decode_payload(payload: bytes) -> str:
    """Bytes from a door as text: UTF-8 unless MSH-18 says Latin-1.

    Bytes that are not valid in the character set become lone surrogates
    (Python's surrogateescape): nothing is lost, `check_characters` refuses
    the message naming where they are, and `storable` keeps the bytes.
    """
    if _declared_charset(payload).upper() in _LATIN_CHARSETS:
        return payload.decode("latin-1")
    return payload.decode("utf-8", errors="surrogateescape")


def _declared_charset(payload: bytes) -> str:
    start = payload.find(b"MSH")
    if start < 0 or len(payload) < start + 4:
        return ""
    line = payload[start:].split(b"\r", 1)[0].split(b"\n", 1)[0]
    fields = line.split(payload[start + 3 : start + 4])
    if len(fields) < 18:  # fields[17] is MSH-18
        return ""
    return fields[17].split(b"~", 1)[0].decode("ascii", errors="replace").strip()


def storable(text: str) -> tuple[str, bytes | None]:
    """Text the database can hold, and the exact bytes when that text had to escape some.

    PostgreSQL text holds neither NUL nor bytes that are not UTF-8: those are
    shown as \\xNN in the text, and the bytes are kept beside it for replay.
    """
    if not _UNSTORABLE.search(text):
        return text, None
    shown = _UNSTORABLE.sub(lambda match: f"\\x{_byte_of(match.group())[0]:02X}", text)
    return shown, text.encode("utf-8", errors="surrogateescape")


def _byte_of(char: str) -> bytes:
    return char.encode("utf-8", errors="surrogateescape")


def check_characters(text: str) -> None:
    """Refuses (AE) a message holding control characters or bytes that are not text.

    Names the first one and where it sits (segment and field), so the
    interface team can find it; no patient data goes into the answer.
    """
    match = _BAD_CHARACTER.search(text)
    if match is None:
        return
    char = match.group()
    start = text.rfind("\r", 0, match.start()) + 1
    segment = text[start : match.start()]
    name = segment[:3]
    separator = segment[3] if len(segment) > 3 else "|"
    number = segment.count(separator) - (1 if name == "MSH" else 0)
    where = f"{name}-{number}" if number > 0 else name
    location = f"{name}^1^{number}" if number > 0 else name
    if "\udc80" <= char <= "\udcff":
        raise AdtProblem(
            "AE",
            f"Byte 0x{_byte_of(char)[0]:02X} in {where} is not UTF-8; declare MSH-18 "
            "(e.g. 8859/1) or send UTF-8.",
            "102",
            location,
        )
    raise AdtProblem(
        "AE",
        f"Control character 0x{ord(char):02X} in {where}; ER7 text may not hold it.",
        "102",
        location,
    )


def normalise(raw: str) -> str:
    """Segments end in CR; tolerate LF and CRLF, MLLP bytes and trailing blanks."""
    text = raw.strip("\x0b\x1c\r\n \t")
    text = text.replace("\r\n", "\r").replace("\n", "\r")
    return "\r".join(line for line in text.split("\r") if line.strip())


def content_hash(raw: str) -> str:
    """What makes two deliveries one message: all of it but MSH-7, the time it was sent.

    An engine resending a message may restamp MSH-7; anything else that
    differs (event, patient, times in EVN or PV1) makes it another message.
    """
    segments = normalise(raw).split("\r")
    first = segments[0]
    if first.startswith("MSH") and len(first) > 3:
        parts = first.split(first[3])
        if len(parts) > 6:  # parts[6] is MSH-7
            parts[6] = ""
        segments[0] = first[3].join(parts)
    return hashlib.sha256("\r".join(segments).encode("utf-8", "surrogatepass")).hexdigest()


def read_header(raw: str) -> Header:
    """MSH by hand (no parser involved), so even an unparseable body can be answered."""
    text = normalise(raw)
    if not text.startswith("MSH") or len(text) < 8:
        raise AdtProblem("AR", "The message does not start with an MSH segment.", error_code="100")
    separator = text[3]
    first = text.split("\r", 1)[0]
    if _BAD_CHARACTER.search(first):
        raise AdtProblem(
            "AR",
            "The MSH segment holds control characters or bytes that are not text; unreadable.",
            "100",
        )
    parts = first.split(separator)
    encoding = parts[1] if len(parts) > 1 else DEFAULT_ENCODING
    if not usable_delimiters(separator, encoding):
        # An answer in such delimiters could not be read back: refused whole, answered
        # in the standard ones.
        raise AdtProblem(
            "AR",
            "MSH-1 and MSH-2 do not give distinct delimiters (such as |^~\\&); unreadable.",
            "102",
        )
    component = full_encoding(encoding)[0]

    def part(number: int) -> str:
        # parts[0] is "MSH", parts[1] is MSH-2: MSH-n sits at parts[n - 1].
        index = number - 1
        return parts[index] if index < len(parts) else ""

    message_type = part(9).split(component)
    return Header(
        field_separator=separator,
        encoding_characters=encoding,
        sending_application=part(3).split(component)[0][:180],
        sending_facility=part(4).split(component)[0][:180],
        receiving_application=part(5).split(component)[0][:180],
        receiving_facility=part(6).split(component)[0][:180],
        sent_at_text=part(7).split(component)[0],
        message_type=message_type[0][:20],
        event_code=(message_type[1] if len(message_type) > 1 else "")[:8],
        control_id=part(10)[:199],
        processing_id=part(11).split(component)[0],
        version=part(12).split(component)[0][:12],
    )


def read_envelope(segment: str) -> Header:
    """FHS or BHS, whose fields 1-7 are MSH's; their control id is field 11."""
    header = read_header("MSH" + segment[3:])
    parts = segment.split(header.field_separator)
    control_id = parts[10] if len(parts) > 10 else ""
    return replace(header, message_type="", event_code="", control_id=control_id[:199])


def check_header(header: Header) -> None:
    if not header.control_id:
        raise AdtProblem("AR", "MSH-10 (message control id) is empty.", "101", "MSH^1^10")
    if header.message_type != "ADT":
        raise AdtProblem(
            "AR",
            f"Message type {header.message_type or '(none)'} is not taken here.",
            "200",
            "MSH^1^9",
        )
    if header.version and header.version not in SUPPORTED_VERSIONS:
        raise AdtProblem("AR", f"HL7 version {header.version} is not supported.", "203", "MSH^1^12")
    if header.processing_id not in ACCEPTED_PROCESSING_IDS:
        raise AdtProblem(
            "AR", f"Processing id {header.processing_id} is not accepted here.", "202", "MSH^1^11"
        )


Segment = list[str]


class _Reader:
    """Fields of one message as plain, unescaped strings.

    Only the separators and the unescaping come from python-hl7: its parser
    builds a tree of every field's repetitions and components, which cost
    more than the rest of parsing, and this reader only ever asks for a
    field's text. Fields are numbered as python-hl7 numbers them: MSH-1 (the
    separator) is a field of its own, so `segment[n]` is field n everywhere.
    """

    def __init__(self, text: str) -> None:
        plan = create_parse_plan(text)
        self.field_sep = plan.separators[1]
        self.repetition_sep = plan.separators[2]
        self.component_sep = plan.separators[3]
        self.subcomponent_sep = plan.separators[4]
        self._escapes = hl7.Message(separators=plan.separators, esc=plan.esc)
        self.segments: list[Segment] = []
        for line in text.split("\r"):
            fields = line.split(self.field_sep)
            if fields[0] == "MSH":
                fields.insert(1, self.field_sep)
            self.segments.append(fields)

    def segment(self, name: str) -> Segment | None:
        return next((segment for segment in self.segments if segment[0] == name), None)

    def raw_field(self, segment: Segment | None, number: int) -> str:
        if segment is None or number >= len(segment):
            return ""
        return segment[number]

    def repetitions(self, segment: Segment | None, number: int) -> list[str]:
        text = self.raw_field(segment, number)
        return [rep for rep in text.split(self.repetition_sep)] if text else []

    def component(self, text: str, number: int, sub: int = 1) -> str:
        components = text.split(self.component_sep)
        if number > len(components):
            return ""
        subs = components[number - 1].split(self.subcomponent_sep)
        if sub > len(subs):
            return ""
        return self.unescape(subs[sub - 1])

    def value(self, segment: Segment | None, number: int, component: int = 1) -> str:
        reps = self.repetitions(segment, number)
        return self.component(reps[0], component).strip() if reps else ""

    def unescape(self, text: str) -> str:
        if not text:
            return ""
        value = str(self._escapes.unescape(text, app_map=_HIGHLIGHTS))
        if _BAD_CHARACTER.search(value):
            # A hex escape (\X00\) can spell what the raw text may not hold.
            raise AdtProblem(
                "AE",
                "An escape sequence decodes to a control character; send text.",
                "102",
            )
        return value


def parse_timestamp(text: str, *, location: str) -> datetime | None:
    """HL7 DTM/TS to an aware datetime; no offset means the organisation's local time."""
    text = text.strip()
    if not text:
        return None
    match = _DTM.match(text)
    if match is None:
        raise AdtProblem("AE", f"{location} is not a valid timestamp.", "102", location)
    parts = match.groupdict()
    try:
        naive = datetime(  # noqa: DTZ001 - made aware below
            int(parts["y"]),
            int(parts["m"] or 1),
            int(parts["d"] or 1),
            int(parts["H"] or 0),
            int(parts["M"] or 0),
            int(parts["S"] or 0),
        )
    except ValueError as error:
        raise AdtProblem("AE", f"{location} is not a valid timestamp.", "102", location) from error
    offset = parts["tz"]
    if offset:
        sign = 1 if offset[0] == "+" else -1
        delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
        return naive.replace(tzinfo=dt_timezone(sign * delta))
    return timezone.make_aware(naive, timezone.get_current_timezone())


def _parse_date(text: str, *, location: str) -> date | None:
    moment = parse_timestamp(text[:8], location=location) if text.strip() else None
    return moment.date() if moment else None


def _location(reader: _Reader, text: str) -> str:
    """PL: point of care ^ room ^ bed ^ facility -> "3W 301-A"."""
    unit = reader.component(text, 1)
    room = reader.component(text, 2)
    bed = reader.component(text, 3)
    place = " ".join(part for part in (unit, "-".join(p for p in (room, bed) if p)) if part)
    return place[:120]


def parse_adt(raw: str) -> AdtEvent:
    """The whole message; the header must already have passed `check_header`."""
    text = normalise(raw)
    header = read_header(text)
    check_header(header)
    check_characters(text)
    if f"\rMSH{header.field_separator}" in text:
        # The doors split payloads first; one message reaching here with a second
        # MSH would have the rest dropped under the first's ACK.
        raise AdtProblem(
            "AR", "More than one message (a second MSH segment); none was processed.", "100"
        )
    try:
        reader = _Reader(text)
    except Exception as error:  # the separators' reader raises assorted errors on broken input
        raise AdtProblem("AR", "The message could not be parsed.", "100") from error
    event_code = header.event_code
    evn = reader.segment("EVN")
    if not event_code and evn is not None:
        event_code = reader.value(evn, 1)
    if not event_code:
        raise AdtProblem("AR", "No trigger event in MSH-9 or EVN-1.", "201", "MSH^1^9")
    msh_time = parse_timestamp(header.sent_at_text, location="MSH^1^7")
    recorded_at = parse_timestamp(reader.value(evn, 2), location="EVN^1^2") or msh_time
    occurred_at = parse_timestamp(reader.value(evn, 6), location="EVN^1^6")
    if recorded_at is None:
        recorded_at = timezone.now()
    z_segments = tuple(
        sorted({segment[0] for segment in reader.segments if segment[0].startswith("Z")})
    )
    if event_code not in HANDLED_EVENTS + REVIEW_EVENTS:
        return AdtEvent(
            header=header,
            event_code=event_code,
            recorded_at=recorded_at,
            occurred_at=occurred_at,
            identifiers=(),
            z_segments=z_segments,
        )
    pid = reader.segment("PID")
    if pid is None:
        raise AdtProblem("AE", "The message has no PID segment.", "100", "PID")
    identifiers = _identifiers(reader, reader.repetitions(pid, 3))
    if not identifiers:
        raise AdtProblem(
            "AE",
            "PID-3 holds no identifier with an assigning authority (CX.1 and CX.4).",
            "101",
            "PID^1^3",
        )
    names = reader.repetitions(pid, 5)
    family = reader.component(names[0], 1, 1) if names else ""
    given = reader.component(names[0], 2) if names else ""
    pv1 = reader.segment("PV1")
    if pv1 is None and event_code in NEEDS_VISIT:
        raise AdtProblem("AE", f"{event_code} needs a PV1 segment.", "100", "PV1")
    point_of_care = reader.repetitions(pv1, 3)
    prior = reader.repetitions(pv1, 6)
    facility = (reader.component(point_of_care[0], 4) if point_of_care else "") or (
        header.sending_facility
    )
    discharged = reader.repetitions(pv1, 45)
    addresses = reader.repetitions(pid, 11)
    address = addresses[0] if addresses else ""
    street = ", ".join(
        part.strip()
        for part in (reader.component(address, 1), reader.component(address, 2))
        if part
    )
    phones = reader.repetitions(pid, 13)
    phone = _phone(reader, phones[0]) if phones else ""
    language = reader.component(reader.raw_field(pid, 15), 2) or reader.value(pid, 15)
    return AdtEvent(
        header=header,
        event_code=event_code,
        recorded_at=recorded_at,
        occurred_at=occurred_at,
        identifiers=tuple(identifiers),
        family_name=family.strip()[:100],
        given_name=given.strip()[:100],
        date_of_birth=_parse_date(reader.value(pid, 7), location="PID^1^7"),
        sex=reader.value(pid, 8)[:10],
        has_visit=pv1 is not None,
        patient_class=reader.value(pv1, 2)[:4].upper(),
        location=_location(reader, point_of_care[0]) if point_of_care else "",
        prior_location=_location(reader, prior[0]) if prior else "",
        facility=facility.strip()[:120],
        visit_number=reader.value(pv1, 19)[:64],
        admitted_at=parse_timestamp(reader.value(pv1, 44), location="PV1^1^44"),
        discharged_at=parse_timestamp(
            reader.component(discharged[0], 1) if discharged else "", location="PV1^1^45"
        ),
        disposition=reader.value(pv1, 36)[:20],
        discharged_to=reader.value(pv1, 37)[:120],
        deceased=reader.value(pid, 30).strip().upper() == "Y",
        died_at=parse_timestamp(reader.value(pid, 29), location="PID^1^29"),
        address_line=street[:200],
        city=reader.component(address, 3).strip()[:100],
        state=reader.component(address, 4).strip()[:40],
        postal_code=reader.component(address, 5).strip()[:16],
        phone=phone[:32],
        language=language.strip()[:40],
        prior_identifiers=tuple(
            _identifiers(reader, reader.repetitions(reader.segment("MRG"), 1), "MRG", 1)
        ),
        z_segments=z_segments,
    )


def _identifiers(
    reader: _Reader, repetitions: list[str], segment: str = "PID", position: int = 3
) -> list[Identifier]:
    """CX repetitions with both a value (CX.1) and an assigning authority (CX.4). One
    too long to keep is refused (AE): cut short, it could name another patient."""
    identifiers = []
    for rep in repetitions:
        value = reader.component(rep, 1).strip()
        authority = (reader.component(rep, 4, 1) or reader.component(rep, 4, 2)).strip()
        if not (value and authority):
            continue
        if len(value) > IDENTIFIER_VALUE_MAX or len(authority) > IDENTIFIER_AUTHORITY_MAX:
            raise AdtProblem(
                "AE",
                f"An identifier in {segment}-{position} is too long: at most "
                f"{IDENTIFIER_VALUE_MAX} characters for the value and "
                f"{IDENTIFIER_AUTHORITY_MAX} for the assigning authority.",
                "102",
                f"{segment}^1^{position}",
            )
        identifiers.append(
            Identifier(value=value, authority=authority, type_code=reader.component(rep, 5)[:10])
        )
    return identifiers


def _phone(reader: _Reader, text: str) -> str:
    """XTN: the number as written (XTN-1), else area code and local number (XTN-6, XTN-7)."""
    written = reader.component(text, 1).strip()
    if written:
        return written
    return " ".join(
        part
        for part in (reader.component(text, 6).strip(), reader.component(text, 7).strip())
        if part
    )
