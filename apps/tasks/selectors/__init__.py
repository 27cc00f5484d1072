"""Reading tasks: worklists, orphaned work, one task with its history, notifications.

Split by what is read (`rows`, `worklists`, `tasks`, `notifications`); every
name other apps and the pages use is importable from here.
"""

from apps.tasks.selectors.notifications import (
    notification_list_for_user,
    notification_unread_count,
)
from apps.tasks.selectors.rows import TaskRow
from apps.tasks.selectors.tasks import (
    task_get_for_user,
    task_history,
    task_list_for_patient,
    task_owner_choices,
    task_row_for_user,
    user_get,
)
from apps.tasks.selectors.worklists import (
    ORPHANED_SHOWN,
    TEAM_PAGE_SIZE,
    MyWork,
    TeamWorklist,
    TeamWorklistFilters,
    my_work_counts_for_user,
    my_work_for_user,
    orphaned_tasks_for_user,
    team_worklist_for_user,
)

__all__ = [
    "ORPHANED_SHOWN",
    "TEAM_PAGE_SIZE",
    "MyWork",
    "TaskRow",
    "TeamWorklist",
    "TeamWorklistFilters",
    "my_work_counts_for_user",
    "my_work_for_user",
    "notification_list_for_user",
    "notification_unread_count",
    "orphaned_tasks_for_user",
    "task_get_for_user",
    "task_history",
    "task_list_for_patient",
    "task_owner_choices",
    "task_row_for_user",
    "team_worklist_for_user",
    "user_get",
]
