"""Celery jobs of the huddles app: ids only, safe to run twice."""

from celery import shared_task

from apps.core.context import RequestContext, request_context
from apps.core.models import AuditSource
from apps.huddles.models import HuddleSeries
from apps.huddles.services import huddle_series_extend


@shared_task(acks_late=True)
def huddle_series_extend_task() -> int:
    """Keeps every active series scheduled a few weeks ahead; a rerun adds nothing."""
    created = 0
    with request_context(RequestContext(source=AuditSource.TASK)):
        for series_id in HuddleSeries.objects.filter(is_active=True).values_list("pk", flat=True):
            series = HuddleSeries.objects.get(pk=series_id)
            created += len(huddle_series_extend(series=series))
    return created
