"""Writing referrals: create, consent, move through the state machine, reassign, snooze.

Each write locks the referral, checks the actor's rights, validates, saves
with `update_fields`, appends to the referral's timeline and the audit trail,
all in one transaction.
"""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Actor, User
from apps.accounts.selectors import organisation_add_business_days
from apps.careplans.models import OPEN_PLAN_STATUSES, Goal
from apps.core.actors import person_behind
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.patients.models import Patient
from apps.referrals import permissions, states
from apps.referrals.events import referral_event_record
from apps.referrals.models import (
    FINAL_STATES,
    ConsentMethod,
    Referral,
    ReferralEventKind,
    ReferralState,
    ReferralUrgency,
    ResourceService,
)
from apps.referrals.services.settings import Limits, due_times, referral_settings_get, same_time_on
from apps.tasks.models import NotificationKind
from apps.tasks.notifications import notification_send
from apps.teams.selectors import live_member_validate

DRAFT_FIELDS = ("reason", "urgency", "service", "specialist_name", "goal")
CONSENT_FIELDS = ("consent_given", "consent_method", "consent_recorded_at", "consent_recorded_by")


def _locked(referral: Referral) -> Referral:
    return (
        Referral.objects.select_for_update(of=("self",))
        .select_related("patient__organisation", "service__resource_organisation")
        .get(pk=referral.pk)
    )


def _require_team_member(*, patient: Patient, user: User | None, field: str, who: str) -> None:
    """A referral's owner (and referrer) may own work on the patient's team, as a task's does."""
    live_member_validate(team_id=patient.care_team_id, user=user, field=field, who=who)


def _check_service(patient: Patient, service: ResourceService | None) -> list[str]:
    if service is None:
        return ["Choose a service from the directory."]
    partner = service.resource_organisation
    if partner.organisation_id != patient.organisation_id:
        return ["Choose a service from your organisation's directory."]
    if not (service.is_active and partner.is_active):
        return ["This service is no longer offered; choose another."]
    return []


def _check_goal(patient: Patient, goal: Goal | None) -> list[str]:
    if goal is None:
        return []
    if goal.plan.patient_id != patient.pk:
        return ["Choose a goal of this patient's care plan."]
    if goal.plan.status not in OPEN_PLAN_STATUSES:
        return ["That care plan is retired; choose a goal of the current plan."]
    return []


def _set_timers(referral: Referral, *, limits: Limits, start: datetime) -> None:
    referral.remind_at, referral.escalate_at = due_times(
        organisation=referral.patient.organisation,
        limits=limits,
        state=referral.state,
        urgency=referral.urgency,
        start=start,
    )
    referral.reminder_sent_at = None
    referral.escalation_sent_at = None
    referral.snoozed_until = None
    referral.snooze_count = 0


TIMER_FIELDS = (
    "remind_at",
    "escalate_at",
    "reminder_sent_at",
    "escalation_sent_at",
    "snoozed_until",
    "snooze_count",
)


def _set_consent(
    referral: Referral, *, actor: User, consent_given: bool, consent_method: str
) -> None:
    """Whether the patient agreed to share, how, when and noted by whom (cleared if not)."""
    referral.consent_given = consent_given
    referral.consent_method = consent_method if consent_given else ""
    referral.consent_recorded_at = timezone.now() if consent_given else None
    referral.consent_recorded_by = actor if consent_given else None


def _consent_recorded(actor: User, referral: Referral) -> None:
    referral_event_record(
        actor=actor,
        referral=referral,
        kind=ReferralEventKind.CONSENT_RECORDED,
        fields=CONSENT_FIELDS,
        consent_given=referral.consent_given,
        method=referral.consent_method,
    )


