"""Post-discharge follow-up: due times are rows; a Celery job makes the tasks exactly once.

On a discharge home the discharge service plans a FollowUp (due times fixed
at discharge) and enqueues `follow_up_schedule_task` after commit. The job,
and the periodic sweep that catches anything the job missed, create the
interactive-contact and face-to-face-visit Tasks under idempotency keys
derived from the episode and the handoff, so however often either runs, each
task exists once. Reminders for those tasks come from the tasks app's sweep.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Actor
from apps.accounts.selectors import organisation_add_business_days
from apps.core.actors import JobActor, person_behind
from apps.core.audit import audit_event, audit_record, audit_record_many
from apps.core.changes import record_change, record_create
from apps.core.items import error_summary, run_isolated
from apps.core.models import AuditAction
from apps.patients.models import Patient, PatientComplexity
from apps.tasks.models import OPEN_STATUSES, TaskPriority, TaskSource
from apps.tasks.notifications import notification_send
from apps.tasks.services import task_cancel, task_create, task_update
from apps.teams.selectors import team_lead
from apps.transitions.jobs import follow_up_schedule_enqueue
from apps.transitions.models import (
    FOLLOW_UP_PROBLEM_STATUSES,
    Complexity,
    Episode,
    EpisodeStatus,
    FollowUp,
    FollowUpStatus,
    Handoff,
    OwnerRule,
    TransitionSettings,
)
from apps.transitions.selectors import follow_up_owner, organisation_admins, transition_settings_for
from apps.transitions.states import EPISODE_STATES

FOLLOW_UP_JOB = "transitions.follow_up_schedule"
# The job is enqueued on commit; the sweep only picks up what it left after this long.
SWEEP_GRACE = timedelta(minutes=2)


def follow_up_key(follow_up: FollowUp, what: str) -> str:
    """e.g. "episode:12:discharge:3:contact": one per episode, discharge and kind of work."""
    return f"episode:{follow_up.episode_id}:discharge:{follow_up.handoff.sequence}:{what}"


def patient_complexity(patient: Patient) -> str | None:
    """From the patient's complex-needs flag (apps.patients): flagged is high, computed and
    not flagged is moderate, never computed says nothing. No statement when the flag
    came with the patient (`select_related("complexity")`)."""
    flag: bool | None
    if Patient.complexity.is_cached(patient):
        loaded = Patient.complexity.related.get_cached_value(patient)
        flag = None if loaded is None else loaded.is_complex  # type: ignore[attr-defined]
    else:
        flag = (
            PatientComplexity.objects.filter(patient_id=patient.pk)
            .values_list("is_complex", flat=True)
            .first()
        )
    if flag is None:
        return None
    return Complexity.HIGH if flag else Complexity.MODERATE


def follow_up_complexity(episode: Episode, config: TransitionSettings) -> str:
    """The episode's own field, else the patient's flag, else the organisation default."""
    return episode.complexity or patient_complexity(episode.patient) or config.default_complexity


def follow_up_due_times(
    *, config: TransitionSettings, discharged_at: datetime, complexity: str
) -> tuple[datetime, datetime]:
    """Contact: the Nth business day after discharge; visit: 7 or 14 calendar days after.

    Both fall due at the organisation's due time (local), on the day itself:
    the discharge day never counts, and weekends, public holidays and the
    organisation's closures are skipped for the contact.
    """
    local_day = timezone.localtime(discharged_at).date()
    contact_day = organisation_add_business_days(
        organisation=config.organisation, start=local_day, days=config.contact_business_days
    )
    visit_days = (
        config.visit_days_high if complexity == Complexity.HIGH else config.visit_days_moderate
    )
    visit_day = local_day + timedelta(days=visit_days)
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(contact_day, config.due_time), zone),
        timezone.make_aware(datetime.combine(visit_day, config.due_time), zone),
    )


def follow_up_plan(
    *, actor: Actor, handoff: Handoff, episode: Episode, config: TransitionSettings
) -> FollowUp:
    """Called by the discharge service inside its transaction."""
    complexity = follow_up_complexity(episode, config)
    contact_due, visit_due = follow_up_due_times(
        config=config, discharged_at=handoff.occurred_at, complexity=complexity
    )
    follow_up = record_create(
        actor=actor,
        instance=FollowUp(
            handoff=handoff,
            episode=episode,
            discharged_at=handoff.occurred_at,
            complexity=complexity,
            contact_due_at=contact_due,
            visit_due_at=visit_due,
        ),
        patient_id=episode.patient_id,
        clean=False,
    )
    follow_up_schedule_enqueue(follow_up.pk)
    return follow_up


def follow_up_reschedule(
    *, actor: Actor, follow_up: FollowUp, discharged_at: datetime, config: TransitionSettings
) -> FollowUp:
    """A corrected discharge time: due times recomputed, open tasks' due dates moved.

    Caller holds the follow-up's lock. Done tasks stay as they are.
    """
    contact_due, visit_due = follow_up_due_times(
        config=config, discharged_at=discharged_at, complexity=follow_up.complexity
    )
    changed = record_change(
        actor=actor,
        instance=follow_up,
        values={
            "discharged_at": discharged_at,
            "contact_due_at": contact_due,
            "visit_due_at": visit_due,
        },
        patient_id=follow_up.episode.patient_id,
        detail={"reason": "discharge corrected"},
        clean=False,
    )
    if not changed:
        return follow_up
    for task, due_at in ((follow_up.contact_task, contact_due), (follow_up.visit_task, visit_due)):
        if task is not None and task.status in OPEN_STATUSES and task.due_at != due_at:
            task_update(
                actor=JobActor(
                    job="transitions.follow_up_reschedule", for_user=person_behind(actor)
                ),
                task=task,
                due_at=due_at,
            )
    return follow_up


def follow_up_undo(*, actor: Actor, follow_up: FollowUp, reason: str) -> FollowUp:
    """Cancels a follow-up and its open tasks; done tasks stay done. Caller holds the lock.

    The tasks are cancelled as a step of the actor's action (a nurse cancelling
    the discharge, an interface's A13): the trail names that person.
    """
    step = JobActor(job="transitions.follow_up_undo", for_user=person_behind(actor))
    for task in (follow_up.contact_task, follow_up.visit_task):
        if task is not None and task.status in OPEN_STATUSES:
            task_cancel(actor=step, task=task, reason=reason)
    record_change(
        actor=actor,
        instance=follow_up,
        values={"status": FollowUpStatus.CANCELLED},
        patient_id=follow_up.episode.patient_id,
        clean=False,
    )
    return follow_up


def visit_window_days(follow_up: FollowUp) -> int:
    """The visit's window in calendar days (7 or 14 as configured when it was planned).

    Counted between local dates, as `follow_up_due_times` sets them: elapsed
    time would call a 7-day visit "6 days" after a late-evening discharge or
    across a change of clock.
    """
    return (
        timezone.localtime(follow_up.visit_due_at).date()
        - timezone.localtime(follow_up.discharged_at).date()
    ).days


def _save_attempt(follow_up: FollowUp, *outcome: str) -> None:
    """Saves an attempt to schedule: the fields of its outcome, and that it was tried."""
    follow_up.save(update_fields=[*outcome, "attempts", "last_attempt_at", "updated_at"])


def _audit_outcome(follow_up: FollowUp, *, actor: Actor, fields: list[str], **detail: str) -> None:
    """The audit event of an attempt's outcome: the fields it set, never their values."""
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=follow_up,
        object_id=follow_up.pk,
        patient_id=follow_up.episode.patient_id,
        detail={"fields": fields, **detail},
    )


