"""The episode state machine: the one table of how a transition episode's status may change.

Every service that changes an episode's status (apps.transitions.services.episodes,
the readmission watch in followups) asks this table first; a message that
would move an episode in a way the table lacks is refused instead of leaving
the episode in a state nobody planned for.
"""

from apps.core.states import Move, StateTable
from apps.transitions.models import EpisodeStatus

S = EpisodeStatus

_MOVES = (
    Move(S.IN_CARE, S.IN_TRANSIT, "Discharged to another facility"),
    Move(S.IN_CARE, S.FOLLOW_UP, "Discharged home: follow-up and readmission watch"),
    Move(S.IN_CARE, S.CLOSED, "Ended: died, or left without a stay"),
    Move(S.IN_CARE, S.CANCELLED, "Admission cancelled", needs_reason=True),
    Move(S.IN_TRANSIT, S.IN_CARE, "Arrived, or the discharge was cancelled"),
    Move(S.FOLLOW_UP, S.CLOSED, "Watch ended, or readmitted"),
    Move(S.FOLLOW_UP, S.IN_CARE, "Discharge cancelled", needs_reason=True),
    Move(S.CLOSED, S.IN_CARE, "Discharge cancelled", needs_reason=True),
    Move(S.CLOSED, S.FOLLOW_UP, "Readmission cancelled: the watch runs again"),
    # A hospital correcting a discharge (an A03 again for the same visit, new destination).
    Move(S.FOLLOW_UP, S.IN_TRANSIT, "Discharge corrected: to another facility"),
    Move(S.IN_TRANSIT, S.FOLLOW_UP, "Discharge corrected: home"),
    Move(S.IN_TRANSIT, S.CLOSED, "Discharge corrected: died"),
)

EPISODE_STATES: StateTable[Move] = StateTable(
    noun="episode", states=EpisodeStatus, moves=_MOVES, final=(S.CANCELLED,)
)