@transaction.atomic
def referral_create(
    *,
    actor: User,
    patient: Patient,
    service: ResourceService | None,
    reason: str,
    owner: User | None,
    urgency: str = ReferralUrgency.ROUTINE,
    referred_by: User | None = None,
    specialist_name: str = "",
    consent_given: bool = False,
    consent_method: str = "",
    goal: Goal | None = None,
) -> Referral:
    """Drafts a referral with one owner on the patient's team who follows it to closure.

    The referring person defaults to the actor. Consent may be recorded now or
    later, but the referral cannot be sent without it.
    """
    permissions.require_can_manage_referrals(actor, patient)
    referred_by = referred_by or actor
    errors: dict[str, list[str]] = {}
    if not reason.strip():
        errors["reason"] = ["Say why the patient is referred."]
    if urgency not in ReferralUrgency.values:
        errors["urgency"] = [f"'{urgency}' is not an urgency."]
    service_errors = _check_service(patient, service)
    if service_errors:
        errors["service"] = service_errors
    goal_errors = _check_goal(patient, goal)
    if goal_errors:
        errors["goal"] = goal_errors
    if consent_given and consent_method not in ConsentMethod.values:
        errors["consent_method"] = ["Say how the patient gave consent."]
    if errors:
        raise ApplicationError("The referral is not valid.", field_errors=errors)
    _require_team_member(patient=patient, user=owner, field="owner", who="owner")
    _require_team_member(
        patient=patient, user=referred_by, field="referred_by", who="referring person"
    )
    now = timezone.now()
    referral = Referral(
        patient=patient,
        service=service,
        specialist_name=specialist_name.strip(),
        reason=reason.strip(),
        goal=goal,
        urgency=urgency,
        referred_by=referred_by,
        owner=owner,
        created_by=actor,
        state=ReferralState.DRAFT,
        state_entered_at=now,
    )
    if consent_given:
        _set_consent(referral, actor=actor, consent_given=True, consent_method=consent_method)
    _set_timers(
        referral, limits=referral_settings_get(organisation=patient.organisation), start=now
    )
    referral.save()
    referral_event_record(
        actor=actor,
        referral=referral,
        kind=ReferralEventKind.CREATED,
        action=AuditAction.CREATE,
        to_state=referral.state,
    )
    if consent_given:
        _consent_recorded(actor, referral)
    return referral


@transaction.atomic
def referral_update(*, actor: User, referral: Referral, **values: Any) -> Referral:
    """Changes a draft's reason, urgency, service, named specialist or linked goal; once
    sent, what was sent stands, and only a scheduled referral's appointment may change."""
    referral = _locked(referral)
    permissions.require_can_work_on(actor, referral)
    allowed: tuple[str, ...] = ()
    if referral.state == ReferralState.DRAFT:
        allowed = DRAFT_FIELDS
    elif referral.state == ReferralState.SCHEDULED:
        allowed = ("appointment_at",)
    unknown = set(values) - set(allowed)
    if unknown:
        raise ApplicationError(
            f"{', '.join(sorted(unknown))} cannot be changed while the referral is "
            f"{referral.get_state_display()}.",
            field_errors={name: ["Cannot be changed in this state."] for name in unknown},
        )
    for name in ("reason", "specialist_name"):
        if name in values:
            values[name] = str(values[name]).strip()
    errors: dict[str, list[str]] = {}
    if "reason" in values and not values["reason"]:
        errors["reason"] = ["Say why the patient is referred."]
    if "urgency" in values and values["urgency"] not in ReferralUrgency.values:
        errors["urgency"] = [f"'{values['urgency']}' is not an urgency."]
    if "service" in values:
        service_errors = _check_service(referral.patient, values["service"])
        if service_errors:
            errors["service"] = service_errors
    if "goal" in values:
        goal_errors = _check_goal(referral.patient, values["goal"])
        if goal_errors:
            errors["goal"] = goal_errors
    appointment = values.get("appointment_at")
    if appointment is not None and timezone.is_naive(appointment):
        errors["appointment_at"] = ["The appointment time needs a time zone."]
    if errors:
        raise ApplicationError("The referral is not valid.", field_errors=errors)
    changed = [name for name, value in values.items() if getattr(referral, name) != value]
    if not changed:
        return referral
    for name in changed:
        setattr(referral, name, values[name])
    update_fields = [*changed, "updated_at"]
    if "urgency" in changed or "appointment_at" in changed:
        # New limits for the state the referral is in; it is not a new state entry.
        start = _timer_start(referral)
        limits = referral_settings_get(organisation=referral.patient.organisation)
        _set_timers(referral, limits=limits, start=start)
        update_fields += TIMER_FIELDS
    referral.save(update_fields=update_fields)
    referral_event_record(
        actor=actor, referral=referral, kind=ReferralEventKind.UPDATED, fields=changed
    )
    return referral


def _timer_start(referral: Referral) -> datetime:
    """Time limits count from entering the state; a scheduled referral's from its appointment."""
    if (
        referral.state == ReferralState.SCHEDULED
        and referral.appointment_at is not None
        and referral.appointment_at > referral.state_entered_at
    ):
        return referral.appointment_at
    return referral.state_entered_at


