"""Celery jobs of the core app."""

from celery import shared_task

from apps.core.jobruns import recorded_job


@shared_task(acks_late=False, ignore_result=True)
@recorded_job
def heartbeat_task() -> None:
    """Run by beat every minute, executed by whichever worker takes it: its last success
    is when a worker last took work (check_jobs --worker)."""


@shared_task(ignore_result=True)
@recorded_job
def audit_partitions_ensure_task() -> None:
    """Daily: the audit trail's partitions for this month and the next three exist, so
    no event waits in the default partition (idempotent; nothing on SQLite)."""
    from apps.core.audit_partitions import partitions_ensure

    partitions_ensure()
