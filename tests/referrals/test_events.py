"""One meaning of "overdue" and one writer of a referral's history, for every reader and door."""

from datetime import timedelta

from django.utils import timezone

from apps.core.models import AuditAction, AuditEvent
from apps.huddles.agenda.base import AgendaContext
from apps.huddles.agenda.loops import overdue_referrals
from apps.referrals import selectors, services
from apps.referrals.models import Referral, ReferralState
from apps.referrals.services.sweep import referral_reminder_sweep
from tests.referrals.factories import SWEEPER, make_referral, move_along

S = ReferralState


def _audits_of(referral: Referral) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type="referrals.referral",
            object_id=str(referral.pk),
            action__in=[AuditAction.CREATE, AuditAction.UPDATE],
        ).order_by("id")
    )


def test_every_referral_event_writes_its_timeline_line_and_one_audit_event_together(
    patient, nurse, social_worker, chw, food_service
):
    referral = make_referral(patient, actor=nurse, service=food_service, owner=social_worker)
    referral = services.referral_update(actor=nurse, referral=referral, urgency="urgent")
    referral = move_along(referral, actor=nurse, path=[S.SENT])
    referral = services.referral_reassign(
        actor=nurse, referral=referral, owner=chw, reason="Speaks the patient's language"
    )
    referral = services.referral_snooze(
        actor=chw,
        referral=referral,
        until=timezone.now() + timedelta(days=1),
        reason="Partner closed today",
    )
    past = timezone.now() - timedelta(minutes=1)
    Referral.objects.filter(pk=referral.pk).update(remind_at=past, escalate_at=past)
    assert referral_reminder_sweep(actor=SWEEPER).reminders == 1

    timeline = list(referral.events.order_by("occurred_at", "id"))
    audits = _audits_of(referral)
    assert [audit.detail["event"] for audit in audits] == [event.kind for event in timeline]
    assert [event.kind for event in timeline] == [
        "created",
        "consent_recorded",
        "updated",
        "state_changed",
        "reassigned",
        "snoozed",
        "reminded",
        "escalated",
    ]
    people = [(event.actor, audit.actor) for event, audit in zip(timeline, audits, strict=True)]
    assert people[:6] == [(nurse, nurse)] * 5 + [(chw, chw)]
    assert people[6:] == [(None, None)] * 2  # the sweep acts for no one person
    assert all(audit.detail.get("job") == "referrals.reminder_sweep" for audit in audits[6:])
    # The reasons stay on the timeline; the audit trail holds names of fields only.
    assert "language" in timeline[4].note
    assert not any("language" in str(audit.detail) for audit in audits)
    assert audits[3].detail["from_state"] == S.DRAFT
    assert audits[3].detail["to_state"] == S.SENT


def test_a_referral_is_overdue_alike_on_its_page_the_board_and_the_huddle_agenda(
    team, patient, nurse, social_worker, food_service
):
    now = timezone.now()
    waiting = make_referral(
        patient, actor=nurse, service=food_service, owner=social_worker, state=S.SENT
    )
    not_yet = make_referral(
        patient, actor=nurse, service=food_service, owner=social_worker, state=S.SENT
    )
    # A finished loop has no time limits left: it is over, never late.
    make_referral(patient, actor=nurse, service=food_service, owner=social_worker, state=S.CLOSED)
    Referral.objects.filter(pk=waiting.pk).update(remind_at=now - timedelta(days=1))
    Referral.objects.filter(pk=not_yet.pk).update(remind_at=now + timedelta(days=1))

    rows = {row.pk: row for row in Referral.objects.filter(patient=patient)}
    on_page = {pk for pk, row in rows.items() if row.is_overdue(now)}
    in_queryset = set(Referral.objects.overdue(now).values_list("pk", flat=True))
    board = selectors.referral_board_for_user(user=nurse, overdue_only=True)
    on_board = {row.pk for row in board.referrals}
    board_count = sum(summary.overdue for summary in board.summary)
    context = AgendaContext(
        team_id=team.pk,
        organisation_id=team.organisation_id,
        now=now,
        since=now - timedelta(days=7),
        active_member_ids=frozenset({nurse.pk, social_worker.pk}),
    )
    on_agenda = {candidate.key for candidate in overdue_referrals(context)}

    assert on_page == in_queryset == on_board == {waiting.pk}
    assert board_count == 1
    assert on_agenda == {f"referral_overdue:r{waiting.pk}"}
