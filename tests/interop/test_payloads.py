"""Several messages in one payload, over both doors: each answered, or all refused with AR."""

from django.utils import timezone

from apps.interop.models import AdtMessage, AdtStatus
from apps.transitions.models import Handoff, HandoffKind
from tests.interop.doors import msa
from tests.interop.messages import adt


def batch(*messages: str, count: int | None = None, trailer: bool = True) -> str:
    body = "".join(messages)
    total = len(messages) if count is None else count
    head = "FHS|^~\\&|EPICADT|GENHOSP|CAREGRAPH|NORTHSIDE|20250101120000||||F-77\r"
    head += "BHS|^~\\&|EPICADT|GENHOSP|CAREGRAPH|NORTHSIDE|20250101120000||||B-77\r"
    tail = f"BTS|{total}\rFTS|1\r" if trailer else ""
    return head + body + tail


def test_several_messages_in_one_payload_are_each_processed_and_acknowledged(
    door, known_patient, nurse
):
    admitted = adt("A01", control_id="P-1")
    discharged = adt("A03", control_id="P-2", discharged_at=timezone.now(), disposition="01")

    reply = door.send(admitted + discharged, expect=2)

    assert [msa(ack)[:2] for ack in reply.acks] == [("AA", "P-1"), ("AA", "P-2")]
    assert Handoff.objects.filter(kind=HandoffKind.DISCHARGE).count() == 1
    assert set(AdtMessage.objects.values_list("control_id", "status")) == {
        ("P-1", AdtStatus.APPLIED),
        ("P-2", AdtStatus.APPLIED),
    }


def test_one_bad_message_in_a_payload_is_refused_alone_and_the_others_are_applied(
    door, known_patient, nurse
):
    reply = door.send(
        adt("A01", control_id="Q-1")
        + adt("A08", control_id="Q-2", birth_date="not-a-date")
        + adt("A08", control_id="Q-3"),
        expect=3,
    )
    assert [msa(ack)[:2] for ack in reply.acks] == [("AA", "Q-1"), ("AE", "Q-2"), ("AA", "Q-3")]
    assert AdtMessage.objects.count() == 3


def test_a_batch_file_gets_every_message_processed_and_acknowledged(door, known_patient, nurse):
    payload = batch(
        adt("A01", control_id="B-1"),
        adt("A03", control_id="B-2", discharged_at=timezone.now(), disposition="01"),
    )

    reply = door.send(payload, expect=2)

    assert [msa(ack)[:2] for ack in reply.acks] == [("AA", "B-1"), ("AA", "B-2")]
    assert Handoff.objects.filter(kind=HandoffKind.DISCHARGE).count() == 1
    if door.name == "http":  # a batch acknowledgment: BHS-12 names the batch, BTS-1 counts
        text = reply.body.decode()
        assert text.startswith("FHS|")
        assert "|B-77\r" in text
        assert "\rBTS|2\rFTS|1\r" in text


def test_a_batch_whose_count_does_not_add_up_is_refused_whole_with_ar(door, known_patient, nurse):
    payload = batch(adt("A01", control_id="N-1"), adt("A08", control_id="N-2"), count=3)

    reply = door.send(payload, expect=1)

    assert len(reply.acks) == 1
    code, control_id, text = msa(reply.acks[0])
    assert (code, control_id) == ("AR", "B-77")
    assert "BTS-1 counts 3 messages but 2" in text
    assert not Handoff.objects.exists()
    stored = AdtMessage.objects.get()
    assert (stored.status, stored.control_id) == (AdtStatus.REJECTED, "")
    assert "N-2" in stored.raw


def test_a_batch_cut_short_is_refused_whole_with_ar(door, known_patient, nurse):
    reply = door.send(batch(adt("A01", control_id="T-1"), trailer=False), expect=1)
    assert msa(reply.acks[0])[0] == "AR"
    assert "trailer" in msa(reply.acks[0])[2]
    assert not Handoff.objects.exists()
    assert not AdtMessage.objects.filter(control_id="T-1").exists()


def test_two_messages_reaching_the_service_as_one_are_refused_never_half_applied(
    interface, known_patient, nurse
):
    from apps.interop.services import adt_receive

    result = adt_receive(
        actor=interface, raw=adt("A01", control_id="S-1") + adt("A08", control_id="S-2")
    )
    assert (result.ack_code, msa(result.ack)[1]) == ("AR", "S-1")
    assert "second MSH" in msa(result.ack)[2]
    assert not Handoff.objects.exists()
