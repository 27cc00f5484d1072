"""Celery jobs of the transitions app: ids only, idempotent, safe to run twice or at once."""

from celery import shared_task

from apps.core.actors import JobActor
from apps.core.context import RequestContext, request_context
from apps.core.jobruns import recorded_job
from apps.core.models import AuditSource
from apps.transitions.services.followups import follow_up_schedule, follow_up_sweep
from apps.transitions.services.reconciliation import (
    RECONCILIATION_SYNC_JOB,
    reconciliation_sync_verified,
)


@shared_task(acks_late=True)
def follow_up_schedule_task(follow_up_id: int) -> bool:
    """Creates the contact and visit tasks of one discharge home (a no-op when done)."""
    with request_context(RequestContext(source=AuditSource.TASK)):
        return follow_up_schedule(follow_up_id=follow_up_id)


@shared_task(acks_late=True)
@recorded_job
def transitions_sweep_task() -> dict[str, int]:
    """Beat job: schedules follow-ups whose job was lost, closes ended watches."""
    with request_context(RequestContext(source=AuditSource.TASK)):
        result = follow_up_sweep()
        result["reconciliations_synced"] = reconciliation_sync_verified(
            actor=JobActor(job=RECONCILIATION_SYNC_JOB)
        )
        return result
