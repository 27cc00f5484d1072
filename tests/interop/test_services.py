from datetime import timedelta

import hl7
import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from apps.core.exceptions import ApplicationError, NotFoundError
from apps.core.models import AuditAction, AuditEvent
from apps.interop.models import AdtMessage, AdtStatus, MatchStatus, PatientMatchRequest
from apps.interop.selectors import adt_message_raw_for_user, match_queue_for_user
from apps.interop.services import adt_receive, patient_match_dismiss, patient_match_resolve
from apps.patients.models import PatientIdentifier
from apps.patients.services import patient_identifier_add
from apps.tasks.models import Task, TaskStatus
from apps.transitions.models import Episode, EpisodeStatus, FollowUp, Handoff, HandoffKind
from apps.transitions.services import follow_up_schedule
from tests import factories
from tests.interop.messages import V23_DISCHARGE, adt


def msa(ack: str) -> tuple[str, str, str]:
    segment = hl7.parse(ack).segment("MSA")
    return str(segment[1]), str(segment[2]), str(segment[3])


def state() -> tuple[int, int, int, int, int]:
    return (
        Episode.objects.count(),
        Handoff.objects.count(),
        Handoff.objects.filter(cancelled_at__isnull=False).count(),
        FollowUp.objects.count(),
        Task.objects.exclude(status=TaskStatus.CANCELLED).count(),
    )


def test_admit_and_discharge_home_apply_with_accept_acks(interface, known_patient, nurse):
    admitted = timezone.now() - timedelta(days=3)
    first = adt_receive(actor=interface, raw=adt("A01", control_id="A1", admitted_at=admitted))
    assert msa(first.ack)[:2] == ("AA", "A1")
    second = adt_receive(
        actor=interface,
        raw=adt(
            "A03",
            control_id="D1",
            admitted_at=admitted,
            discharged_at=timezone.now(),
            disposition="01",
        ),
    )
    assert second.ack_code == "AA"
    discharge = Handoff.objects.get(kind=HandoffKind.DISCHARGE)
    assert discharge.episode.patient == known_patient
    assert discharge.source_reference == "GENHOSP:D1"
    assert FollowUp.objects.filter(handoff=discharge).exists()
    message = AdtMessage.objects.get(control_id="D1")
    assert (message.status, message.patient, message.handoff) == (
        AdtStatus.APPLIED,
        known_patient,
        discharge,
    )
    assert "PID|" in message.raw


def test_the_same_message_twice_gets_the_same_ack_and_changes_nothing(
    interface, known_patient, nurse
):
    raw = adt("A03", control_id="DUP-1", discharged_at=timezone.now(), disposition="01")
    first = adt_receive(actor=interface, raw=raw)
    before = state()
    audits = AuditEvent.objects.count()
    second = adt_receive(actor=interface, raw=raw)
    assert second.duplicate is True
    assert second.ack == first.ack
    assert state() == before
    assert AuditEvent.objects.count() == audits
    assert AdtMessage.objects.count() == 1


def test_a_refused_message_repeated_gets_the_same_refusal(interface, known_patient):
    raw = adt("A13", control_id="R-1")
    first = adt_receive(actor=interface, raw=raw)
    assert first.ack_code == "AE"
    assert adt_receive(actor=interface, raw=raw).ack == first.ack


def test_same_control_id_from_another_sender_is_another_message(interface, known_patient, nurse):
    adt_receive(actor=interface, raw=adt("A01", control_id="1"))
    other = adt_receive(
        actor=interface, raw=adt("A08", control_id="1", sending_facility="OTHERHOSP")
    )
    assert other.duplicate is False
    assert AdtMessage.objects.count() == 2


@pytest.mark.parametrize(
    "raw",
    [
        "garbage",
        adt("R01", message_type="ORU", control_id="X1"),
        adt("A01", version="9.9", control_id="X2"),
    ],
)
def test_rejected_messages_answer_ar_change_nothing_and_are_kept(interface, known_patient, raw):
    before = state()
    result = adt_receive(actor=interface, raw=raw)
    assert result.ack_code == "AR"
    assert state() == before
    stored = AdtMessage.objects.get()
    assert (stored.status, stored.raw) == (
        AdtStatus.REJECTED,
        raw.strip().replace("\n", "\r") if raw != "garbage" else "garbage",
    )


def test_content_errors_answer_ae_with_err_and_change_nothing(interface, known_patient, nurse):
    adt_receive(actor=interface, raw=adt("A01", control_id="OK1"))
    before = state()
    result = adt_receive(
        actor=interface, raw=adt("A03", control_id="BAD1", birth_date="01/01/1950")
    )
    assert result.ack_code == "AE"
    assert "ERR|" in result.ack
    assert state() == before
    assert AdtMessage.objects.get(control_id="BAD1").status == AdtStatus.ERROR


