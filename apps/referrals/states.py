"""The referral state machine: the one table of allowed transitions and what each needs.

Every door (UI, API, admin, jobs) moves a referral through
`services.referral_transition`, which asks this module; nothing else decides
whether a move is allowed.
"""

from dataclasses import dataclass

from apps.core.states import Move, StateTable
from apps.referrals.models import FINAL_STATES, ReferralState

S = ReferralState


@dataclass(frozen=True)
class Transition(Move):
    needs_result: bool = False
    needs_consent: bool = False
    # Marks the way a partner sends a referral back a step (e.g. a missed
    # appointment to rebook); the state is then entered again with new timers.
    is_step_back: bool = False


_TABLE = (
    Transition(S.DRAFT, S.SENT, "Send", needs_consent=True),
    Transition(S.DRAFT, S.CANCELLED, "Cancel", needs_reason=True),
    Transition(S.SENT, S.RECEIVED, "Mark received"),
    Transition(S.SENT, S.DECLINED, "Declined by the partner", needs_reason=True),
    Transition(S.SENT, S.CANCELLED, "Cancel", needs_reason=True),
    Transition(S.SENT, S.UNABLE_TO_CONTACT, "Unable to contact", needs_reason=True),
    Transition(S.RECEIVED, S.SCHEDULED, "Mark scheduled"),
    Transition(S.RECEIVED, S.DECLINED, "Declined by the partner", needs_reason=True),
    Transition(S.RECEIVED, S.CANCELLED, "Cancel", needs_reason=True),
    Transition(S.RECEIVED, S.UNABLE_TO_CONTACT, "Unable to contact", needs_reason=True),
    Transition(S.SCHEDULED, S.COMPLETED, "Mark completed"),
    Transition(S.SCHEDULED, S.RECEIVED, "Needs rebooking", needs_reason=True, is_step_back=True),
    Transition(S.SCHEDULED, S.CANCELLED, "Cancel", needs_reason=True),
    Transition(S.SCHEDULED, S.UNABLE_TO_CONTACT, "Unable to contact", needs_reason=True),
    Transition(S.COMPLETED, S.CLOSED, "Close the loop", needs_result=True),
)

REFERRAL_STATES = StateTable(
    noun="referral", states=ReferralState, moves=_TABLE, final=FINAL_STATES, field="to_state"
)
TRANSITIONS: dict[tuple[str, str], Transition] = {
    (transition.source, transition.target): transition for transition in _TABLE
}


def transitions_from(state: str) -> list[Transition]:
    """The moves allowed from `state`, in the order the table lists them."""
    return REFERRAL_STATES.moves_from(state)


def transition_get(source: str, target: str) -> Transition:
    """The transition from `source` to `target`, or an ApplicationError saying what is allowed."""
    return REFERRAL_STATES.move(source, target)
