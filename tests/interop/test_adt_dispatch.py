"""What each ADT event does to the chart, through the real `adt_receive`: rows, not only ACKs."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from apps.accounts.models import User
from apps.interop.models import AdtMessage, AdtStatus
from apps.interop.services import adt_receive
from apps.transitions.models import (
    ChecklistItem,
    Episode,
    EpisodeStatus,
    FollowUp,
    Handoff,
    HandoffKind,
    Setting,
)
from tests.interop.messages import adt


def send(interface: User, event: str, control_id: str, **fields: Any) -> AdtMessage:
    result = adt_receive(actor=interface, raw=adt(event, control_id=control_id, **fields))
    assert result.ack_code == "AA", result.ack
    assert result.message_id is not None
    return AdtMessage.objects.get(pk=result.message_id)


def chain() -> list[tuple[str, str, str]]:
    return [
        (handoff.kind, handoff.from_setting, handoff.to_setting)
        for handoff in Handoff.objects.order_by("episode_id", "sequence")
    ]


# --- A02 transfer -------------------------------------------------------------------------


def test_a02_moves_the_patient_within_the_stay_to_the_new_location(interface, known_patient):
    send(interface, "A01", "ADM1", location="3W^301^A^GENHOSP")
    message = send(interface, "A02", "TRF1", location="ICU^4^B^GENHOSP")
    admission, transfer = Handoff.objects.order_by("sequence")
    assert transfer.kind == HandoffKind.TRANSFER
    assert transfer.episode_id == admission.episode_id
    assert (admission.location, transfer.location) == ("3W 301-A", "ICU 4-B")
    assert (transfer.from_setting, transfer.to_setting) == (Setting.HOSPITAL, Setting.HOSPITAL)
    assert (transfer.visit_number, transfer.source_reference) == ("V1", "GENHOSP:TRF1")
    assert transfer.patient_class == "I"
    assert transfer.inferred is False
    assert transfer.cancelled_at is None
    episode = Episode.objects.get()
    assert (episode.status, episode.patient) == (EpisodeStatus.IN_CARE, known_patient)
    # a move inside the hospital is not a discharge: no checklist, no follow-up
    assert not ChecklistItem.objects.filter(handoff=transfer).exists()
    assert not FollowUp.objects.exists()
    assert (message.status, message.patient, message.handoff) == (
        AdtStatus.APPLIED,
        known_patient,
        transfer,
    )


def test_a02_for_a_stay_never_admitted_here_records_an_inferred_admission(interface, known_patient):
    send(interface, "A02", "TRF2", location="ICU^4^B^GENHOSP")
    admission, transfer = Handoff.objects.order_by("sequence")
    assert (admission.kind, admission.inferred) == (HandoffKind.ADMISSION, True)
    assert (transfer.kind, transfer.location) == (HandoffKind.TRANSFER, "ICU 4-B")
    assert Episode.objects.get().status == EpisodeStatus.IN_CARE


# --- A04 registration ---------------------------------------------------------------------


def test_a04_outpatient_registration_is_not_a_transition(interface, known_patient):
    message = send(interface, "A04", "REG-O", patient_class="O", location="CLINIC^^^GENHOSP")
    assert not Episode.objects.exists()
    assert not Handoff.objects.exists()
    assert (message.status, message.patient, message.handoff) == (
        AdtStatus.APPLIED,
        known_patient,
        None,
    )
    assert "nothing to change" in message.ack_text


def test_a04_emergency_registration_starts_an_episode_in_the_ed(interface, known_patient):
    message = send(interface, "A04", "REG-E", patient_class="E", location="ED^12^^GENHOSP")
    registration = Handoff.objects.get()
    assert (registration.kind, registration.from_setting, registration.to_setting) == (
        HandoffKind.REGISTRATION,
        Setting.HOME,
        Setting.EMERGENCY,
    )
    assert (registration.patient_class, registration.location) == ("E", "ED 12")
    episode = Episode.objects.get()
    assert (episode.status, episode.patient) == (EpisodeStatus.IN_CARE, known_patient)
    assert message.handoff == registration
    assert not FollowUp.objects.exists()


def test_an_ed_treat_and_release_closes_the_episode_without_a_follow_up(interface, known_patient):
    send(interface, "A04", "TR1", patient_class="E", location="ED^12^^GENHOSP")
    send(
        interface,
        "A03",
        "TR2",
        patient_class="E",
        disposition="01",
        discharged_at=timezone.now(),
    )
    assert chain() == [
        (HandoffKind.REGISTRATION, Setting.HOME, Setting.EMERGENCY),
        (HandoffKind.DISCHARGE, Setting.EMERGENCY, Setting.HOME),
    ]
    assert Episode.objects.get().status == EpisodeStatus.CLOSED
    assert not FollowUp.objects.exists()


def test_an_ed_registration_then_admission_is_one_episode_home_ed_hospital(
    interface, known_patient
):
    send(interface, "A04", "EA1", patient_class="E", location="ED^12^^GENHOSP")
    send(interface, "A01", "EA2", patient_class="I", location="3W^301^A^GENHOSP")
    send(interface, "A03", "EA3", disposition="01", discharged_at=timezone.now())
    assert chain() == [
        (HandoffKind.REGISTRATION, Setting.HOME, Setting.EMERGENCY),
        (HandoffKind.ADMISSION, Setting.EMERGENCY, Setting.HOSPITAL),
        (HandoffKind.DISCHARGE, Setting.HOSPITAL, Setting.HOME),
    ]
    episode = Episode.objects.get()
    assert episode.status == EpisodeStatus.FOLLOW_UP
    assert FollowUp.objects.filter(handoff__kind=HandoffKind.DISCHARGE).count() == 1


# --- A03: PV1-36 disposition and PV1-37 discharged-to location ---------------------------


@pytest.mark.parametrize(
    ("disposition", "discharged_to", "stored", "destination", "status", "follow_up"),
    [
        # no disposition: the named place says "not home", so the destination is unknown
        # (which still starts the follow-up: a needless call beats a missed one)
        ("", "SUNRISE MANOR", "SUNRISE MANOR", Setting.UNKNOWN, EpisodeStatus.FOLLOW_UP, True),
        # PV1-37 is a DLD: the location is its first component, the date is not kept
        (
            "",
            "SUNRISE MANOR^20240105",
            "SUNRISE MANOR",
            Setting.UNKNOWN,
            EpisodeStatus.FOLLOW_UP,
            True,
        ),
        # neither: home
        ("", "", "", Setting.HOME, EpisodeStatus.FOLLOW_UP, True),
        # a disposition wins over the location, which is still kept
        ("03", "SUNRISE MANOR", "SUNRISE MANOR", Setting.SNF, EpisodeStatus.IN_TRANSIT, False),
    ],
    ids=["location-only", "location-with-date", "neither", "disposition-wins"],
)
def test_a03_stores_pv1_37_and_uses_it_when_pv1_36_is_empty(
    interface, known_patient, disposition, discharged_to, stored, destination, status, follow_up
):
    admitted = timezone.now() - timedelta(days=3)
    send(interface, "A01", "DT1", admitted_at=admitted)
    message = send(
        interface,
        "A03",
        "DT2",
        admitted_at=admitted,
        discharged_at=timezone.now(),
        disposition=disposition,
        discharged_to=discharged_to,
    )
    discharge = Handoff.objects.get(kind=HandoffKind.DISCHARGE)
    assert message.handoff == discharge
    assert (discharge.discharged_to, discharge.disposition) == (stored, disposition)
    assert (discharge.from_setting, discharge.to_setting) == (Setting.HOSPITAL, destination)
    assert Episode.objects.get().status == status
    assert FollowUp.objects.filter(handoff=discharge).exists() is follow_up


def test_pv1_37_is_not_stored_on_an_admission(interface, known_patient):
    send(interface, "A01", "NT1", discharged_to="SUNRISE MANOR", disposition="03")
    admission = Handoff.objects.get()
    assert (admission.discharged_to, admission.disposition) == ("", "")
    assert admission.to_setting == Setting.HOSPITAL


# --- PV1-2 patient class ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"), [("I", "I"), ("o", "O"), ("", "")], ids=["I", "lower-o", "blank"]
)
def test_pv1_2_patient_class_is_stored_on_the_admission(interface, known_patient, sent, stored):
    send(interface, "A01", "PC1", patient_class=sent)
    assert Handoff.objects.get(kind=HandoffKind.ADMISSION).patient_class == stored


def test_an_a08_corrects_the_stay_class_and_the_discharge_follows_it(interface, known_patient):
    send(interface, "A01", "PC2", patient_class="I")
    send(interface, "A08", "PC3", patient_class="O")
    admission = Handoff.objects.get(kind=HandoffKind.ADMISSION)
    assert admission.patient_class == "O"
    # the discharge names no class: the corrected class of the stay decides
    send(interface, "A03", "PC4", patient_class="", disposition="01", discharged_at=timezone.now())
    discharge = Handoff.objects.get(kind=HandoffKind.DISCHARGE)
    assert (discharge.patient_class, discharge.to_setting) == ("", Setting.HOME)
    # an outpatient visit ends without the post-discharge follow-up
    assert Episode.objects.get().status == EpisodeStatus.CLOSED
    assert not FollowUp.objects.exists()


def test_pv1_2_on_the_discharge_is_stored_and_an_inpatient_discharge_home_is_followed_up(
    interface, known_patient
):
    send(interface, "A01", "PC5", patient_class="I")
    send(interface, "A03", "PC6", patient_class="I", disposition="01", discharged_at=timezone.now())
    discharge = Handoff.objects.get(kind=HandoffKind.DISCHARGE)
    assert discharge.patient_class == "I"
    assert Episode.objects.get().status == EpisodeStatus.FOLLOW_UP
    assert FollowUp.objects.filter(handoff=discharge).exists()