def test_a_service_refusal_is_an_ae_and_rolls_back_everything(interface, known_patient, nurse):
    adt_receive(actor=interface, raw=adt("A01", control_id="P1"))
    adt_receive(
        actor=interface,
        raw=adt("A03", control_id="P2", discharged_at=timezone.now(), disposition="01"),
    )
    before = state()
    result = adt_receive(actor=interface, raw=adt("A11", control_id="P3"))  # after A03: refused
    code, control_id, text = msa(result.ack)
    assert (code, control_id) == ("AE", "P3")
    assert "cancel the discharge first" in text
    assert state() == before


def test_discharge_cancel_by_a13_undoes_the_pending_follow_ups(interface, known_patient, nurse):
    adt_receive(actor=interface, raw=adt("A01", control_id="C1"))
    adt_receive(
        actor=interface,
        raw=adt("A03", control_id="C2", discharged_at=timezone.now(), disposition="01"),
    )
    follow_up = FollowUp.objects.get()
    follow_up_schedule(follow_up_id=follow_up.pk)
    result = adt_receive(actor=interface, raw=adt("A13", control_id="C3"))
    assert result.ack_code == "AA"
    assert set(Task.objects.values_list("status", flat=True)) == {TaskStatus.CANCELLED}
    assert Episode.objects.get().status == EpisodeStatus.IN_CARE


def test_unhandled_event_is_accepted_and_ignored(interface, known_patient):
    result = adt_receive(actor=interface, raw=adt("A28", control_id="IG1"))
    assert result.ack_code == "AA"
    assert AdtMessage.objects.get().status == AdtStatus.IGNORED
    assert not Episode.objects.exists()


def test_a_patient_is_never_matched_by_name_unmatched_messages_wait_in_the_queue(
    interface, patient, nurse
):
    # Same name and birth date as the fixture patient, but no identifier links them.
    result = adt_receive(
        actor=interface, raw=adt("A01", control_id="U1", name="Garcia^Rosa", birth_date="19500101")
    )
    assert result.ack_code == "AA"
    assert "queued" in msa(result.ack)[2]
    assert not Episode.objects.exists()
    request = PatientMatchRequest.objects.get()
    assert (request.status, request.identifiers) == (MatchStatus.OPEN, ["GENHOSP|H12345"])
    assert AdtMessage.objects.get().status == AdtStatus.UNMATCHED


def test_matching_links_the_identifiers_and_applies_queued_messages_in_order(
    interface, patient, nurse
):
    adt_receive(actor=interface, raw=adt("A01", control_id="Q1"))
    adt_receive(
        actor=interface,
        raw=adt("A03", control_id="Q2", discharged_at=timezone.now(), disposition="01"),
    )
    first = PatientMatchRequest.objects.order_by("id").first()
    assert PatientMatchRequest.objects.filter(status=MatchStatus.OPEN).count() == 2
    patient_match_resolve(actor=nurse, request=first, patient=patient)
    assert PatientIdentifier.objects.filter(
        patient=patient, assigning_authority="GENHOSP", value="H12345"
    ).exists()
    assert not PatientMatchRequest.objects.filter(status=MatchStatus.OPEN).exists()
    kinds = list(
        Handoff.objects.filter(episode__patient=patient)
        .order_by("sequence")
        .values_list("kind", flat=True)
    )
    assert kinds == [HandoffKind.ADMISSION, HandoffKind.DISCHARGE]
    assert set(AdtMessage.objects.values_list("status", flat=True)) == {AdtStatus.APPLIED}
    # the next message matches by itself
    result = adt_receive(actor=interface, raw=adt("A08", control_id="Q3"))
    assert AdtMessage.objects.get(pk=result.message_id).patient == patient


def test_matching_needs_the_rights_and_a_visible_patient(interface, patient, chw, outsider):
    adt_receive(actor=interface, raw=adt("A01", control_id="M1"))
    request = PatientMatchRequest.objects.get()
    for user in (chw, outsider):  # chw lacks change_patient_record; outsider is on another team
        with pytest.raises(PermissionDenied):
            patient_match_resolve(actor=user, request=request, patient=patient)
    request.refresh_from_db()
    assert request.status == MatchStatus.OPEN
    assert not PatientIdentifier.objects.exists()


def test_dismissing_needs_a_reason_and_keeps_the_message_unapplied(interface, patient, nurse):
    adt_receive(actor=interface, raw=adt("A01", control_id="DS1"))
    request = PatientMatchRequest.objects.get()
    with pytest.raises(ApplicationError):
        patient_match_dismiss(actor=nurse, request=request, reason=" ")
    patient_match_dismiss(actor=nurse, request=request, reason="Not our patient")
    request.refresh_from_db()
    assert request.status == MatchStatus.DISMISSED
    assert not Episode.objects.exists()


