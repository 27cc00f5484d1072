"""Transition tables for stateful models: which moves are allowed and what each needs.

Each stateful model (referrals, tasks, transition episodes, care-plan goals)
declares one `StateTable`; its services ask it before moving a row and its
pages offer buttons from `moves_from`. Nothing else decides whether a move is
allowed.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db import models

from apps.core.exceptions import ApplicationError, ConflictError


@dataclass(frozen=True)
class Move:
    source: str
    target: str
    label: str
    needs_reason: bool = False


T = TypeVar("T", bound=Move)


class StateTable(Generic[T]):
    """The allowed moves of one kind of row, keyed by (source, target)."""

    def __init__(
        self,
        *,
        noun: str,
        states: type[models.TextChoices],
        moves: Iterable[T],
        final: Iterable[str] = (),
        field: str = "status",
    ) -> None:
        self.noun = noun
        self.states = states
        self.moves: tuple[T, ...] = tuple(moves)
        self.final = frozenset(final)
        self.field = field
        self._by_pair = {(move.source, move.target): move for move in self.moves}

    def label(self, state: str) -> str:
        try:
            return str(self.states(state).label)
        except ValueError:
            return repr(state)

    def moves_from(self, state: str) -> list[T]:
        """The moves allowed from `state`, in the order the table lists them."""
        return [move for move in self.moves if move.source == state]

    def targets_from(self, state: str) -> frozenset[str]:
        return frozenset(move.target for move in self.moves_from(state))

    def allows(self, source: str, target: str) -> bool:
        return (source, target) in self._by_pair

    def move(self, source: str, target: str) -> T:
        """The move from `source` to `target`; else an ApplicationError (a ConflictError when
        the state is real but not reachable from here) saying what is allowed."""
        noun, field = self.noun, self.field
        if target not in self.states.values:
            raise ApplicationError(
                f"{self.label(target)} is not a {noun} state.",
                field_errors={field: [f"Choose one of: {', '.join(self.states.values)}."]},
            )
        found = self._by_pair.get((source, target))
        if found is not None:
            return found
        source_label, target_label = self.label(source), self.label(target)
        if source in self.final:
            message = (
                f"This {noun} is {source_label}: it is finished and cannot become {target_label}."
            )
        elif source == target:
            message = f"This {noun} is already {source_label}."
        else:
            allowed = ", ".join(self.label(move.target) for move in self.moves_from(source))
            message = (
                f"A {noun} cannot go from {source_label} to {target_label}. "
                f"From {source_label} it can go to: {allowed or 'nothing'}."
            )
        # The request names a real state; the object is just not where that move starts.
        raise ConflictError(message, field_errors={field: [message]})
