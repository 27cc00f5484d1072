"""A40 merges and A06/A07 class changes are queued for a person, both records side by side."""

import pytest
from django.core.exceptions import PermissionDenied

from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditEvent
from apps.interop.models import AdtMessage, AdtStatus, MatchKind, MatchStatus, PatientMatchRequest
from apps.interop.services import patient_match_dismiss, patient_match_resolve
from apps.patients.services import patient_identifier_add
from apps.transitions.models import Handoff
from tests import factories
from tests.interop.doors import msa
from tests.interop.messages import adt


def test_an_a40_merge_is_queued_for_review_with_both_records_side_by_side(
    door, known_patient, team, org_admin, nurse, client_for
):
    duplicate = factories.make_patient(
        team, actor=org_admin, given_name="Rosa", family_name="Garcia", mrn="MRN0099"
    )
    patient_identifier_add(
        actor=org_admin, patient=duplicate, assigning_authority="GENHOSP", value="OLD77"
    )

    reply = door.send(
        adt("A40", control_id="M1", pv1=False, extra_segments=("MRG|OLD77^^^GENHOSP^MR",))
    )

    code, _control_id, text = msa(reply.acks[0])
    assert code == "AA"
    assert "review" in text
    assert AdtMessage.objects.get(control_id="M1").status == AdtStatus.REVIEW
    review = PatientMatchRequest.objects.get(message__control_id="M1")
    assert review.kind == MatchKind.MERGE
    assert (review.patient, review.other_patient) == (known_patient, duplicate)
    page = client_for(nurse).get(f"/interop/matches/{review.pk}/").content.decode()
    assert "MRN MRN0001" in page
    assert "MRN MRN0099" in page
    queue = client_for(nurse).get("/interop/matches/").content.decode()
    assert "Merge of two records (A40)" in queue


@pytest.mark.parametrize("event", ["A06", "A07"])
def test_a_class_change_is_queued_for_review_and_changes_nothing(door, known_patient, nurse, event):
    door.send(adt("A01", control_id="C1", visit_number="V5", patient_class="O"))

    reply = door.send(adt(event, control_id="C2", visit_number="V5", patient_class="I"))

    assert msa(reply.acks[0])[0] == "AA"
    review = PatientMatchRequest.objects.get(message__control_id="C2")
    assert review.kind == MatchKind.CLASS_CHANGE
    assert ["Patient class", "I", "O"] in review.review["rows"]
    assert Handoff.objects.get(visit_number="V5").patient_class == "O"


def test_a_review_is_closed_with_a_note_never_applied_as_a_match(door, known_patient, nurse):
    door.send(adt("A01", control_id="C3", visit_number="V6", patient_class="O"))
    door.send(adt("A06", control_id="C4", visit_number="V6", patient_class="I"))
    review = PatientMatchRequest.objects.get(message__control_id="C4")

    with pytest.raises(ApplicationError):
        patient_match_resolve(actor=nurse, request=review, patient=known_patient)
    closed = patient_match_dismiss(actor=nurse, request=review, reason="Visit corrected by hand")

    assert closed.status == MatchStatus.REVIEWED
    # A later message for the same person is applied, not held behind the review.
    reply = door.send(adt("A08", control_id="C5", visit_number="V6", patient_class="I"))
    assert AdtMessage.objects.get(control_id="C5").status == AdtStatus.APPLIED
    assert msa(reply.acks[0])[0] == "AA"


def test_a_review_naming_a_patient_of_another_team_is_not_shown_to_that_teams_outsiders(
    door, known_patient, team, org_admin, nurse, outsider, client_for
):
    """A nurse who works the queue on another team sees the requests that name nobody yet,
    never a merge showing two records of a team she is not on."""
    duplicate = factories.make_patient(team, actor=org_admin, mrn="MRN0098")
    patient_identifier_add(
        actor=org_admin, patient=duplicate, assigning_authority="GENHOSP", value="OLD78"
    )
    door.send(adt("A01", control_id="U1", identifiers="Z999^^^GENHOSP^MR", name="Unknown^Person"))
    queued = PatientMatchRequest.objects.get(message__control_id="U1")
    door.send(adt("A40", control_id="M2", pv1=False, extra_segments=("MRG|OLD78^^^GENHOSP^MR",)))
    review = PatientMatchRequest.objects.get(message__control_id="M2")

    queue = client_for(outsider).get("/interop/matches/").content.decode()
    detail = client_for(outsider).get(f"/interop/matches/{review.pk}/")
    closing = client_for(outsider).post(
        f"/interop/matches/{review.pk}/dismiss/", {"reason": "Looked at it"}
    )

    assert "Merge of two records (A40)" not in queue
    assert f"/interop/matches/{queued.pk}/" in queue  # who is this person? stays hers to work
    assert detail.status_code == 404
    assert "MRN0098" not in detail.content.decode()
    assert closing.status_code == 404
    review.refresh_from_db()
    assert review.status == MatchStatus.OPEN
    denied = AuditEvent.objects.filter(
        actor=outsider, action=AuditAction.DENIED, object_id=str(review.pk)
    )
    assert {event.patient_id for event in denied} == {known_patient.pk}
    assert all(event.patient_ids == [duplicate.pk] for event in denied)
    with pytest.raises(PermissionDenied):
        patient_match_dismiss(actor=outsider, request=review, reason="Looked at it")
    own_team_queue = client_for(nurse).get("/interop/matches/").content.decode()
    assert "Merge of two records (A40)" in own_team_queue
