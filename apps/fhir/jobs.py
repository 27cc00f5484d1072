"""Queues the fhir app's Celery jobs, always after commit and by id only."""

from django.db import transaction


def fhir_import_enqueue(job_id: int) -> None:
    """Runs an uploaded FHIR import once its job row has committed."""
    from apps.fhir.workers import fhir_import_task

    transaction.on_commit(lambda: fhir_import_task.delay(job_id))
