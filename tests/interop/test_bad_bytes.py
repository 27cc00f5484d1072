"""Bad bytes and oversized payloads get a clear answer over both doors, never a 500."""

import socket

import pytest

from apps.core.models import AuditAction, AuditEvent
from apps.interop.mllp import END_BLOCK, START_BLOCK
from apps.interop.models import AdtMessage, AdtStatus
from apps.transitions.models import Handoff
from tests.interop.doors import HttpDoor, msa, read_frames
from tests.interop.messages import adt


def with_bytes(message: str, old: str, new: bytes) -> bytes:
    head, _, tail = message.partition(old)
    return head.encode() + new + tail.encode()


def receipt_audited(message: AdtMessage) -> bool:
    return AuditEvent.objects.filter(
        object_type="interop.adtmessage", object_id=str(message.pk), action=AuditAction.CREATE
    ).exists()


@pytest.mark.parametrize(("bad", "shown"), [(b"\x00", "0x00"), (b"\x07", "0x07")])
def test_control_characters_get_ae_naming_the_field_and_the_bytes_are_kept(
    door, known_patient, nurse, bad, shown
):
    payload = with_bytes(adt("A01", control_id="NUL1", name="Garcia^Rosa"), "Rosa", b"Ro" + bad)

    reply = door.send(payload)

    code, control_id, text = msa(reply.acks[0])
    assert (reply.status, code, control_id) == (200, "AE", "NUL1")
    assert shown in text
    assert "PID-5" in text
    assert not Handoff.objects.exists()
    stored = AdtMessage.objects.get()
    assert stored.status == AdtStatus.ERROR
    assert bad in stored.received_text().encode("utf-8", errors="surrogateescape")
    assert receipt_audited(stored)


def test_bytes_that_are_not_utf8_get_ae_and_are_kept_exactly(door, known_patient, nurse):
    payload = with_bytes(adt("A01", control_id="U8", name="Garcia^Rosa"), "Rosa", b"R\xf6sa")

    reply = door.send(payload)

    code, _, text = msa(reply.acks[0])
    assert code == "AE"
    assert "0xF6" in text
    assert "MSH-18" in text
    stored = AdtMessage.objects.get()
    assert b"R\xf6sa" in bytes(stored.raw_bytes)
    assert "R\\xF6sa" in stored.raw
    assert receipt_audited(stored)


def test_latin1_declared_in_msh18_is_read_as_latin1(door, known_patient, nurse):
    message = adt("A01", control_id="L1", name="Garcia^Rosa")
    header, _, rest = message.partition("\r")
    header += "||||||8859/1"  # MSH-13 to MSH-17 empty, MSH-18 the character set
    payload = with_bytes(f"{header}\r{rest}", "Rosa", b"R\xf6sa")

    reply = door.send(payload)

    assert msa(reply.acks[0])[:2] == ("AA", "L1")
    assert "R\u00f6sa" in AdtMessage.objects.get().raw


@pytest.mark.parametrize(
    "payload",
    [
        b"\x00\x01\x02\xff\xfe",
        b"MSH|^~\\&|EPIC\x00ADT|GENHOSP|X|Y|20250101||ADT^A01|Z|P|2.5\rPID|1",
    ],
    ids=["binary", "nul-in-msh"],
)
def test_an_unreadable_msh_gets_ar_stored_and_audited(door, known_patient, payload):
    reply = door.send(payload)

    assert reply.status == 200
    assert msa(reply.acks[0])[0] == "AR"
    stored = AdtMessage.objects.get()
    assert stored.status == AdtStatus.REJECTED
    assert bytes(stored.raw_bytes) == payload.rstrip(b"\r")
    assert receipt_audited(stored)


def test_an_empty_http_body_is_a_400_with_a_reason(interface, known_patient):
    reply = HttpDoor(interface).send(b"  \r\n")
    assert reply.status == 400
    assert b"empty" in reply.body
    assert not AdtMessage.objects.exists()


def test_over_the_size_limit_http_is_413_and_nothing_is_parsed(interface, known_patient, settings):
    settings.HL7_MAX_MESSAGE_BYTES = 600
    message = adt("A01", control_id="BIG1", extra_segments=("ZXX|" + "x" * 700,))

    reply = HttpDoor(interface).send(message)

    assert reply.status == 413
    assert b"HL7_MAX_MESSAGE_BYTES" in reply.body
    assert not AdtMessage.objects.exists()
    assert not Handoff.objects.exists()
    assert AuditEvent.objects.filter(
        object_type="interop.adtmessage", detail__reason="too large"
    ).exists()


def test_a_message_at_the_size_limit_is_processed(door, known_patient, nurse, settings):
    message = adt("A01", control_id="EDGE1")
    settings.HL7_MAX_MESSAGE_BYTES = len(message.encode())
    assert msa(door.send(message).acks[0])[:2] == ("AA", "EDGE1")


@pytest.mark.django_db(transaction=True)
def test_over_the_size_limit_mllp_gets_ar_before_the_connection_closes(
    interface, known_patient, settings
):
    from tests.interop.doors import mllp_serving

    settings.HL7_MAX_MESSAGE_BYTES = 600
    message = adt("A01", control_id="BIG2", extra_segments=("ZXX|" + "x" * 5000,))
    with (
        mllp_serving(interface) as server,
        socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=10) as sock,
    ):
        sock.sendall(START_BLOCK + message.encode()[:2000])  # the rest never needs to come
        acks, _ = read_frames(sock, 1)
        assert sock.recv(1) == b""  # then closed
    code, control_id, text = msa(acks[0])
    assert (code, control_id) == ("AR", "BIG2")
    assert "HL7_MAX_MESSAGE_BYTES" in text
    assert not AdtMessage.objects.exists()
    assert END_BLOCK not in acks[0].encode()


