"""Contention inside intake is retried; what still cannot be processed is kept and resent."""

import threading
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.utils import timezone

from apps.interop.models import AdtMessage, AdtStatus
from apps.interop.services import adt_message_replay
from apps.patients.models import Patient
from apps.transitions.models import Episode, Handoff, HandoffKind
from tests import factories
from tests.interop.doors import msa
from tests.interop.messages import adt
from tests.threads import held_open


def _deadlock_against_intake(episode_id: int, patient_id: int, ready: threading.Event) -> None:
    """Locks the episode, waits until intake (holding the patient) waits for it, then asks
    for the patient: a lock cycle PostgreSQL breaks by failing intake, the first waiter."""
    try:
        with transaction.atomic():
            Episode.objects.select_for_update().get(pk=episode_id)
            ready.set()
            deadline = time.monotonic() + 15
            with connection.cursor() as cursor:
                while time.monotonic() < deadline:
                    cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                    if cursor.fetchone()[0]:
                        break
                    time.sleep(0.02)
            Patient.objects.select_for_update().get(pk=patient_id)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_deadlock_during_intake_is_retried_and_then_processed(door, known_patient, nurse, caplog):
    admitted = timezone.now() - timedelta(days=2)
    assert msa(door.send(adt("A01", control_id="D1", admitted_at=admitted)).acks[0])[0] == "AA"
    episode = Episode.objects.get(patient=known_patient)
    ready = threading.Event()
    other = threading.Thread(
        target=_deadlock_against_intake, args=(episode.pk, known_patient.pk, ready)
    )
    other.start()
    assert ready.wait(10)

    # To a nursing facility: the deadlock is on the episode, not on follow-up work.
    reply = door.send(adt("A03", control_id="D2", discharged_at=timezone.now(), disposition="03"))
    other.join(20)

    code, control_id, _text = msa(reply.acks[0])
    assert (code, control_id) == ("AA", "D2")
    assert "DeadlockDetected" in caplog.text
    assert Handoff.objects.filter(episode=episode, kind=HandoffKind.DISCHARGE).count() == 1
    stored = AdtMessage.objects.get(control_id="D2")
    assert stored.status == AdtStatus.APPLIED


@pytest.mark.django_db(transaction=True)
def test_persistent_contention_stores_the_message_and_asks_the_sender_to_resend(
    door, known_patient, nurse, settings, organisation
):
    settings.HL7_LOCK_TIMEOUT_MS = 150
    settings.HL7_CONTENTION_ATTEMPTS = 3
    message = adt("A01", control_id="C1", admitted_at=timezone.now() - timedelta(hours=3))

    def lock_the_patient() -> None:
        Patient.objects.select_for_update().get(pk=known_patient.pk)

    with held_open(lock_the_patient):
        reply = door.send(message)

    code, control_id, text = msa(reply.acks[0])
    # AR: refused for a reason unrelated to the content; the engine sends it again.
    assert (code, control_id) == ("AR", "C1")
    assert "send the message again" in text
    assert "206" in reply.acks[0].split("ERR")[1]
    busy = AdtMessage.objects.get(control_id="C1")
    assert busy.status == AdtStatus.BUSY
    assert busy.received_text().strip() == message.strip()
    assert not Handoff.objects.exists()

    # The engine's resend is processed, not answered from the stored refusal.
    resent = door.send(message)
    assert msa(resent.acks[0])[:2] == ("AA", "C1")
    assert Handoff.objects.filter(kind=HandoffKind.ADMISSION).count() == 1

    # Replaying the kept copy afterwards does not admit the patient twice.
    admin = factories.make_staff(
        organisation,
        Permission.objects.filter(content_type__app_label="interop", codename="change_adtmessage"),
        username="interfaces",
    )
    replayed = adt_message_replay(actor=admin, message=busy)
    assert replayed.status == AdtStatus.RESENT
    assert Handoff.objects.filter(kind=HandoffKind.ADMISSION).count() == 1


def test_an_unexpected_failure_asks_the_sender_to_resend_rather_than_blaming_the_message(
    door, known_patient, nurse, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    message = adt("A01", control_id="U1")
    with monkeypatch.context() as patched:
        patched.setattr("apps.interop.services.adt_apply", broken)
        reply = door.send(message)

    code, control_id, text = msa(reply.acks[0])
    # AE would say the content is wrong (a resend fails the same way); AR lets it be resent.
    assert (code, control_id) == ("AR", "U1")
    assert "again later" in text
    assert "207" in reply.acks[0].split("ERR")[1]
    # Kept where the interface team looks (the admin's ADT messages), for replay.
    kept = AdtMessage.objects.get(control_id="U1")
    assert kept.status == AdtStatus.BUSY
    assert kept.ack_code == "AR"
    assert not Handoff.objects.exists()

    # The fault fixed, the engine's resend is processed, not answered from the refusal.
    resent = door.send(message)
    assert msa(resent.acks[0])[:2] == ("AA", "U1")
    assert Handoff.objects.filter(kind=HandoffKind.ADMISSION).count() == 1
