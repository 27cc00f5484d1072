"""Queues the transitions app's Celery jobs, always after commit and by id only.

Services call these instead of importing `workers` (an import-linter contract
keeps it so): a job queued inside a transaction could run before its rows are
visible, or run for rows that were rolled back.
"""

from django.db import transaction


def follow_up_schedule_enqueue(follow_up_id: int) -> None:
    """Creates the follow-up tasks of one discharge home once the discharge commits."""
    from apps.transitions.workers import follow_up_schedule_task

    transaction.on_commit(lambda: follow_up_schedule_task.delay(follow_up_id))
