"""Every message of the corpus, through both doors: each answered with the right code, none dropped.

The corpus (tests/interop/corpus/, README there) holds the shapes real senders
use. Each file is sent as it is stored, bytes and segment ends unchanged.
"""

from pathlib import Path

import pytest

from apps.interop.adt.parse import decode_payload, read_header
from apps.interop.intake import split_payload
from apps.interop.models import AdtMessage, AdtStatus
from tests.interop.doors import msa

CORPUS = Path(__file__).parent / "corpus"

# What each file's messages must be answered, in order, and the state each is kept in.
EXPECTED: dict[str, list[tuple[str, str]]] = {
    "v23_a01_admit_lf.hl7": [("AA", AdtStatus.APPLIED)],
    "v231_a04_register_crlf.hl7": [("AA", AdtStatus.APPLIED)],
    "v24_a08_update_hex_escape.hl7": [("AA", AdtStatus.APPLIED)],
    "v25_a02_transfer.hl7": [("AA", AdtStatus.APPLIED)],
    "v251_a03_discharge.hl7": [("AA", AdtStatus.APPLIED)],
    "v26_a01_custom_delimiters.hl7": [("AA", AdtStatus.APPLIED)],
    "v27_a08_escapes_zsegment.hl7": [("AA", AdtStatus.APPLIED)],
    "v28_a01_admit.hl7": [("AA", AdtStatus.APPLIED)],
    "batch_admit_discharge.hl7": [("AA", AdtStatus.APPLIED), ("AA", AdtStatus.APPLIED)],
    "two_messages_crlf.hl7": [("AA", AdtStatus.APPLIED), ("AA", AdtStatus.APPLIED)],
    "v23_a01_unknown_patient.hl7": [("AA", AdtStatus.UNMATCHED)],
    "v251_a28_not_acted_on.hl7": [("AA", AdtStatus.IGNORED)],
    "v24_oru_not_adt.hl7": [("AR", AdtStatus.REJECTED)],
    "v25_a01_latin1_declared.hl7": [("AA", AdtStatus.APPLIED)],
    "v25_a01_nul_byte.hl7": [("AE", AdtStatus.ERROR)],
}


def test_every_corpus_file_has_an_expectation():
    assert sorted(path.name for path in CORPUS.glob("*.hl7")) == sorted(EXPECTED)


def control_ids(payload: bytes) -> list[str]:
    return [
        read_header(message).control_id
        for message in split_payload(decode_payload(payload)).messages
    ]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_corpus_message_gets_an_ack_with_the_right_code_and_none_is_dropped(
    door, known_patient, nurse, name
):
    payload = (CORPUS / name).read_bytes()
    expected = EXPECTED[name]
    sent = control_ids(payload)
    assert len(sent) == len(expected)

    reply = door.send(payload, expect=len(expected))

    assert reply.status == 200
    answered = [msa(ack)[:2] for ack in reply.acks]
    assert answered == [
        (code, control_id) for (code, _), control_id in zip(expected, sent, strict=True)
    ]
    stored = dict(AdtMessage.objects.values_list("control_id", "status"))
    assert stored == {
        control_id: status for (_, status), control_id in zip(expected, sent, strict=True)
    }