@transaction.atomic
def referral_record_consent(
    *, actor: User, referral: Referral, consent_given: bool, consent_method: str = ""
) -> Referral:
    """Records whether the patient agreed to share their details with the partner, and how.

    Only before sending: what has been shared cannot be taken back by editing
    the record (cancel the referral instead)."""
    referral = _locked(referral)
    permissions.require_can_work_on(actor, referral)
    if referral.state != ReferralState.DRAFT:
        raise ApplicationError(
            "Consent is recorded before the referral is sent; cancel it if consent is withdrawn."
        )
    if consent_given and consent_method not in ConsentMethod.values:
        raise ApplicationError(
            "Say how the patient gave consent.",
            field_errors={"consent_method": ["Choose how consent was given."]},
        )
    _set_consent(referral, actor=actor, consent_given=consent_given, consent_method=consent_method)
    referral.save(update_fields=[*CONSENT_FIELDS, "updated_at"])
    _consent_recorded(actor, referral)
    return referral


def referral_transition_validate(
    *,
    referral: Referral,
    to_state: str,
    reason: str = "",
    result_summary: str = "",
    result_reported_by: str = "",
    appointment_at: datetime | None = None,
) -> states.Transition:
    """Whether `referral` may move to `to_state` with these details; ApplicationError if not.

    Pure (no writes): the admin form asks it before saving so it can show the
    message on the form; the service asks it again under the row lock.
    """
    transition = states.transition_get(referral.state, to_state)
    errors: dict[str, list[str]] = {}
    if transition.needs_reason and not reason.strip():
        target = ReferralState(transition.target).label
        errors["reason"] = [
            f"Say why the referral goes back to {target}."
            if transition.is_step_back
            else f"Say why the referral is {target.lower()}."
        ]
    if transition.needs_result:
        if not result_summary.strip():
            errors["result_summary"] = ["Document what happened before closing the loop."]
        if not result_reported_by.strip():
            errors["result_reported_by"] = ["Say who reported the result or feedback."]
    if transition.needs_consent and not referral.consent_given:
        errors["consent_given"] = ["Record the patient's consent to share before sending."]
    if appointment_at is not None:
        if transition.target != ReferralState.SCHEDULED:
            errors["appointment_at"] = ["An appointment time goes with scheduling."]
        elif timezone.is_naive(appointment_at):
            errors["appointment_at"] = ["The appointment time needs a time zone."]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ApplicationError(first, field_errors=errors)
    return transition


@transaction.atomic
def referral_transition(
    *,
    actor: Actor,
    referral: Referral,
    to_state: str,
    reason: str = "",
    result_summary: str = "",
    result_reported_by: str = "",
    appointment_at: datetime | None = None,
) -> Referral:
    """Moves the referral to `to_state` if the state machine allows it.

    Declined, cancelled and unable-to-contact need a reason; closing needs the
    result (what happened and who reported it); sending needs recorded consent.
    Entering a state starts its time limits afresh.
    """
    referral = _locked(referral)
    permissions.require_can_work_on(actor, referral)
    transition = referral_transition_validate(
        referral=referral,
        to_state=to_state,
        reason=reason,
        result_summary=result_summary,
        result_reported_by=result_reported_by,
        appointment_at=appointment_at,
    )
    now = timezone.now()
    previous = referral.state
    referral.state = transition.target
    referral.state_reason = reason.strip() if transition.needs_reason else ""
    referral.state_entered_at = now
    referral.state_sequence += 1
    fields = ["state", "state_reason", "state_entered_at", "state_sequence"]
    if transition.target == ReferralState.SENT and referral.sent_at is None:
        referral.sent_at = now
        fields.append("sent_at")
    if transition.target == ReferralState.SCHEDULED:
        referral.appointment_at = appointment_at
        fields.append("appointment_at")
    if transition.is_step_back:
        referral.appointment_at = None
        fields.append("appointment_at")
    if transition.target in FINAL_STATES:
        referral.ended_at = now
        fields.append("ended_at")
    if transition.needs_result:
        referral.result_summary = result_summary.strip()
        referral.result_reported_by = result_reported_by.strip()
        referral.result_documented_by = person_behind(actor)
        referral.result_documented_at = now
        fields += [
            "result_summary",
            "result_reported_by",
            "result_documented_by",
            "result_documented_at",
        ]
    limits = referral_settings_get(organisation=referral.patient.organisation)
    _set_timers(referral, limits=limits, start=_timer_start(referral))
    referral.save(update_fields=[*fields, *TIMER_FIELDS, "updated_at"])
    referral_event_record(
        actor=actor,
        referral=referral,
        kind=ReferralEventKind.STATE_CHANGED,
        fields=fields,
        note=referral.result_summary if transition.needs_result else reason.strip(),
        from_state=previous,
        to_state=referral.state,
    )
    if transition.needs_result:
        _tell_the_referrer(actor=actor, referral=referral)
    return referral


