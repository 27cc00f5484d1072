"""Reading huddles. Access follows the team; every read that shows patients is audited.

One module per aggregate; every name is importable from here as before.
"""

from apps.huddles.selectors.board import (
    AgendaPreview,
    Board,
    BoardItem,
    Clock,
    PatientHuddleEntry,
    PreviewItem,
    TaskLine,
    huddle_agenda_preview_for_user,
    huddle_attendance,
    huddle_board_for_user,
    huddle_clock,
    patient_huddle_history_for_user,
    team_members,
    team_patient_by_mrn,
)
from apps.huddles.selectors.huddles import (
    PAST_LIMIT,
    UPCOMING_LIMIT,
    HuddleList,
    HuddleMeasures,
    HuddleRow,
    RoleAttendance,
    huddle_get_for_user,
    huddle_item_get_for_user,
    huddle_list_for_user,
    huddle_measures,
    series_get_for_user,
    series_list_for_user,
)

__all__ = [
    "PAST_LIMIT",
    "UPCOMING_LIMIT",
    "AgendaPreview",
    "Board",
    "BoardItem",
    "Clock",
    "HuddleList",
    "HuddleMeasures",
    "HuddleRow",
    "PatientHuddleEntry",
    "PreviewItem",
    "RoleAttendance",
    "TaskLine",
    "huddle_agenda_preview_for_user",
    "huddle_attendance",
    "huddle_board_for_user",
    "huddle_clock",
    "huddle_get_for_user",
    "huddle_item_get_for_user",
    "huddle_list_for_user",
    "huddle_measures",
    "patient_huddle_history_for_user",
    "series_get_for_user",
    "series_list_for_user",
    "team_members",
    "team_patient_by_mrn",
]
