"""Writing tasks: one module per concern, every public service importable from here."""

from apps.tasks.services.bulk import task_bulk_reassign
from apps.tasks.services.lifecycle import (
    task_cancel,
    task_complete,
    task_create,
    task_fail,
    task_hold,
    task_link,
    task_owner_validate,
    task_reassign,
    task_start,
    task_update,
    task_verify,
)
from apps.tasks.services.recurrence import task_next_occurrence
from apps.tasks.services.reminders import (
    SweepResult,
    task_reminders_sweep,
    task_settings_get,
    task_settings_update,
)
from apps.tasks.services.snooze import task_snooze, task_unsnooze

__all__ = [
    "SweepResult",
    "task_bulk_reassign",
    "task_cancel",
    "task_complete",
    "task_create",
    "task_fail",
    "task_hold",
    "task_link",
    "task_next_occurrence",
    "task_owner_validate",
    "task_reassign",
    "task_reminders_sweep",
    "task_settings_get",
    "task_settings_update",
    "task_snooze",
    "task_start",
    "task_unsnooze",
    "task_update",
    "task_verify",
]
