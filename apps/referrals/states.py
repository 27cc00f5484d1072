"""The referral state machine: the one table of allowed transitions and what each needs.

Every door (UI, API, admin, jobs) moves a referral through
`services.referral_transition`, which asks this module; nothing else decides
whether a move is allowed.
"""

from dataclasses import dataclass

from apps.core.exceptions import ApplicationError
from apps.referrals.models import FINAL_STATES, ReferralState

S = ReferralState


@dataclass(frozen=True)
class Transition:
    source: ReferralState
    target: ReferralState
    label: str
    needs_reason: bool = False
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

TRANSITIONS: dict[tuple[str, str], Transition] = {
    (transition.source, transition.target): transition for transition in _TABLE
}


def transitions_from(state: str) -> list[Transition]:
    """The moves allowed from `state`, in the order the table lists them."""
    return [transition for transition in _TABLE if transition.source == state]


def _label(state: str) -> str:
    try:
        return ReferralState(state).label
    except ValueError:
        return repr(state)


def transition_get(source: str, target: str) -> Transition:
    """The transition from `source` to `target`, or an ApplicationError saying what is allowed."""
    if target not in ReferralState.values:
        raise ApplicationError(
            f"{_label(target)} is not a referral state.",
            field_errors={"to_state": [f"Choose one of: {', '.join(ReferralState.values)}."]},
        )
    transition = TRANSITIONS.get((source, target))
    if transition is not None:
        return transition
    if source in FINAL_STATES:
        message = (
            f"This referral is {_label(source)}: it is finished and cannot become {_label(target)}."
        )
    elif source == target:
        message = f"This referral is already {_label(source)}."
    else:
        allowed = ", ".join(_label(t.target) for t in transitions_from(source))
        message = (
            f"A referral cannot go from {_label(source)} to {_label(target)}. "
            f"From {_label(source)} it can go to: {allowed}."
        )
    raise ApplicationError(message, field_errors={"to_state": [message]})
