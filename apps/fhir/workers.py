"""Celery tasks of the FHIR app: ids in, idempotent."""

from celery import shared_task

from apps.core.context import RequestContext, request_context
from apps.core.jobruns import recorded_job
from apps.core.models import AuditSource


@shared_task(acks_late=True)
def fhir_export_task(export_id: int) -> None:
    """Writes a queued bulk export's NDJSON files; a rerun finds it no longer queued."""
    from apps.fhir.export import fhir_export_run

    with request_context(RequestContext(source=AuditSource.FHIR)):
        fhir_export_run(export_id=export_id)


@shared_task(acks_late=True)
@recorded_job
def fhir_export_cleanup_task() -> int:
    """Hourly: deletes the files of exports past their expiry; returns how many."""
    from apps.fhir.export import fhir_export_cleanup

    return fhir_export_cleanup()


@shared_task(acks_late=True)
def fhir_import_task(job_id: int) -> None:
    """Imports an uploaded FHIR file; a rerun finds the job no longer queued and stops."""
    from apps.fhir.importing.uploads import fhir_import_run

    with request_context(RequestContext(source=AuditSource.IMPORT)):
        fhir_import_run(job_id=job_id)