def _tell_the_referrer(*, actor: Actor, referral: Referral) -> None:
    """The clinician who made the referral hears that its result is back (once per
    documented result), unless they documented it themselves. Ids and a link only: the
    result itself is read on the referral's page."""
    referrer = referral.referred_by
    if person_behind(actor) == referrer:
        return
    notification_send(
        recipient=referrer,
        idempotency_key=f"referral:{referral.pk}:result:{referral.state_sequence}",
        kind=NotificationKind.REFERRAL_RESULT,
        subject="The result of a referral you made is back",
        link=reverse("referrals:detail", args=[referral.pk]),
        patient=referral.patient,
    )


@transaction.atomic
def referral_reassign(*, actor: User, referral: Referral, owner: User, reason: str) -> Referral:
    """Hands the follow-up to another person on the patient's team; the reason is kept."""
    referral = _locked(referral)
    permissions.require_can_work_on(actor, referral)
    if not referral.is_open:
        raise ApplicationError("A finished referral cannot change owner.")
    if not reason.strip():
        raise ApplicationError(
            "Say why the referral changes hands.",
            field_errors={"reason": ["A reason is required."]},
        )
    if owner.pk == referral.owner_id:
        raise ApplicationError(
            "That person already owns the referral.",
            field_errors={"owner": ["Choose someone else."]},
        )
    _require_team_member(patient=referral.patient, user=owner, field="owner", who="owner")
    previous = referral.owner_id
    referral.owner = owner
    referral.save(update_fields=["owner", "updated_at"])
    referral_event_record(
        actor=actor,
        referral=referral,
        kind=ReferralEventKind.REASSIGNED,
        fields=["owner"],
        note=reason.strip(),
        from_owner_id=previous,
        to_owner_id=owner.pk,
    )
    return referral


@transaction.atomic
def referral_snooze(*, actor: User, referral: Referral, until: datetime, reason: str) -> Referral:
    """Postpones the owner's reminder to `until` (at most the organisation's snooze limit).

    A reminder already sent for this state is sent once more when the snooze
    ends. The escalation keeps its time unless it would come first; then it
    moves to the state's usual gap after the snoozed reminder.
    """
    referral = _locked(referral)
    permissions.require_can_work_on(actor, referral)
    if not referral.is_open:
        raise ApplicationError("A finished referral has no reminders to snooze.")
    now = timezone.now()
    organisation = referral.patient.organisation
    limits = referral_settings_get(organisation=organisation)
    latest = same_time_on(
        organisation_add_business_days(
            organisation=organisation,
            start=timezone.localdate(now),
            days=limits.settings.max_snooze_business_days,
        ),
        now,
    )
    errors: dict[str, list[str]] = {}
    if not reason.strip():
        errors["reason"] = ["Say why the reminder can wait."]
    if timezone.is_naive(until):
        errors["until"] = ["The time needs a time zone."]
    elif until <= now:
        errors["until"] = ["Choose a time in the future."]
    elif until > latest:
        errors["until"] = [
            f"At most {limits.settings.max_snooze_business_days} business days ahead "
            f"(until {timezone.localtime(latest):%Y-%m-%d %H:%M})."
        ]
    if errors:
        raise ApplicationError("The snooze is not valid.", field_errors=errors)
    fields = ["remind_at", "reminder_sent_at", "snoozed_until", "snooze_count"]
    referral.remind_at = until
    referral.reminder_sent_at = None
    referral.snoozed_until = until
    referral.snooze_count += 1
    days = limits.for_state(referral.state, referral.urgency)
    if (
        days is not None
        and referral.escalation_sent_at is None
        and referral.escalate_at is not None
        and referral.escalate_at <= until
    ):
        gap = days[1] - days[0]
        referral.escalate_at = same_time_on(
            organisation_add_business_days(
                organisation=organisation, start=timezone.localdate(until), days=gap
            ),
            until,
        )
        fields.append("escalate_at")
    referral.save(update_fields=[*fields, "updated_at"])
    referral_event_record(
        actor=actor,
        referral=referral,
        kind=ReferralEventKind.SNOOZED,
        fields=fields,
        note=reason.strip(),
        until=until.isoformat(),
    )
    return referral
