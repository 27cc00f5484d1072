"""Queues the FHIR app's Celery jobs, always after commit and by id only."""

from django.db import transaction


def fhir_export_enqueue(export_id: int) -> None:
    from apps.fhir.workers import fhir_export_task

    transaction.on_commit(lambda: fhir_export_task.delay(export_id))


def fhir_import_enqueue(job_id: int) -> None:
    """Runs an uploaded FHIR import once its job row has committed."""
    from apps.fhir.workers import fhir_import_task

    transaction.on_commit(lambda: fhir_import_task.delay(job_id))
