"""Hostile and broken messages, generated from the corpus: whatever arrives is stored and
answered with a code that tells the sender what to do, never the internal-error reply.

Each example takes a corpus message and breaks it the ways feeds break: a span cut
out or replaced by delimiters, control characters, MLLP framing bytes or odd
Unicode; a segment repeated or dropped; the message cut short. The internal-error
AR is the one reply that means intake itself failed (nothing stored, the sender
told to try again), so it must never answer a message for its content.
"""

from pathlib import Path

import hl7
import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from apps.interop.adt.parse import decode_payload
from apps.interop.intake import split_payload
from apps.interop.models import AdtChannel, AdtMessage
from apps.interop.services import adt_receive
from tests.hostile import hostile_examples
from tests.interop.doors import HttpDoor, msa

CORPUS = Path(__file__).parent / "corpus"
SEEDS = [
    message
    for path in sorted(CORPUS.glob("*.hl7"))
    for message in split_payload(decode_payload(path.read_bytes())).messages
]
# What broken feeds put where text should be: delimiters, segment ends, NUL and other
# control characters, MLLP's own framing bytes, non-Latin text, unpaired surrogates
# (how undecodable bytes arrive), and a very long run.
HOSTILE = st.one_of(
    st.sampled_from(
        ["|", "^", "~", "\\", "&", "\r", "\n", "\r\n", "\x00", "\x0b", "\x1c", "\x1c\r", "\x7f"]
    ),
    st.sampled_from(["MSH|^~\\&|", "PID|", "PV1|", "EVN|", "MRG|", "\\X00\\", "\\Z12\\", "\\"]),
    st.sampled_from(["é", "\U0001d50a", "\u202e", "\ufeff", "\udcff", "A" * 5000, "9" * 40]),
    st.text(max_size=20),
)


@st.composite
def broken_messages(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        kind = draw(st.sampled_from(["replace", "insert", "cut", "repeat", "drop", "truncate"]))
        start = draw(st.integers(min_value=0, max_value=len(text)))
        end = draw(st.integers(min_value=start, max_value=min(len(text), start + 40)))
        segments = text.split("\r")
        index = draw(st.integers(min_value=0, max_value=max(len(segments) - 1, 0)))
        if kind == "replace":
            text = text[:start] + draw(HOSTILE) + text[end:]
        elif kind == "insert":
            text = text[:start] + draw(HOSTILE) + text[start:]
        elif kind == "cut":
            text = text[:start] + text[end:]
        elif kind == "repeat":
            text = "\r".join(segments[: index + 1] + segments[index:])
        elif kind == "drop" and len(segments) > 1:
            text = "\r".join(segments[:index] + segments[index + 1 :])
        elif kind == "truncate":
            text = text[:start]
    return text


@pytest.mark.django_db
@hostile_examples(300)
@given(raw=broken_messages())
def test_a_broken_message_is_stored_and_answered_never_with_the_internal_error(
    interface, known_patient, raw
):
    note(f"sent {raw!r}")
    result = adt_receive(actor=interface, raw=raw, channel=AdtChannel.MLLP)
    note(f"answered {result.ack!r}")

    code, _control_id, text = msa(result.ack)
    assert code in {"AA", "AE", "AR"}
    assert result.ack_code == code
    assert "Internal error" not in text, raw
    assert result.message_id is not None, raw
    stored = AdtMessage.objects.get(pk=result.message_id)
    assert stored.status == result.status or result.duplicate


@st.composite
def broken_payloads(draw: st.DrawFn) -> bytes:
    """Broken messages as the HTTP door gets them: bytes, sometimes not UTF-8, sometimes
    several messages (or pieces of them) in one body."""
    parts = [draw(broken_messages()) for _ in range(draw(st.integers(1, 3)))]
    payload = (
        draw(st.sampled_from(["\r", "\n", "\r\n"]))
        .join(parts)
        .encode("utf-8", errors="surrogateescape")
    )
    if draw(st.booleans()):
        at = draw(st.integers(0, len(payload)))
        payload = (
            payload[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80"])) + payload[at:]
        )
    return payload


@pytest.mark.django_db
@hostile_examples(150)
@given(payload=broken_payloads())
def test_a_broken_http_body_gets_an_ack_for_every_message_or_a_clear_400(
    interface, known_patient, payload
):
    before = AdtMessage.objects.count()
    note(f"sent {payload!r}")

    reply = HttpDoor(interface).send(payload)

    note(f"answered {reply.status} {reply.body!r}")
    if reply.status == 400:  # nothing in the body is readable as HL7
        assert b"detail" in reply.body or b"error" in reply.body
        return
    assert reply.status == 200
    assert reply.acks
    for ack in reply.acks:
        code, control_id, text = msa(ack)
        assert code in {"AA", "AE", "AR"}
        assert "Internal error" not in text
        # Stored now, or earlier (a true resend is answered with its first ACK).
        if control_id:
            stored_as = hl7.parse(ack).unescape(control_id)  # MSA-2 escapes the delimiters
            assert AdtMessage.objects.filter(control_id=stored_as).exists()
        else:
            assert AdtMessage.objects.count() > before
