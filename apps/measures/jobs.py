"""Queues the measures app's Celery jobs, always after commit and by id only."""

from django.db import transaction


def measure_snapshots_organisation_enqueue(organisation_id: int) -> None:
    """Refreshes an organisation's unsettled monthly snapshots once the caller commits."""
    from apps.measures.workers import measure_snapshots_organisation_task

    transaction.on_commit(lambda: measure_snapshots_organisation_task.delay(organisation_id))
