"""Chain risk: how likely an episode's journey is clean, and what would help most.

Each live discharge is a handoff i with failure probability
    p_i = 1 - (1 - base) * product over its missing checklist items j of (1 - w_j)
(organisation settings, TransitionSettings), and the journey is clean with
probability P = product over i of (1 - p_i). Completing item j of handoff i
multiplies P by 1 / (1 - w_j): the missing item that costs most is the one
whose completion raises P the most. Pure functions over prefetched rows.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from apps.transitions.models import (
    ChecklistItemCode,
    Handoff,
    HandoffKind,
    TransitionSettings,
)

WEIGHT_FIELDS = {
    ChecklistItemCode.SUMMARY_RECEIVED: "weight_summary_missing",
    ChecklistItemCode.RECONCILIATION_DONE: "weight_reconciliation_missing",
    ChecklistItemCode.RECONCILIATION_VERIFIED: "weight_verification_missing",
    ChecklistItemCode.FOLLOW_UP_BOOKED: "weight_follow_up_not_booked",
    ChecklistItemCode.WARNING_SIGNS_TAUGHT_BACK: "weight_teach_back_missing",
    ChecklistItemCode.PLAN_REVIEW_TRIGGERED: "weight_plan_review_missing",
}


@dataclass(frozen=True)
class MissingItem:
    handoff: Handoff
    code: str
    label: str
    weight: float
    # How much P(clean) rises, in probability (0..1), when this item is done.
    gain: float = 0.0


@dataclass
class HandoffRisk:
    handoff: Handoff
    failure: float
    missing: list[MissingItem] = field(default_factory=list)


@dataclass
class ChainRisk:
    handoffs: list[HandoffRisk]
    clean: float
    costliest: MissingItem | None

    @property
    def clean_percent(self) -> float:
        return round(self.clean * 100, 1)


def weight_for(config: TransitionSettings, code: str) -> float:
    return float(getattr(config, WEIGHT_FIELDS[ChecklistItemCode(code)]))


def handoff_failure(base: float, weights: Iterable[float]) -> float:
    survive = 1.0 - base
    for weight in weights:
        survive *= 1.0 - weight
    return 1.0 - survive


def chain_risk(handoffs: Iterable[Handoff], config: TransitionSettings) -> ChainRisk:
    """Uses each handoff's prefetched `checklist`; cancelled handoffs do not count."""
    base = float(config.base_handoff_failure or Decimal("0"))
    rows: list[HandoffRisk] = []
    clean = 1.0
    for handoff in handoffs:
        if handoff.kind != HandoffKind.DISCHARGE or handoff.cancelled_at is not None:
            continue
        missing = [
            MissingItem(
                handoff=handoff,
                code=item.code,
                label=item.get_code_display(),
                weight=weight_for(config, item.code),
            )
            for item in handoff.checklist.all()
            if item.done_at is None
        ]
        failure = handoff_failure(base, (item.weight for item in missing))
        rows.append(HandoffRisk(handoff=handoff, failure=failure, missing=missing))
        clean *= 1.0 - failure
    costliest = None
    for row in rows:
        for index, item in enumerate(row.missing):
            gain = clean / (1.0 - item.weight) - clean if item.weight < 1 else 1.0 - clean
            row.missing[index] = MissingItem(
                handoff=item.handoff,
                code=item.code,
                label=item.label,
                weight=item.weight,
                gain=gain,
            )
            if costliest is None or gain > costliest.gain:
                costliest = row.missing[index]
    return ChainRisk(handoffs=rows, clean=clean, costliest=costliest)
