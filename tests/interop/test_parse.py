from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import hl7
import pytest
from django.utils import timezone

from apps.interop.adt.ack import build_ack
from apps.interop.adt.parse import AdtProblem, parse_adt, parse_timestamp, read_header
from tests.interop.messages import V23_DISCHARGE, V24_ADMISSION, adt


def test_v23_discharge_with_lf_line_ends_repetitions_escapes_and_a_z_segment():
    event = parse_adt(V23_DISCHARGE)
    assert event.header.version == "2.3"
    assert event.event_code == "A03"
    assert [(i.authority, i.value, i.type_code) for i in event.identifiers] == [
        ("STMARY", "778899", "MR"),
        ("ENTERPRISE", "E-555", "PI"),
    ]
    assert event.family_name == "SMITH&JONES"  # \T\ is the subcomponent separator
    assert event.visit_number == "SV-42"
    assert event.disposition == "01"
    assert event.discharged_at == timezone.make_aware(datetime(2024, 1, 5, 9, 0))  # noqa: DTZ001
    assert event.admitted_at == timezone.make_aware(datetime(2024, 1, 1, 8, 0))  # noqa: DTZ001
    assert event.occurred_at is None  # EVN-6 absent
    assert event.z_segments == ("ZPV",)


def test_v24_admission_with_offsets_hex_escape_and_missing_optional_fields():
    event = parse_adt(V24_ADMISSION)
    assert event.header.version == "2.4"
    assert event.given_name == "BAO"  # \X41\ is hex for A
    assert event.occurred_at == datetime(
        2024, 2, 10, 14, 0, tzinfo=dt_timezone(timedelta(hours=-6))
    )
    assert event.admitted_at is None
    assert event.discharged_at is None
    assert event.location == "ICU 4"
    assert event.facility == "VALLEY"


def test_v251_message_with_msh_9_3_and_crlf_segments():
    at = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    raw = adt("A03", discharged_at=at, disposition="06", segment_separator="\r\n")
    event = parse_adt(raw)
    assert event.header.version == "2.5.1"
    assert event.event_code == "A03"
    assert event.discharged_at == at
    assert event.disposition == "06"


def test_field_escapes_for_each_delimiter_are_undone():
    raw = adt("A08", name="O\\F\\N\\S\\EIL\\E\\^Pat")
    assert parse_adt(raw).family_name == "O|N^EIL\\"


def test_identifier_authority_falls_back_to_the_universal_id_of_the_hd():
    raw = adt("A01", identifiers="123^^^&2.16.840.1.113883.19&ISO^MR")
    assert parse_adt(raw).identifiers[0].authority == "2.16.840.1.113883.19"


def test_unhandled_events_parse_without_a_patient():
    event = parse_adt(adt("A28", pv1=False))
    assert (event.event_code, event.identifiers) == ("A28", ())


@pytest.mark.parametrize(
    ("raw", "ack_code", "error_code"),
    [
        ("not hl7 at all", "AR", "100"),
        (adt("A01", control_id="X").replace("|X|P|", "||P|"), "AR", "101"),
        (adt("R01", message_type="ORU"), "AR", "200"),
        (adt("A01", version="3.0"), "AR", "203"),
        (adt("A01", processing_id="T"), "AR", "202"),
        (adt("A01").replace("PID|", "XID|"), "AE", "100"),
        (adt("A01", identifiers="12345"), "AE", "101"),
        (adt("A01", pv1=False), "AE", "100"),
        (adt("A03", birth_date="1950-01-01"), "AE", "102"),
    ],
)
def test_malformed_messages_are_refused_with_the_right_code(raw, ack_code, error_code):
    with pytest.raises(AdtProblem) as problem:
        parse_adt(raw)
    assert (problem.value.ack_code, problem.value.error_code) == (ack_code, error_code)


def test_timestamps_of_every_precision():
    assert parse_timestamp("2024", location="X") == timezone.make_aware(datetime(2024, 1, 1))  # noqa: DTZ001
    assert parse_timestamp("202403151230", location="X") == timezone.make_aware(
        datetime(2024, 3, 15, 12, 30)  # noqa: DTZ001
    )
    assert parse_timestamp("20240315123015.1234+0100", location="X") == datetime(
        2024, 3, 15, 12, 30, 15, tzinfo=dt_timezone(timedelta(hours=1))
    )
    assert parse_timestamp("", location="X") is None
    with pytest.raises(AdtProblem):
        parse_timestamp("20241340", location="X")


def test_ack_251_carries_msa_and_err_segments_that_parse_back():
    header = read_header(adt("A01", control_id="C-77"))
    ack = build_ack(
        header, code="AE", text="PID-3 is | empty", error_code="101", location="PID^1^3"
    )
    message = hl7.parse(ack)
    assert str(message.segment("MSA")[1]) == "AE"
    assert str(message.segment("MSA")[2]) == "C-77"
    assert message.unescape(str(message.segment("MSA")[3])) == "PID-3 is | empty"
    err = message.segment("ERR")
    assert str(err[2]) == "PID^1^3"
    assert str(err[3]) == "101^Required field missing^HL70357"
    assert str(err[4]) == "E"
    assert str(message.segment("MSH")[9]) == "ACK^A01^ACK"
    assert str(message.segment("MSH")[5]) == "EPICADT"


def test_ack_23_puts_the_error_in_err_1_and_leaves_out_msh_9_3():
    header = read_header(V23_DISCHARGE)
    ack = build_ack(header, code="AR", text="No", error_code="200", location="MSH^1^9")
    message = hl7.parse(ack)
    assert str(message.segment("MSH")[9]) == "ACK^A03"
    assert str(message.segment("ERR")[1]) == "MSH^1^9^200&Unsupported message type&HL70357"


def test_accept_ack_has_no_err_segment():
    ack = build_ack(read_header(adt("A01")), code="AA", text="Applied.")
    assert "ERR" not in ack
    assert ack.endswith("\r")