def test_identifiers_of_two_different_patients_are_refused(
    interface, known_patient, org_admin, team
):
    other = factories.make_patient(team, actor=org_admin)
    patient_identifier_add(actor=org_admin, patient=other, assigning_authority="ENT", value="E1")
    result = adt_receive(
        actor=interface,
        raw=adt("A01", control_id="TWO", identifiers="H12345^^^GENHOSP^MR~E1^^^ENT^PI"),
    )
    assert result.ack_code == "AE"
    assert "205" in result.ack
    assert not Episode.objects.exists()


def test_v23_message_is_processed_end_to_end(interface, patient, org_admin, nurse):
    patient_identifier_add(
        actor=org_admin, patient=patient, assigning_authority="STMARY", value="778899"
    )
    result = adt_receive(actor=interface, raw=V23_DISCHARGE)
    assert result.ack_code == "AA"
    assert "ACK^A03|" in result.ack  # v2.3 style MSH-9
    handoff = Handoff.objects.get(kind=HandoffKind.DISCHARGE)
    assert Handoff.objects.get(kind=HandoffKind.ADMISSION).inferred is True
    assert handoff.visit_number == "SV-42"


def test_only_interface_accounts_send_adt(nurse, known_patient):
    with pytest.raises(PermissionDenied):
        adt_receive(actor=nurse, raw=adt("A01"))
    assert not AdtMessage.objects.exists()


def test_reading_a_raw_message_is_audited_and_hidden_from_other_teams(
    interface, known_patient, nurse, outsider
):
    result = adt_receive(actor=interface, raw=adt("A01", control_id="RAW1"))
    message = adt_message_raw_for_user(user=nurse, message_id=result.message_id)
    assert "RAW1" in message.raw
    assert AuditEvent.objects.filter(
        actor=nurse, action=AuditAction.VIEW, object_type="interop.adtmessage"
    ).exists()
    with pytest.raises(NotFoundError):
        adt_message_raw_for_user(user=outsider, message_id=result.message_id)
    assert AuditEvent.objects.filter(actor=outsider, action=AuditAction.DENIED).exists()


def test_match_queue_shows_only_to_coordinators_of_the_organisation(
    interface, patient, nurse, pharmacist
):
    adt_receive(actor=interface, raw=adt("A01", control_id="MQ1"))
    assert len(match_queue_for_user(user=nurse)) == 1
    assert match_queue_for_user(user=pharmacist) == []
    stranger_org = factories.make_organisation()
    stranger = factories.make_member(factories.make_team(stranger_org))
    assert match_queue_for_user(user=stranger) == []


def test_one_hospital_identifier_names_a_patient_in_each_organisation_separately(
    interface, known_patient, nurse
):
    # The same person, enrolled with a second organisation fed by the same hospital.
    elsewhere = factories.make_organisation()
    elsewhere_team = factories.make_team(elsewhere)
    elsewhere_admin = factories.make_user(elsewhere, is_staff=True, is_superuser=True)
    elsewhere_patient = factories.make_patient(elsewhere_team, actor=elsewhere_admin)
    patient_identifier_add(
        actor=elsewhere_admin,
        patient=elsewhere_patient,
        assigning_authority="GENHOSP",
        value="H12345",
    )
    elsewhere_interface = factories.make_user(elsewhere, username="hl7-b", is_interface=True)

    ours = adt_receive(actor=interface, raw=adt("A01", control_id="X1"))
    theirs = adt_receive(actor=elsewhere_interface, raw=adt("A01", control_id="X1"))

    assert (ours.ack_code, theirs.ack_code) == ("AA", "AA")
    assert Episode.objects.filter(patient=known_patient).count() == 1
    assert Episode.objects.filter(patient=elsewhere_patient).count() == 1
    assert AdtMessage.objects.get(pk=ours.message_id).patient == known_patient
    assert AdtMessage.objects.get(pk=theirs.message_id).patient == elsewhere_patient


def test_matching_an_identifier_another_organisation_also_holds_succeeds_and_tells_nothing(
    interface, patient, nurse, org_admin
):
    elsewhere = factories.make_organisation()
    elsewhere_admin = factories.make_user(elsewhere, is_staff=True, is_superuser=True)
    patient_identifier_add(
        actor=elsewhere_admin,
        patient=factories.make_patient(factories.make_team(elsewhere), actor=elsewhere_admin),
        assigning_authority="GENHOSP",
        value="H12345",
    )
    queued = adt_receive(actor=interface, raw=adt("A01", control_id="Q1"))
    assert queued.status == AdtStatus.UNMATCHED
    request = PatientMatchRequest.objects.get(message_id=queued.message_id)

    patient_match_resolve(actor=nurse, request=request, patient=patient)

    assert PatientIdentifier.objects.filter(
        patient=patient, organisation=patient.organisation, value="H12345"
    ).exists()
    assert Episode.objects.filter(patient=patient).count() == 1
