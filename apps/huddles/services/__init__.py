"""Huddle writes. Every door (htmx views, API, admin, jobs) calls these."""

from apps.huddles.services.items import (
    huddle_agenda_reorder,
    huddle_item_add,
    huddle_item_decision_record,
    huddle_item_discuss,
    huddle_item_move,
    huddle_item_reopen,
    huddle_item_skip,
    huddle_item_task_create,
    new_task_token,
)
from apps.huddles.services.meeting import (
    agenda_plan_for,
    huddle_agenda_refresh,
    huddle_attendance_set,
    huddle_close,
    huddle_close_validate,
    huddle_open,
    previous_huddle,
)
from apps.huddles.services.schedule import (
    huddle_cancel,
    huddle_schedule,
    huddle_series_create,
    huddle_series_end,
    huddle_series_extend,
    huddle_settings_for,
    huddle_update,
)

__all__ = [
    "agenda_plan_for",
    "huddle_agenda_refresh",
    "huddle_agenda_reorder",
    "huddle_attendance_set",
    "huddle_cancel",
    "huddle_close",
    "huddle_close_validate",
    "huddle_item_add",
    "huddle_item_decision_record",
    "huddle_item_discuss",
    "huddle_item_move",
    "huddle_item_reopen",
    "huddle_item_skip",
    "huddle_item_task_create",
    "huddle_open",
    "huddle_schedule",
    "huddle_series_create",
    "huddle_series_end",
    "huddle_series_extend",
    "huddle_settings_for",
    "huddle_update",
    "new_task_token",
    "previous_huddle",
]
