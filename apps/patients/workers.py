"""Celery tasks of the patients app: ids in, idempotent, set-wise."""

from celery import shared_task

from apps.core.actors import JobActor
from apps.core.context import RequestContext, request_context
from apps.core.jobruns import recorded_job
from apps.core.models import AuditSource
from apps.patients.complexity import (
    RECOMPUTE_ORGANISATION_JOB,
    complexity_recompute,
    complexity_recompute_all,
)


@shared_task(acks_late=True)
@recorded_job
def complexity_recompute_all_task() -> int:
    """Nightly: every active patient of every organisation; returns the rows changed."""
    with request_context(RequestContext(source=AuditSource.TASK)):
        results = complexity_recompute_all()
    return sum(len(result.changed) for result in results.values())


@shared_task(acks_late=True)
def complexity_recompute_organisation_task(organisation_id: int) -> int:
    """After a threshold change: the organisation's patients, set-wise."""
    with request_context(RequestContext(source=AuditSource.TASK)):
        result = complexity_recompute(
            organisation_id=organisation_id,
            actor=JobActor(job=RECOMPUTE_ORGANISATION_JOB, organisation_id=organisation_id),
        )
    return len(result.changed)


@shared_task(acks_late=True)
def panel_import_task(job_id: int) -> None:
    """Runs a queued CSV panel import; a rerun finds the job no longer queued and stops."""
    from apps.patients.services.panel_import import panel_import_run

    with request_context(RequestContext(source=AuditSource.IMPORT)):
        panel_import_run(job_id=job_id)
