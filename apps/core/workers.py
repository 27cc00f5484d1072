"""Celery jobs of the core app."""

from celery import shared_task

from apps.core.jobruns import recorded_job


@shared_task(acks_late=False, ignore_result=True)
@recorded_job
def heartbeat_task() -> None:
    """Run by beat every minute, executed by whichever worker takes it: its last success
    is when a worker last took work (check_jobs --worker)."""
