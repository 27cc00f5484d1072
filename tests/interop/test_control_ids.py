"""A control id is not proof of a repeat: sender + control id + content identify a resend."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditEvent
from apps.interop.models import AdtMessage, AdtStatus
from apps.interop.services import adt_message_dismiss, adt_message_replay, adt_receive
from apps.transitions.models import Handoff, HandoffKind
from tests import factories
from tests.interop.doors import msa
from tests.interop.messages import adt


def restamped(raw: str, sent_at: str = "20000101000000") -> str:
    """The same message with another MSH-7, as an engine resending it may stamp it."""
    return re.sub(r"^(MSH(?:\|[^|\r]*){5})\|[^|\r]*", rf"\1|{sent_at}", raw)


def staff_with_replay_right(organisation):
    return factories.make_staff(
        organisation,
        Permission.objects.filter(
            content_type__app_label="interop", codename__in=["change_adtmessage", "view_adtmessage"]
        ),
        username="interfaces",
    )


def test_reused_control_id_with_different_content_gets_ae_not_the_old_ack(
    door, known_patient, nurse
):
    first = door.send(adt("A01", control_id="REUSE1"))
    assert msa(first.acks[0])[:2] == ("AA", "REUSE1")

    discharge = adt("A03", control_id="REUSE1", discharged_at=timezone.now(), disposition="01")
    second = door.send(discharge)

    assert second.status == 200
    code, control_id, text = msa(second.acks[0])
    assert (code, control_id) == ("AE", "REUSE1")
    assert "clash" in text
    assert second.acks[0] != first.acks[0]
    assert not Handoff.objects.filter(kind=HandoffKind.DISCHARGE).exists()
    original = AdtMessage.objects.get(control_id="REUSE1", clash_of__isnull=True)
    clash = AdtMessage.objects.get(control_id="REUSE1", clash_of__isnull=False)
    assert (clash.status, clash.clash_of, clash.event_code) == (AdtStatus.CLASH, original, "A03")
    assert clash.raw == discharge.strip("\r")
    assert AuditEvent.objects.filter(
        object_type="interop.adtmessage", object_id=str(clash.pk), action=AuditAction.CREATE
    ).exists()


def test_true_resend_gets_the_stored_ack_and_is_processed_once(door, known_patient, nurse):
    raw = adt("A03", control_id="RESEND1", discharged_at=timezone.now(), disposition="01")
    first = door.send(raw)
    again = door.send(raw)
    restamped_resend = door.send(restamped(raw))

    assert msa(first.acks[0])[:2] == ("AA", "RESEND1")
    assert again.acks == first.acks
    assert restamped_resend.acks == first.acks
    assert Handoff.objects.filter(kind=HandoffKind.DISCHARGE).count() == 1
    assert AdtMessage.objects.filter(control_id="RESEND1").count() == 1


def test_a_clashing_message_sent_again_gets_its_own_stored_ae_and_is_kept_once(
    interface, known_patient, nurse
):
    adt_receive(actor=interface, raw=adt("A01", control_id="C1"))
    clashing = adt("A08", control_id="C1")
    first = adt_receive(actor=interface, raw=clashing)
    again = adt_receive(actor=interface, raw=clashing)
    assert (first.ack_code, again.ack, again.duplicate) == ("AE", first.ack, True)
    assert AdtMessage.objects.filter(status=AdtStatus.CLASH).count() == 1


def test_control_id_reused_after_a_refusal_is_a_clash_too(interface, known_patient):
    refused = adt_receive(actor=interface, raw=adt("A13", control_id="F1"))
    assert refused.ack_code == "AE"
    other = adt_receive(actor=interface, raw=adt("A08", control_id="F1"))
    assert other.ack_code == "AE"
    assert "clash" in msa(other.ack)[2]
    assert AdtMessage.objects.get(pk=other.message_id).status == AdtStatus.CLASH


def test_an_admin_replays_a_clash_and_it_is_applied(interface, known_patient, nurse, organisation):
    adt_receive(actor=interface, raw=adt("A01", control_id="RC1"))
    clash = adt_receive(
        actor=interface,
        raw=adt("A03", control_id="RC1", discharged_at=timezone.now(), disposition="01"),
    )
    message = AdtMessage.objects.get(pk=clash.message_id)

    replayed = adt_message_replay(actor=staff_with_replay_right(organisation), message=message)

    assert replayed.status == AdtStatus.APPLIED
    assert replayed.clash_of_id is not None
    assert Handoff.objects.filter(kind=HandoffKind.DISCHARGE).count() == 1


def test_the_admin_dismiss_action_closes_a_clash_unapplied(
    client_for, interface, known_patient, organisation
):
    adt_receive(actor=interface, raw=adt("A01", control_id="DC1"))
    clash = adt_receive(actor=interface, raw=adt("A08", control_id="DC1"))
    admin = staff_with_replay_right(organisation)

    listing = client_for(admin).get("/admin/interop/adtmessage/?status=clash")
    assert listing.status_code == 200
    assert "DC1" in listing.content.decode()
    response = client_for(admin).post(
        "/admin/interop/adtmessage/",
        {"action": "dismiss", "_selected_action": [clash.message_id]},
        follow=True,
    )

    assert "Dismissed: 1." in response.content.decode()
    message = AdtMessage.objects.get(pk=clash.message_id)
    assert message.status == AdtStatus.DISMISSED
    assert message.ack_code == "AE"  # what the sender was told stays on record
    event = AuditEvent.objects.get(object_id=str(message.pk), action=AuditAction.UPDATE)
    assert (event.actor, event.detail["to"]) == (admin, AdtStatus.DISMISSED)
    with pytest.raises(ApplicationError, match="Only refused messages"):
        adt_message_replay(actor=admin, message=message)


def test_dismissing_needs_the_admin_right_and_a_reason(
    interface, known_patient, nurse, organisation
):
    adt_receive(actor=interface, raw=adt("A01", control_id="DR1"))
    clash = AdtMessage.objects.get(
        pk=adt_receive(actor=interface, raw=adt("A08", control_id="DR1")).message_id
    )
    with pytest.raises(PermissionDenied):
        adt_message_dismiss(actor=nurse, message=clash, reason="not needed")
    with pytest.raises(ApplicationError):
        adt_message_dismiss(actor=staff_with_replay_right(organisation), message=clash, reason=" ")
    clash.refresh_from_db()
    assert clash.status == AdtStatus.CLASH
