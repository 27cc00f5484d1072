"""Celery jobs of the huddles app: ids only, safe to run twice."""

from celery import shared_task

from apps.core.actors import JobActor
from apps.core.context import RequestContext, request_context
from apps.core.items import run_isolated
from apps.core.jobruns import recorded_job
from apps.core.models import AuditSource
from apps.huddles.models import HuddleSeries
from apps.huddles.services import huddle_series_extend

SERIES_JOB = "huddles.series_extend"


@shared_task(acks_late=True)
@recorded_job
def huddle_series_extend_task() -> int:
    """Keeps every active series scheduled a few weeks ahead; a rerun adds nothing."""
    created = 0

    def extend(series_id: int) -> None:
        nonlocal created
        series = HuddleSeries.objects.select_related("team").get(pk=series_id)
        job = JobActor(job=SERIES_JOB, organisation_id=series.team.organisation_id)
        created += len(huddle_series_extend(actor=job, series=series))

    with request_context(RequestContext(source=AuditSource.TASK)):
        series_ids = list(
            HuddleSeries.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)
        )
        # One series that cannot be extended does not stop the others; the run then
        # fails naming its id, which check_jobs and the admin home page show.
        run_isolated(series_ids, extend, job=SERIES_JOB).raise_if_failed("series")
    return created
