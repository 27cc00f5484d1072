"""Celery tasks of the fhir app: ids in, idempotent."""

from celery import shared_task

from apps.core.context import RequestContext, request_context
from apps.core.models import AuditSource


@shared_task(acks_late=True)
def fhir_import_task(job_id: int) -> None:
    """Imports an uploaded FHIR file; a rerun finds the job no longer queued and stops."""
    from apps.fhir.importing.uploads import fhir_import_run

    with request_context(RequestContext(source=AuditSource.IMPORT)):
        fhir_import_run(job_id=job_id)
