"""The task state machine: the one table of allowed status changes and what each is called.

The lifecycle services (`apps.tasks.services.lifecycle`) ask it before every
status change and `permissions.task_actions` offers buttons from it, so a
button is shown exactly when the service would accept the move.
"""

from dataclasses import dataclass

from apps.core.exceptions import ApplicationError
from apps.core.states import Move, StateTable
from apps.tasks.models import CLOSED_STATUSES, TaskStatus

S = TaskStatus

START = "start"
HOLD = "hold"
COMPLETE = "complete"
VERIFY = "verify"
CANCEL = "cancel"
FAIL = "fail"


@dataclass(frozen=True)
class TaskMove(Move):
    # The button (and service) that makes this move; two moves may reach one
    # state (completing and verifying both end in "done").
    action: str = ""


def _moves() -> list[TaskMove]:
    moves = [
        TaskMove(S.REQUESTED, S.IN_PROGRESS, "Start", action=START),
        TaskMove(S.ON_HOLD, S.IN_PROGRESS, "Resume", action=START),
        TaskMove(S.REQUESTED, S.ON_HOLD, "Put on hold", needs_reason=True, action=HOLD),
        TaskMove(S.IN_PROGRESS, S.ON_HOLD, "Put on hold", needs_reason=True, action=HOLD),
    ]
    for source in (S.REQUESTED, S.IN_PROGRESS, S.ON_HOLD):
        moves += [
            TaskMove(source, S.DONE, "Complete", action=COMPLETE),
            TaskMove(source, S.AWAITING_VERIFICATION, "Done, send for a check", action=COMPLETE),
        ]
    moves.append(TaskMove(S.AWAITING_VERIFICATION, S.DONE, "Verify the work", action=VERIFY))
    for source in (S.REQUESTED, S.IN_PROGRESS, S.ON_HOLD, S.AWAITING_VERIFICATION):
        moves += [
            TaskMove(source, S.CANCELLED, "Cancel", needs_reason=True, action=CANCEL),
            TaskMove(source, S.FAILED, "Could not be done", needs_reason=True, action=FAIL),
        ]
    return moves


TASK_STATES: StateTable[TaskMove] = StateTable(
    noun="task", states=TaskStatus, moves=_moves(), final=CLOSED_STATUSES
)

# What each action says when the task's status does not allow it.
_REFUSALS = {
    START: "Only a requested or held task can be started.",
    HOLD: "Only a requested or started task can be put on hold.",
    COMPLETE: "This task is not open for completion.",
    VERIFY: "This task is not awaiting verification.",
    CANCEL: "This task is already closed.",
    FAIL: "This task is already closed.",
}


def task_actions_from(status: str) -> frozenset[str]:
    """The actions the table allows from `status` (rights decide who may press them)."""
    return frozenset(move.action for move in TASK_STATES.moves_from(status))


def task_move(status: str, target: str, action: str) -> TaskMove:
    """The move `action` makes from `status` to `target`, or the action's refusal."""
    if TASK_STATES.allows(status, target):
        move = TASK_STATES.move(status, target)
        if move.action == action:
            return move
    raise ApplicationError(_REFUSALS[action])
