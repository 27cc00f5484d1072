"""The goal state machine: the one table of the moves a goal's status may make.

`services.goal_update` asks it before a status changes, and the goal form offers
only the moves it lists. A goal that is achieved, not achieved or cancelled is
closed: its open intervention tasks are closed with it (services.goals).
"""

from apps.careplans.models import GoalStatus
from apps.core.states import Move, StateTable

S = GoalStatus

_MOVES = (
    Move(S.PROPOSED, S.ACTIVE, "Agree and start"),
    Move(S.PROPOSED, S.CANCELLED, "Cancel"),
    Move(S.ACTIVE, S.ON_HOLD, "Put on hold"),
    Move(S.ACTIVE, S.ACHIEVED, "Mark achieved"),
    Move(S.ACTIVE, S.NOT_ACHIEVED, "Mark not achieved"),
    Move(S.ACTIVE, S.CANCELLED, "Cancel"),
    Move(S.ON_HOLD, S.ACTIVE, "Resume"),
    Move(S.ON_HOLD, S.NOT_ACHIEVED, "Mark not achieved"),
    Move(S.ON_HOLD, S.CANCELLED, "Cancel"),
    # A goal closed without success may be taken up again; an achieved one is done.
    Move(S.NOT_ACHIEVED, S.ACTIVE, "Try again"),
    Move(S.CANCELLED, S.ACTIVE, "Reopen"),
)

GOAL_STATES = StateTable(
    noun="goal", states=GoalStatus, moves=_MOVES, final=(S.ACHIEVED,), field="status"
)
# The statuses a goal may start in.
GOAL_START_STATUSES = (S.PROPOSED, S.ACTIVE)
# Reaching one of these closes the goal's open intervention tasks, with this reason.
GOAL_CLOSING_REASONS: dict[str, str] = {
    S.ACHIEVED: "Goal achieved",
    S.NOT_ACHIEVED: "Goal not achieved",
    S.CANCELLED: "Goal cancelled",
}


def goal_status_choices(current: str | None) -> list[tuple[str, str]]:
    """The current status and the ones it may move to (all start statuses for a new goal)."""
    allowed: set[str] = (
        set(GOAL_START_STATUSES)
        if current is None
        else {current, *GOAL_STATES.targets_from(current)}
    )
    return [(value, label) for value, label in GoalStatus.choices if value in allowed]
