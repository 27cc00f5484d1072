"""Reminders and escalations with frozen time: business days, weekends, holidays, closures.

Limits in these tests: Sent / routine reminds after 2 and escalates after 4
business days (set through the settings service).
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import OrganisationClosure
from apps.core.exceptions import ApplicationError
from apps.referrals import services
from apps.referrals.models import (
    Referral,
    ReferralEventKind,
    ReferralState,
    ReferralTimeLimit,
)
from apps.referrals.services.sweep import SweepResult, _sweep_batch, referral_reminder_sweep
from apps.tasks.models import Notification
from apps.teams.models import TeamMembership
from apps.teams.services import team_member_remove, team_member_update
from tests.factories import SETUP
from tests.referrals.factories import SWEEPER, make_referral, move_along

S = ReferralState
NEW_YORK = ZoneInfo("America/New_York")


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


@pytest.fixture
def limits(organisation, org_admin):
    services.referral_settings_get(organisation=organisation)
    limit = ReferralTimeLimit.objects.get(
        settings__organisation=organisation, state=S.SENT, urgency="routine"
    )
    return services.referral_time_limit_update(
        actor=org_admin, limit=limit, remind_after=2, escalate_after=4
    )


def sweep_at(moment: datetime):
    with time_machine.travel(moment, tick=False):
        return referral_reminder_sweep(actor=SWEEPER)


def notes_for(referral: Referral) -> list[Notification]:
    return list(
        Notification.objects.filter(idempotency_key__startswith=f"referral:{referral.pk}:")
        .select_related("recipient")
        .order_by("id")
    )


def sent_on(moment, patient, nurse, owner, service) -> Referral:
    with time_machine.travel(moment, tick=False):
        return make_referral(patient, actor=nurse, service=service, owner=owner, state=S.SENT)


def test_limits_count_business_days_skipping_the_weekend_and_a_public_holiday(
    limits, patient, nurse, social_worker, food_service
):
    # Friday 6 Nov 2026; Wednesday 11 Nov is Veterans Day.
    referral = sent_on(at(2026, 11, 6), patient, nurse, social_worker, food_service)
    assert referral.remind_at == at(2026, 11, 10)  # Mon 9, Tue 10
    assert referral.escalate_at == at(2026, 11, 13)  # Mon, Tue, (Wed holiday), Thu, Fri

    assert sweep_at(at(2026, 11, 9, 23, 59)).reminders == 0
    assert sweep_at(at(2026, 11, 10, 9, 59)).reminders == 0
    assert notes_for(referral) == []

    first = sweep_at(at(2026, 11, 10, 10, 0))
    assert (first.reminders, first.escalations) == (1, 0)
    [reminder] = notes_for(referral)
    assert reminder.recipient == social_worker
    assert reminder.kind == "referral_reminder"
    assert reminder.idempotency_key == f"referral:{referral.pk}:sent:2:reminder"

    # Thursday would be the fourth business day without the holiday: no escalation yet.
    assert sweep_at(at(2026, 11, 12, 10, 0)).escalations == 0
    escalation = sweep_at(at(2026, 11, 13, 10, 0))
    assert (escalation.reminders, escalation.escalations) == (0, 1)
    _reminder, escalation_note = notes_for(referral)
    assert escalation_note.recipient == nurse  # the lead coordinator
    assert escalation_note.kind == "referral_escalation"

    again = sweep_at(at(2026, 11, 20))
    assert (again.reminders, again.escalations) == (0, 0)
    assert len(notes_for(referral)) == 2
    kinds = list(referral.events.values_list("kind", flat=True))
    assert kinds.count(ReferralEventKind.REMINDED) == 1
    assert kinds.count(ReferralEventKind.ESCALATED) == 1


def test_a_reminder_due_on_thanksgiving_waits_for_the_next_business_day(
    organisation, org_admin, patient, nurse, social_worker, food_service
):
    services.referral_settings_get(organisation=organisation)
    limit = ReferralTimeLimit.objects.get(
        settings__organisation=organisation, state=S.SENT, urgency="urgent"
    )
    services.referral_time_limit_update(
        actor=org_admin, limit=limit, remind_after=1, escalate_after=2
    )
    with time_machine.travel(at(2026, 11, 25, 15, 30), tick=False):  # Wednesday
        referral = make_referral(
            patient,
            actor=nurse,
            service=food_service,
            owner=social_worker,
            state=S.SENT,
            urgency="urgent",
        )
    assert referral.remind_at == at(2026, 11, 27, 15, 30)  # Thursday 26 is Thanksgiving
    assert referral.escalate_at == at(2026, 11, 30, 15, 30)  # over the weekend
    assert sweep_at(at(2026, 11, 26, 18, 0)).reminders == 0
    assert sweep_at(at(2026, 11, 27, 15, 30)).reminders == 1
    assert sweep_at(at(2026, 11, 29, 23, 0)).escalations == 0
    assert sweep_at(at(2026, 11, 30, 15, 30)).escalations == 1


def test_an_organisation_closure_day_does_not_count(
    limits, organisation, patient, nurse, social_worker, food_service
):
    OrganisationClosure.objects.create(
        organisation=organisation, date=date(2026, 11, 10), name="Staff training"
    )
    referral = sent_on(at(2026, 11, 6), patient, nurse, social_worker, food_service)
    assert referral.remind_at == at(2026, 11, 12)  # Mon 9, (Tue closed), (Wed holiday), Thu 12
    assert sweep_at(at(2026, 11, 11, 12)).reminders == 0
    assert sweep_at(at(2026, 11, 12, 10)).reminders == 1


def test_a_sweep_after_an_outage_sends_both_steps_once(
    limits, patient, nurse, social_worker, food_service
):
    referral = sent_on(at(2026, 11, 6), patient, nurse, social_worker, food_service)
    result = sweep_at(at(2026, 12, 1))
    assert (result.reminders, result.escalations) == (1, 1)
    assert sorted(note.kind for note in notes_for(referral)) == [
        "referral_escalation",
        "referral_reminder",
    ]
    assert sweep_at(at(2026, 12, 2)).reminders == 0
    assert len(notes_for(referral)) == 2


@pytest.mark.parametrize("sweeps", [[(2026, 11, 10), (2026, 11, 13)], [(2026, 12, 1)]])
def test_a_referral_owned_by_the_lead_tells_the_lead_once_per_limit_crossed(
    limits, patient, nurse, food_service, sweeps
):
    """The lead owns it: the reminder and the escalation tell of one event, so one note,
    whether the two steps fall due on different days or in one sweep after an outage."""
    referral = sent_on(at(2026, 11, 6), patient, nurse, nurse, food_service)
    for day in sweeps:
        sweep_at(at(*day))
    assert [note.recipient for note in notes_for(referral)] == [nurse]
    referral.refresh_from_db()
    assert referral.reminder_sent_at is not None
    assert referral.escalation_sent_at is not None


def test_entering_a_state_again_brings_new_reminders_but_a_repeat_sweep_none(
    organisation, patient, nurse, social_worker, food_service
):
    with time_machine.travel(at(2026, 11, 2), tick=False):
        referral = make_referral(
            patient, actor=nurse, service=food_service, owner=social_worker, state=S.RECEIVED
        )
    received_reminder = referral.remind_at
    assert sweep_at(received_reminder).reminders == 1
    with time_machine.travel(at(2026, 11, 20), tick=False):
        referral = move_along(referral, actor=nurse, path=[S.SCHEDULED])
        referral = services.referral_transition(
            actor=nurse, referral=referral, to_state=S.RECEIVED, reason="Missed, to rebook"
        )
    assert referral.reminder_sent_at is None
    assert referral.remind_at > received_reminder
    assert sweep_at(referral.remind_at).reminders == 1
    assert sweep_at(referral.remind_at).reminders == 0
    keys = [note.idempotency_key for note in notes_for(referral)]
    assert keys == [
        f"referral:{referral.pk}:received:3:reminder",
        f"referral:{referral.pk}:received:5:reminder",
    ]


def test_leaving_a_state_before_its_limit_cancels_its_reminder(
    limits, patient, nurse, social_worker, food_service
):
    referral = sent_on(at(2026, 11, 6), patient, nurse, social_worker, food_service)
    with time_machine.travel(at(2026, 11, 9), tick=False):
        move_along(referral, actor=nurse, path=[S.RECEIVED])
    result = sweep_at(at(2026, 11, 10, 10))
    assert result.reminders == 0
    assert notes_for(referral) == []


def test_snoozing_moves_the_reminder_and_the_end_of_the_snooze_reminds_once_more(
    limits, patient, nurse, social_worker, food_service
):
    referral = sent_on(at(2026, 11, 6), patient, nurse, social_worker, food_service)
    assert sweep_at(at(2026, 11, 10, 10)).reminders == 1
    with time_machine.travel(at(2026, 11, 10, 11), tick=False):
        referral = services.referral_snooze(
            actor=social_worker,
            referral=referral,
            until=at(2026, 11, 16, 9),
            reason="Partner calls back Monday",
        )
    # The escalation (Fri 13) would come before the snoozed reminder: it moves to the
    # usual two-business-day gap after it.
    assert referral.remind_at == at(2026, 11, 16, 9)
    assert referral.escalate_at == at(2026, 11, 18, 9)
    assert sweep_at(at(2026, 11, 13, 10)).escalations == 0
    assert sweep_at(at(2026, 11, 16, 8, 59)).reminders == 0
    assert sweep_at(at(2026, 11, 16, 9)).reminders == 1
    assert sweep_at(at(2026, 11, 17, 9)).reminders == 0
    keys = [note.idempotency_key for note in notes_for(referral)]
    assert keys == [
        f"referral:{referral.pk}:sent:2:reminder",
        f"referral:{referral.pk}:sent:2:reminder:snooze1",
    ]
    snoozed = referral.events.get(kind=ReferralEventKind.SNOOZED)
    assert snoozed.note == "Partner calls back Monday"
    assert snoozed.actor == social_worker


def test_a_snooze_needs_a_reason_and_a_time_within_the_limit(
    limits, patient, nurse, social_worker, food_service
):
    referral = sent_on(at(2026, 11, 6), patient, nurse, social_worker, food_service)
    with time_machine.travel(at(2026, 11, 9), tick=False):
        for until, reason, field in [
            (at(2026, 11, 12), " ", "reason"),
            (at(2026, 11, 8), "later", "until"),
            (at(2027, 1, 15), "later", "until"),
        ]:
            with pytest.raises(ApplicationError) as error:
                services.referral_snooze(
                    actor=social_worker, referral=referral, until=until, reason=reason
                )
            assert field in error.value.field_errors
    fresh = Referral.objects.get(pk=referral.pk)
    assert (fresh.remind_at, fresh.snooze_count) == (referral.remind_at, 0)


def test_without_a_lead_the_escalation_goes_to_the_owner_and_says_so(
    limits, team, patient, nurse, social_worker, food_service
):
    referral = sent_on(at(2026, 11, 6), patient, nurse, social_worker, food_service)
    membership = TeamMembership.objects.get(team=team, user=nurse, ended_at__isnull=True)
    team_member_update(actor=SETUP, membership=membership, role=membership.role, is_lead=False)
    sweep_at(at(2026, 11, 13, 10))
    escalation = next(n for n in notes_for(referral) if n.kind == "referral_escalation")
    assert escalation.recipient == social_worker
    assert "no lead coordinator" in escalation.body
    event = referral.events.get(kind=ReferralEventKind.ESCALATED)
    assert event.detail["no_lead"] is True


def test_an_owner_who_left_the_team_is_not_reminded_the_lead_is(
    limits, team, patient, nurse, social_worker, food_service
):
    referral = sent_on(at(2026, 11, 6), patient, nurse, social_worker, food_service)
    team_member_remove(
        actor=SETUP, membership=TeamMembership.objects.get(team=team, user=social_worker)
    )
    sweep_at(at(2026, 11, 10, 10))
    [reminder] = notes_for(referral)
    assert reminder.recipient == nurse


def test_a_sweep_that_dies_mid_batch_loses_nothing_and_the_next_sends_once(
    limits, patient, nurse, social_worker, food_service
):
    referrals = [
        sent_on(at(2026, 11, 6), patient, nurse, social_worker, food_service) for _ in range(3)
    ]
    moment = at(2026, 11, 10, 10)

    class WorkerKilled(Exception):
        pass

    seen: list[int] = []

    def sweep_then_die() -> None:
        with transaction.atomic():
            _sweep_batch(actor=SWEEPER, now=moment, batch_size=10, leads={}, result=SweepResult())
            seen.append(Notification.objects.count())
            raise WorkerKilled

    with time_machine.travel(moment, tick=False), pytest.raises(WorkerKilled):
        sweep_then_die()
    assert seen == [3]
    assert Notification.objects.count() == 0
    assert not Referral.objects.filter(reminder_sent_at__isnull=False).exists()
    assert sweep_at(moment).reminders == 3
    assert sweep_at(moment).reminders == 0
    for referral in referrals:
        assert len(notes_for(referral)) == 1


def test_the_sweep_works_in_batches_until_nothing_is_due(
    limits, patient, nurse, social_worker, food_service
):
    for _ in range(7):
        sent_on(at(2026, 11, 6), patient, nurse, social_worker, food_service)
    with time_machine.travel(at(2026, 11, 10, 10), tick=False):
        result = referral_reminder_sweep(actor=SWEEPER, batch_size=3)
    assert (result.reminders, result.batches) == (7, 3)
    assert Notification.objects.filter(kind="referral_reminder").count() == 7


def test_finished_referrals_are_never_reminded(limits, patient, nurse, social_worker, food_service):
    referral = sent_on(at(2026, 11, 6), patient, nurse, social_worker, food_service)
    with time_machine.travel(at(2026, 11, 7), tick=False):
        services.referral_transition(
            actor=nurse, referral=referral, to_state=S.CANCELLED, reason="Moved away"
        )
    assert sweep_at(at(2027, 1, 1)).reminders == 0
    assert notes_for(referral) == []


def _sweep_queries(moment: datetime) -> tuple[int, int]:
    with time_machine.travel(moment, tick=False), CaptureQueriesContext(connection) as captured:
        result = referral_reminder_sweep(actor=SWEEPER)
    return len(captured), result.reminders


def test_the_sweep_costs_the_same_queries_whatever_is_open_or_due(
    limits, patient, nurse, social_worker, food_service
):
    for _ in range(2):
        sent_on(at(2026, 11, 6), patient, nurse, social_worker, food_service)
    few = _sweep_queries(at(2026, 11, 10, 10))
    for _ in range(12):
        sent_on(at(2026, 11, 9), patient, nurse, social_worker, food_service)
    for _ in range(20):  # not due: they cost nothing
        sent_on(at(2026, 11, 20), patient, nurse, social_worker, food_service)
    many = _sweep_queries(at(2026, 11, 12, 10))
    assert (few[1], many[1]) == (2, 12)
    assert few[0] == many[0]
    assert many[0] <= 11  # with one read of the recipients' notification preferences


def test_changing_a_limit_keeps_the_times_of_referrals_already_in_the_state(
    limits, org_admin, patient, nurse, social_worker, food_service
):
    referral = sent_on(at(2026, 11, 6), patient, nurse, social_worker, food_service)
    services.referral_time_limit_update(
        actor=org_admin, limit=limits, remind_after=5, escalate_after=9
    )
    assert Referral.objects.get(pk=referral.pk).remind_at == at(2026, 11, 10)
    later = sent_on(at(2026, 11, 6), patient, nurse, social_worker, food_service)
    assert later.remind_at == at(2026, 11, 16)  # Mon 9, Tue 10, Thu 12, Fri 13, Mon 16


def test_only_administrators_change_limits_and_escalation_must_follow_the_reminder(
    limits, nurse, org_admin
):
    with pytest.raises(PermissionDenied):
        services.referral_time_limit_update(
            actor=nurse, limit=limits, remind_after=1, escalate_after=3
        )
    with pytest.raises(ApplicationError) as error:
        services.referral_time_limit_update(
            actor=org_admin, limit=limits, remind_after=3, escalate_after=3
        )
    assert "escalate_after_business_days" in error.value.field_errors
    limits.refresh_from_db()
    assert (limits.remind_after_business_days, limits.escalate_after_business_days) == (2, 4)


def test_default_limits_exist_for_every_open_state_and_urgency(organisation):
    settings = services.referral_settings_get(organisation=organisation)
    assert set(settings.by_state) == set(services.DEFAULT_TIME_LIMITS)
    assert all(escalate > remind >= 1 for remind, escalate in settings.by_state.values())


def test_one_referral_that_cannot_be_swept_holds_back_no_other(
    monkeypatch, limits, patient, nurse, social_worker, food_service
):
    from apps.referrals.services import sweep as sweep_module

    referrals = [
        sent_on(at(2026, 11, 6), patient, nurse, social_worker, food_service) for _ in range(7)
    ]
    poisoned = referrals[1]
    send_many = sweep_module.notification_send_many

    def refusing(drafts):
        if any(draft.idempotency_key.startswith(f"referral:{poisoned.pk}:") for draft in drafts):
            raise RuntimeError("cannot write this referral's reminder")
        return send_many(drafts)

    monkeypatch.setattr(sweep_module, "notification_send_many", refusing)
    with time_machine.travel(at(2026, 11, 10, 10), tick=False):
        result = referral_reminder_sweep(actor=SWEEPER, batch_size=3)

    assert result.failed == [poisoned.pk]
    assert result.reminders == 6
    reminded = set(
        Referral.objects.filter(reminder_sent_at__isnull=False).values_list("pk", flat=True)
    )
    assert reminded == {referral.pk for referral in referrals} - {poisoned.pk}
    assert notes_for(poisoned) == []
