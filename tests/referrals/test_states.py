"""The state machine: every pair of states, generated from the states themselves."""

import pytest
from django.db import IntegrityError, transaction

from apps.core.exceptions import ApplicationError
from apps.core.models import AuditEvent
from apps.referrals import services
from apps.referrals.models import (
    FINAL_STATES,
    Referral,
    ReferralEvent,
    ReferralEventKind,
    ReferralState,
)
from apps.referrals.states import TRANSITIONS, transitions_from
from tests.referrals.factories import RESULT, details_for, make_referral

S = ReferralState
PAIRS = [(source, target) for source in S.values for target in S.values]
ALLOWED = [pair for pair in PAIRS if pair in TRANSITIONS]
REFUSED = [pair for pair in PAIRS if pair not in TRANSITIONS]
# What the domain asks for (DOMAIN.md section 5); the table must say exactly this.
EXPECTED = {
    (S.DRAFT, S.SENT),
    (S.DRAFT, S.CANCELLED),
    (S.SENT, S.RECEIVED),
    (S.SENT, S.DECLINED),
    (S.SENT, S.CANCELLED),
    (S.SENT, S.UNABLE_TO_CONTACT),
    (S.RECEIVED, S.SCHEDULED),
    (S.RECEIVED, S.DECLINED),
    (S.RECEIVED, S.CANCELLED),
    (S.RECEIVED, S.UNABLE_TO_CONTACT),
    (S.SCHEDULED, S.COMPLETED),
    (S.SCHEDULED, S.RECEIVED),
    (S.SCHEDULED, S.CANCELLED),
    (S.SCHEDULED, S.UNABLE_TO_CONTACT),
    (S.COMPLETED, S.CLOSED),
}


def test_the_transition_table_is_exactly_the_domain_machine():
    assert set(TRANSITIONS) == EXPECTED
    assert len(ALLOWED) + len(REFUSED) == len(S.values) ** 2


def test_finished_states_allow_no_move_and_every_open_state_can_end():
    for state in FINAL_STATES:
        assert transitions_from(state) == []
    for state in (S.SENT, S.RECEIVED, S.SCHEDULED):
        targets = {transition.target for transition in transitions_from(state)}
        assert {S.CANCELLED, S.UNABLE_TO_CONTACT} <= targets


@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_every_allowed_transition_moves_the_referral_and_records_who_and_when(
    source, target, patient, nurse, social_worker, food_service
):
    referral = make_referral(patient, actor=nurse, service=food_service, state=source)
    sequence = referral.state_sequence
    moved = services.referral_transition(
        actor=social_worker, referral=referral, to_state=target, **details_for(target)
    )
    moved.refresh_from_db()
    assert moved.state == target
    assert moved.state_sequence == sequence + 1
    event = moved.events.filter(kind=ReferralEventKind.STATE_CHANGED).last()
    assert (event.from_state, event.to_state, event.actor) == (source, target, social_worker)
    assert AuditEvent.objects.filter(
        object_type="referrals.referral",
        object_id=str(moved.pk),
        detail__from_state=source,
        detail__to_state=target,
    ).exists()
    if target in FINAL_STATES:
        assert moved.remind_at is None
        assert moved.escalate_at is None
        assert moved.ended_at is not None
    else:
        assert moved.remind_at is not None
        assert moved.escalate_at is not None


@pytest.mark.parametrize(("source", "target"), REFUSED)
def test_every_refused_transition_is_refused_with_a_clear_message_and_changes_nothing(
    source, target, patient, nurse, food_service
):
    referral = make_referral(patient, actor=nurse, service=food_service, state=source)
    events = ReferralEvent.objects.filter(referral=referral).count()
    with pytest.raises(ApplicationError) as error:
        services.referral_transition(
            actor=nurse,
            referral=referral,
            to_state=target,
            reason="A reason",
            **RESULT,
        )
    message = error.value.message
    assert S(source).label in message
    if source not in FINAL_STATES and source != target:
        assert S(target).label in message
        for allowed in transitions_from(source):
            assert S(allowed.target).label in message
    assert error.value.field_errors["to_state"] == [message]
    fresh = Referral.objects.get(pk=referral.pk)
    assert fresh.state == source
    assert fresh.state_sequence == referral.state_sequence
    assert ReferralEvent.objects.filter(referral=referral).count() == events


def test_an_unknown_state_is_refused_by_name(referral, nurse):
    with pytest.raises(ApplicationError) as error:
        services.referral_transition(actor=nurse, referral=referral, to_state="lost")
    assert "'lost' is not a referral state" in error.value.message


@pytest.mark.parametrize(
    ("source", "target"),
    [pair for pair in ALLOWED if TRANSITIONS[pair].needs_reason],
)
def test_declining_cancelling_or_unable_to_contact_needs_a_reason(
    source, target, patient, nurse, food_service
):
    referral = make_referral(patient, actor=nurse, service=food_service, state=source)
    with pytest.raises(ApplicationError) as error:
        services.referral_transition(actor=nurse, referral=referral, to_state=target, reason="  ")
    assert "reason" in error.value.field_errors
    assert Referral.objects.get(pk=referral.pk).state == source


@pytest.mark.parametrize("missing", ["result_summary", "result_reported_by"])
def test_closing_needs_what_happened_and_who_reported_it(missing, patient, nurse, food_service):
    referral = make_referral(patient, actor=nurse, service=food_service, state=S.COMPLETED)
    details = dict(RESULT)
    details[missing] = " "
    with pytest.raises(ApplicationError) as error:
        services.referral_transition(actor=nurse, referral=referral, to_state=S.CLOSED, **details)
    assert missing in error.value.field_errors
    assert Referral.objects.get(pk=referral.pk).state == S.COMPLETED


def test_closing_documents_the_result_with_who_and_when(patient, nurse, food_service):
    referral = make_referral(patient, actor=nurse, service=food_service, state=S.CLOSED)
    referral.refresh_from_db()
    assert referral.result_summary == RESULT["result_summary"]
    assert referral.result_reported_by == RESULT["result_reported_by"]
    assert referral.result_documented_by == nurse
    assert referral.result_documented_at is not None


def test_sending_needs_recorded_consent(patient, nurse, food_service):
    referral = make_referral(patient, actor=nurse, service=food_service, consent=False)
    with pytest.raises(ApplicationError) as error:
        services.referral_transition(actor=nurse, referral=referral, to_state=S.SENT)
    assert "consent_given" in error.value.field_errors
    services.referral_record_consent(
        actor=nurse, referral=referral, consent_given=True, consent_method="written"
    )
    sent = services.referral_transition(actor=nurse, referral=referral, to_state=S.SENT)
    assert sent.state == S.SENT
    assert sent.sent_at is not None


def test_the_database_refuses_a_closed_loop_without_a_documented_result(
    patient, nurse, food_service
):
    referral = make_referral(patient, actor=nurse, service=food_service, state=S.COMPLETED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(
            state=S.CLOSED, remind_at=None, escalate_at=None
        )
    closed = make_referral(patient, actor=nurse, service=food_service, state=S.CLOSED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=closed.pk).update(result_summary="   ")


def test_the_database_refuses_an_ended_referral_without_a_reason(patient, nurse, food_service):
    referral = make_referral(patient, actor=nurse, service=food_service, state=S.SENT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(
            state=S.DECLINED, state_reason="", remind_at=None, escalate_at=None
        )


def test_the_database_refuses_a_sent_referral_without_consent(patient, nurse, food_service):
    referral = make_referral(patient, actor=nurse, service=food_service, state=S.SENT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(
            consent_given=False, consent_method="", consent_recorded_at=None
        )
