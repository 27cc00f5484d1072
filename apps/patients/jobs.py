"""Queues the patients app's Celery jobs, always after commit and by id only."""

from django.db import transaction


def complexity_recompute_organisation_enqueue(organisation_id: int) -> None:
    """Recomputes the organisation's complexity flags after new thresholds commit."""
    from apps.patients.workers import complexity_recompute_organisation_task

    transaction.on_commit(lambda: complexity_recompute_organisation_task.delay(organisation_id))


def panel_import_enqueue(job_id: int) -> None:
    """Runs a queued panel import once its upload has committed."""
    from apps.patients.workers import panel_import_task

    transaction.on_commit(lambda: panel_import_task.delay(job_id))
