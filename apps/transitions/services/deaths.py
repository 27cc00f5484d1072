"""A death is not a follow-up call.

A discharge with an "expired" disposition, or any message that says the
patient died (HL7 PID-30 = Y), ends the post-discharge work: no contact or
visit task is created (a pending follow-up job finds its follow-up cancelled),
open follow-up tasks are cancelled with the reason, episodes still running
close, and the person who owns the patient's follow-up work (the lead
coordinator) gets one task: reach the family or caregiver and close the plan.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from apps.accounts.models import Actor
from apps.core.actors import JobActor, person_behind
from apps.core.changes import record_change
from apps.patients.models import Patient
from apps.patients.services.feed import patient_death_record
from apps.tasks.models import OPEN_STATUSES, TaskPriority, TaskSource
from apps.tasks.services import task_create
from apps.transitions.models import Episode, EpisodeStatus, FollowUp, FollowUpStatus
from apps.transitions.selectors import follow_up_owner
from apps.transitions.services.followups import follow_up_undo

_RUNNING_EPISODES = (EpisodeStatus.IN_CARE, EpisodeStatus.IN_TRANSIT, EpisodeStatus.FOLLOW_UP)
_LIVE_FOLLOW_UPS = (FollowUpStatus.PENDING, FollowUpStatus.UNASSIGNED, FollowUpStatus.SCHEDULED)
DEATH_TASK_TITLE = "The patient has died: reach the family or caregiver and close the care plan"


def death_task_key(patient: Patient) -> str:
    return f"patient:{patient.pk}:death"


def transition_death(
    *, actor: Actor, patient: Patient, died_at: datetime | None, source: str
) -> None:
    """Records the death and winds the follow-up work down; the caller holds the patient's lock.

    Safe to repeat (an A03 then an A08 saying the same): the death task is
    made once, and what is already cancelled or closed stays as it is.
    """
    # A transition recorded by a job (no actor) records the death as that job.
    recorder = actor or JobActor(
        job="transitions.discharge", organisation_id=patient.organisation_id
    )
    patient_death_record(actor=recorder, patient=patient, died_at=died_at, source=source)
    when = f" on {timezone.localtime(died_at):%Y-%m-%d}" if died_at else ""
    reason = f"The patient died{when}: no follow-up call."
    follow_ups = (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("contact_task", "visit_task", "episode")
        .filter(episode__patient=patient, status__in=_LIVE_FOLLOW_UPS)
    )
    for follow_up in follow_ups:
        tasks = [task for task in (follow_up.contact_task, follow_up.visit_task) if task]
        if follow_up.status == FollowUpStatus.SCHEDULED and not any(
            task.status in OPEN_STATUSES for task in tasks
        ):
            continue  # the work was done before the death: it stays done
        follow_up_undo(actor=actor, follow_up=follow_up, reason=reason)
    ended_at = died_at or timezone.now()
    latest: Episode | None = None
    for episode in Episode.objects.select_for_update().filter(
        patient=patient, status__in=_RUNNING_EPISODES
    ):
        record_change(
            actor=recorder,
            instance=episode,
            values={"status": EpisodeStatus.CLOSED, "ended_at": ended_at},
            patient_id=patient.pk,
            detail={"reason": "death"},
            clean=False,
        )
        latest = episode
    owner, _rule = follow_up_owner(patient=patient)
    if owner is None:
        return  # the chart shows the death; the unowned-work views show the team has no lead
    # Created by the system (like the follow-up tasks it replaces): the
    # interface reporting the death holds no right over the team's tasks.
    task_create(
        actor=JobActor(job="transitions.death_reported", for_user=person_behind(actor)),
        patient=patient,
        title=DEATH_TASK_TITLE,
        owner=owner,
        due_at=timezone.now() + timedelta(days=1),
        priority=TaskPriority.URGENT,
        description=(
            "A hospital reported the patient's death. Contact the family or caregiver "
            "(condolences, what they need), cancel remaining appointments and referrals, "
            "and close the care plan."
        ),
        source_type=TaskSource.TRANSITION,
        source_id=latest.pk if latest is not None else None,
        idempotency_key=death_task_key(patient),
    )
