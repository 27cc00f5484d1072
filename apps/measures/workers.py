"""Celery tasks of the measures app: ids in, idempotent (a rerun stores the same rows)."""

from celery import shared_task

from apps.core.context import RequestContext, request_context
from apps.core.items import ItemsFailed
from apps.core.jobruns import recorded_job
from apps.core.models import AuditSource
from apps.measures.enrolment import enrolments_end_for_deaths
from apps.measures.snapshots import snapshot_all, snapshot_organisation


@shared_task(acks_late=True)
@recorded_job
def measure_snapshots_nightly_task() -> int:
    """Nightly: enrolments of patients who died end, then every organisation's snapshots;
    returns the organisations done. An organisation or enrolment that fails is named in
    the run's error (check_jobs, admin home) and the others carry on."""
    with request_context(RequestContext(source=AuditSource.TASK)):
        ended = enrolments_end_for_deaths()
        result = snapshot_all()
    problems = []
    for items, what in (
        (ended, "enrolments of patients who died"),
        (result, "organisations' measure snapshots"),
    ):
        try:
            items.raise_if_failed(what)
        except ItemsFailed as failed:
            problems.append(str(failed))
    if problems:
        raise ItemsFailed(" ".join(problems))  # both named, not only the first
    return result.done


@shared_task(acks_late=True)
def measure_snapshots_organisation_task(organisation_id: int) -> int:
    """One organisation's snapshots now (after an admin asks); returns the rows stored."""
    with request_context(RequestContext(source=AuditSource.TASK)):
        return snapshot_organisation(organisation_id=organisation_id).rows