def test_a_message_refused_for_its_bytes_is_replayed_from_the_exact_bytes(
    interface, known_patient, org_admin
):
    from apps.interop.adt.parse import decode_payload
    from apps.interop.services import adt_message_replay, adt_receive

    payload = with_bytes(adt("A01", control_id="RB1", name="Garcia^Rosa"), "Rosa", b"Ro\x00sa")
    refused = adt_receive(actor=interface, raw=decode_payload(payload))
    message = AdtMessage.objects.get(pk=refused.message_id)
    assert "Ro\\x00sa" in message.raw  # shown escaped; the database holds no NUL

    replayed = adt_message_replay(actor=org_admin, message=message)

    assert replayed.status == AdtStatus.ERROR
    assert "0x00" in replayed.ack_text  # the NUL itself was seen again, not its escaped form
    assert not Handoff.objects.exists()


def test_a_long_assigning_authority_matches_whole_and_an_over_long_one_gets_ae(
    door, patient, org_admin
):
    from apps.patients.services import patient_identifier_add

    # An HD universal id (an OID) of 120 characters: once cut to 64, it could have named
    # another authority's patient.
    oid = "2.16.840.1.113883.3.7418" + ".1234567890" * 9 + ".42"
    assert len(oid) > 64
    patient_identifier_add(actor=org_admin, patient=patient, assigning_authority=oid, value="H1")
    matched = door.send(adt("A01", control_id="LONG1", identifiers=f"H1^^^&{oid}&ISO^MR"))
    too_long = door.send(adt("A01", control_id="LONG2", identifiers=f"H2^^^{'X' * 300}^MR"))

    assert msa(matched.acks[0])[:2] == ("AA", "LONG1")
    assert Handoff.objects.filter(episode__patient=patient).count() == 1
    code, _, text = msa(too_long.acks[0])
    assert code == "AE"
    assert "PID-3" in text
    assert "too long" in text
    refused = AdtMessage.objects.get(control_id="LONG2")
    assert refused.status == AdtStatus.ERROR
    assert Handoff.objects.count() == 1


def test_a_hex_escape_spelling_a_control_character_gets_ae_and_is_kept(door, known_patient, nurse):
    """`\\X00\\` decodes to NUL: refused like a raw NUL, never a failed write and a retry."""
    payload = adt("A01", control_id="HEX0", visit_number="V\\X00\\9")

    reply = door.send(payload)

    code, control_id, text = msa(reply.acks[0])
    assert (reply.status, code, control_id) == (200, "AE", "HEX0")
    assert "control character" in text
    assert not Handoff.objects.exists()
    stored = AdtMessage.objects.get(control_id="HEX0")
    assert stored.status == AdtStatus.ERROR
    assert "\\X00\\" in stored.raw
    assert receipt_audited(stored)


@pytest.mark.parametrize(
    "msh", ["MSHA^~\\&A", "MSH|\\&|", "MSH|^~^&|", "MSH|^~\\& |", "MSH|^~\\&#?!|"]
)
def test_delimiters_an_answer_could_not_be_read_in_get_ar_in_the_standard_ones(
    door, known_patient, nurse, msh
):
    """A letter as the field separator, a repeated or blank encoding character, or too many
    of them: the message is refused whole and the ACK uses |^~\\& so the sender can read it."""
    standard = adt("A01", control_id="DELIM1")
    payload = msh + standard.split("|", 2)[2]

    reply = door.send(payload)

    code, _control_id, text = msa(reply.acks[0])
    assert reply.acks[0].startswith("MSH|^~\\&|CAREGRAPH|")
    assert code == "AR"
    assert "MSH-1 and MSH-2" in text
    assert not Handoff.objects.exists()
    stored = AdtMessage.objects.get()
    assert stored.status == AdtStatus.REJECTED
    assert receipt_audited(stored)


def test_a_short_msh2_is_read_with_the_default_delimiters_for_the_rest(door, known_patient, nurse):
    """MSH-2 of "^~" means escape \\ and subcomponent &, as parsers read it; the ACK says so."""
    payload = "MSH|^~|" + adt("A01", control_id="SHORT2").split("|", 2)[2]

    reply = door.send(payload)

    assert msa(reply.acks[0])[0] == "AA"
    assert reply.acks[0].startswith("MSH|^~\\&|CAREGRAPH|")
    assert Handoff.objects.filter(episode__patient=known_patient).exists()


def test_an_escape_the_parser_cannot_decode_leaves_no_patient_text_in_the_logs(
    door, known_patient, nurse, caplog
):
    payload = adt("A08", control_id="ESC9", name="Garc\\Z12\\ia^Rosalind")

    with caplog.at_level("DEBUG"):
        reply = door.send(payload)

    assert msa(reply.acks[0])[0] == "AA"
    assert not any("Rosalind" in record.getMessage() for record in caplog.records)
    assert not any("Garc" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("control_id", ["CID\u00a07", "CID  8", "CID\t9"])
def test_msa2_echoes_the_control_id_exactly_so_the_sender_can_match_its_ack(
    door, known_patient, nurse, control_id
):
    reply = door.send(adt("A01", control_id=control_id))

    code, echoed, _text = msa(reply.acks[0])
    assert (code, echoed) == ("AA", control_id)
    assert AdtMessage.objects.filter(control_id=control_id).exists()