def _schedule_locked(follow_up: FollowUp, *, actor: JobActor) -> bool:
    """Creates the follow-up tasks for a locked, waiting follow-up. True when scheduled."""
    patient = follow_up.episode.patient
    # The job acts for whoever entered the discharge by hand (None for an ADT message).
    actor = actor.acting_for(follow_up.handoff.recorded_by)
    follow_up.attempts += 1
    follow_up.last_attempt_at = timezone.now()
    owner, rule = follow_up_owner(patient=patient)
    if owner is None:
        was = follow_up.status
        follow_up.status = FollowUpStatus.UNASSIGNED
        follow_up.owner_rule = OwnerRule.NONE
        follow_up.last_error = ""
        _save_attempt(follow_up, "status", "owner_rule", "last_error")
        if was != FollowUpStatus.UNASSIGNED:
            _audit_outcome(follow_up, actor=actor, fields=["status", "owner_rule"])
        _tell_team_of_problem(follow_up)
        return False
    fallback_note = (
        "\n\nAssigned to you because the care team has no lead coordinator."
        if rule == OwnerRule.FALLBACK
        else ""
    )
    follow_up.contact_task = task_create(
        actor=actor,
        patient=patient,
        title="Post-discharge contact: call the patient or caregiver",
        owner=owner,
        due_at=follow_up.contact_due_at,
        priority=TaskPriority.URGENT,
        description=(
            "Interactive contact (phone, video or in person) within 2 business days of "
            "the discharge: symptoms, medications, the follow-up visit, warning signs."
            + fallback_note
        ),
        source_type=TaskSource.TRANSITION,
        source_id=follow_up.handoff_id,
        idempotency_key=follow_up_key(follow_up, "contact"),
    )
    days = visit_window_days(follow_up)
    follow_up.visit_task = task_create(
        actor=actor,
        patient=patient,
        title=f"Post-discharge face-to-face visit within {days} days",
        owner=owner,
        due_at=follow_up.visit_due_at,
        priority=TaskPriority.ROUTINE,
        description=(
            f"{follow_up.get_complexity_display()} complexity transition: see the patient "
            f"within {days} days of discharge; bring the reconciled medication list."
            + fallback_note
        ),
        source_type=TaskSource.TRANSITION,
        source_id=follow_up.handoff_id,
        idempotency_key=follow_up_key(follow_up, "visit"),
    )
    follow_up.status = FollowUpStatus.SCHEDULED
    follow_up.owner_rule = rule
    follow_up.last_error = ""
    _save_attempt(follow_up, "status", "owner_rule", "last_error", "contact_task", "visit_task")
    notification_send(
        recipient=owner,
        idempotency_key=follow_up_key(follow_up, "assigned"),
        kind="transition_follow_up",
        subject="A patient of your team was discharged home: follow-up tasks are on your list",
        link=f"/transitions/episodes/{follow_up.episode_id}/",
        patient=patient,
        task=follow_up.contact_task,
    )
    _audit_outcome(
        follow_up, actor=actor, fields=["status", "contact_task", "visit_task"], owner_rule=rule
    )
    return True


