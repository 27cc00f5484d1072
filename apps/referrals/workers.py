"""Celery jobs of the referrals app: no arguments beyond ids, safe to run twice or at once."""

from celery import shared_task

from apps.core.actors import JobActor
from apps.core.items import ItemsFailed
from apps.core.jobruns import recorded_job
from apps.referrals.services.sweep import SWEEP_JOB, referral_reminder_sweep


@shared_task(acks_late=True)
@recorded_job
def referral_reminder_sweep_task() -> dict[str, int]:
    """Run by beat. A redelivered or overlapping run finds nothing left to send twice."""
    result = referral_reminder_sweep(actor=JobActor(job=SWEEP_JOB))
    if result.failed:
        # Every other referral was swept; the run is recorded as failed, naming these.
        ids = ", ".join(str(pk) for pk in result.failed[:20])
        raise ItemsFailed(f"{len(result.failed)} referral(s) could not be swept: {ids}.")
    return {
        "reminders": result.reminders,
        "escalations": result.escalations,
        "batches": result.batches,
    }