_WAITING = (FollowUpStatus.PENDING, *FOLLOW_UP_PROBLEM_STATUSES)
FOLLOW_UP_SWEEP = "transitions.follow_up_sweep"


@transaction.atomic
def follow_up_schedule(*, follow_up_id: int) -> bool:
    """The job's body: a no-op unless the follow-up still waits (cancelled, done, missing).

    A failure here rolls back and leaves the follow-up waiting: the job's
    retry or the sweep tries again, and the sweep marks it if it keeps failing.
    """
    follow_up = (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("episode__patient", "handoff__recorded_by")
        .filter(pk=follow_up_id, status__in=_WAITING)
        .first()
    )
    if follow_up is None:
        return False
    return _schedule_locked(follow_up, actor=JobActor(job=FOLLOW_UP_JOB))


def _waiting(now: datetime) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(
        Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lte=now - SWEEP_GRACE),
        status__in=_WAITING,
        created_at__lte=now - SWEEP_GRACE,
    )


def follow_up_sweep(*, now: datetime | None = None, limit: int = 5000) -> dict[str, int]:
    """Periodic safety net; safe to run on several workers (and beats) at once.

    - waiting follow-ups whose job was lost (or that had no owner, or failed)
      are each claimed with SKIP LOCKED in a transaction of their own, so two
      sweeps share the list and a sweep killed half-way keeps what it did; one
      that cannot be scheduled is marked (unassigned, or error with the
      reason), shown on the board and told to the team's lead once, and the
      sweep goes on with every other follow-up, other organisations' included;
    - watches that ran out close their episodes, whatever failed before.
    """
    now = now or timezone.now()
    actor = JobActor(job=FOLLOW_UP_SWEEP)
    scheduled = unassigned = 0

    def schedule_one(follow_up_id: int) -> None:
        nonlocal scheduled, unassigned
        follow_up = (
            _waiting(now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("episode__patient", "handoff__recorded_by")
            .filter(pk=follow_up_id)
            .first()
        )
        if follow_up is None:
            return
        if _schedule_locked(follow_up, actor=actor):
            scheduled += 1
        else:
            unassigned += 1

    ids = list(_waiting(now).order_by("id").values_list("pk", flat=True)[:limit])
    outcome = run_isolated(
        ids,
        schedule_one,
        job=FOLLOW_UP_SWEEP,
        on_error=lambda follow_up_id, error: follow_up_mark_failed(
            actor=actor, follow_up_id=follow_up_id, error=error
        ),
    )
    closed = episode_watch_close(now=now)
    return {
        "scheduled": scheduled,
        "unassigned": unassigned,
        "failed": outcome.failed,
        "closed": closed,
    }


def follow_up_mark_failed(*, actor: Actor, follow_up_id: int, error: BaseException) -> None:
    """Marks a follow-up that could not be scheduled with the reason, and tells the team.

    The follow-up stays waiting (status error), so the next sweep tries again
    once the team is fixed; the notification's key makes it once per problem.
    """
    follow_up = (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("episode__patient")
        .filter(pk=follow_up_id, status__in=_WAITING)
        .first()
    )
    if follow_up is None:
        return
    follow_up.status = FollowUpStatus.ERROR
    follow_up.last_error = error_summary(error)
    follow_up.attempts += 1
    follow_up.last_attempt_at = timezone.now()
    _save_attempt(follow_up, "status", "last_error")
    _audit_outcome(
        follow_up, actor=actor, fields=["status", "last_error"], error=type(error).__name__
    )
    _tell_team_of_problem(follow_up)


def _tell_team_of_problem(follow_up: FollowUp) -> None:
    """The team's lead hears once per problem, with the patient (they are on the team).

    A team without a live lead is itself the problem, so its organisation's
    administrators hear instead, once a day per team, without the patient:
    they may not be on that team, and what they can fix is the team.
    """
    patient = follow_up.episode.patient
    lead = team_lead(team_id=patient.care_team_id)
    if lead is not None:
        notification_send(
            recipient=lead.user,
            idempotency_key=f"{follow_up_key(follow_up, 'problem')}:{follow_up.status}",
            kind="transition_follow_up_problem",
            subject=(
                "A discharge follow-up has nobody to own it: see the transitions board"
                if follow_up.status == FollowUpStatus.UNASSIGNED
                else "A discharge follow-up could not be scheduled: see the transitions board"
            ),
            link=f"/transitions/episodes/{follow_up.episode_id}/",
            patient=patient,
        )
        return
    team = patient.care_team
    day = timezone.localdate().isoformat()
    for admin in organisation_admins(organisation_id=patient.organisation_id):
        notification_send(
            recipient=admin,
            idempotency_key=f"team:{team.pk}:follow-up-problem:{day}:{admin.pk}",
            kind="transition_follow_up_problem",
            subject=(
                f"Care team {team.name} has no lead coordinator who can own discharge "
                "follow-ups: name one"
            )[:200],
            link=reverse("admin:teams_careteam_change", args=[team.pk]),
        )


@transaction.atomic
def episode_watch_close(*, now: datetime) -> int:
    """Episodes whose 30-day watch passed without a readmission are closed (set-wise)."""
    EPISODE_STATES.move(EpisodeStatus.FOLLOW_UP, EpisodeStatus.CLOSED)
    expired = list(
        Episode.objects.select_for_update(skip_locked=True)
        .filter(status=EpisodeStatus.FOLLOW_UP, watch_until__lte=now)
        .values_list("pk", "patient_id")
    )
    if not expired:
        return 0
    Episode.objects.filter(pk__in=[pk for pk, _patient_id in expired]).update(
        status=EpisodeStatus.CLOSED, ended_at=F("watch_until"), updated_at=now
    )
    actor = JobActor(job="transitions.watch_close")
    audit_record_many(
        audit_event(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type=Episode,
            object_id=pk,
            patient_id=patient_id,
            detail={"fields": ["status", "ended_at"], "reason": "watch ended"},
        )
        for pk, patient_id in expired
    )
    return len(expired)


def follow_up_settings(organisation_id: int) -> TransitionSettings:
    return transition_settings_for(organisation_id)
