"""The shape every agenda source shares.

A source is a function `collect(context) -> list[Candidate]` that reads one kind of
evidence for a whole team set-wise (a fixed number of queries, however many
patients the team has), plus an optional `enrich(context, candidates)` that adds
detail lines for the few candidates that made it onto the agenda (again a fixed
number of queries). Sources are listed in `apps.huddles.agenda.SOURCES`; adding
one as another app lands is one function and one line there.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from apps.accounts.models import User
from apps.huddles.models import ItemSource


@dataclass(frozen=True)
class Evidence:
    """One fact that put a patient on the agenda. Identifiers and short text only."""

    label: str
    detail: str = ""
    object_type: str = ""
    object_id: int | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "label": self.label,
            "detail": self.detail,
            "object_type": self.object_type,
            "object_id": self.object_id,
        }


@dataclass
class Candidate:
    """An item a source proposes for the agenda.

    `key` must be stable while the matter lasts (same patient, same underlying
    object): the next huddle recognises an unfinished item by it, and a key no
    source produces any more means the matter is resolved.
    """

    source: ItemSource
    key: str
    patient_id: int
    title: str
    urgency: int
    evidence: list[Evidence] = field(default_factory=list)

    @classmethod
    def about(
        cls,
        source: ItemSource,
        ref: str,
        *,
        patient_id: int,
        title: str,
        urgency: float,
        evidence: list[Evidence],
    ) -> "Candidate":
        """The matter `ref` of a source, keyed "<source>:<ref>" (e.g. "discharge:h12"),
        its urgency kept within 1-99."""
        return cls(
            source=source,
            key=f"{source}:{ref}",
            patient_id=patient_id,
            title=title,
            urgency=clamp_urgency(urgency),
            evidence=evidence,
        )

    def evidence_json(self) -> list[dict[str, object]]:
        return [entry.as_json() for entry in self.evidence]


@dataclass(frozen=True)
class AgendaContext:
    """What every source needs to know about the huddle it builds for."""

    team_id: int
    organisation_id: int
    now: datetime
    # Start of the window for "since the last huddle" sources.
    since: datetime
    # Current members of the team; work owned by anyone else is orphaned.
    active_member_ids: frozenset[int]
    # Keys the last huddle left unfinished or had no room for. Event sources
    # ("since the last huddle") re-check these too, so such a matter carries
    # over while it is still relevant instead of falling out of the window.
    carried_keys: frozenset[str] = frozenset()
    # The person the agenda is built for (opening, refreshing, previewing):
    # sources that read through another app's access-checked selector use it.
    viewer: User | None = None
    # Reads that several sources share, made once per build (one query over the
    # team's open tasks serves both task sources).
    shared: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def carried_ids(self, source: ItemSource, prefix: str) -> list[int]:
        """Object ids in the carried keys of one source, e.g. "discharge:e12" -> 12."""
        head = f"{source}:{prefix}"
        ids = []
        for key in self.carried_keys:
            if key.startswith(head) and key[len(head) :].isdigit():
                ids.append(int(key[len(head) :]))
        return ids


class SourceKind(StrEnum):
    # A condition that holds until someone acts (overdue work): it comes back
    # at every huddle while it holds, even after being discussed.
    STATE = "state"
    # Something that happened since the last huddle (a discharge, a new screen):
    # once discussed or skipped it does not come back.
    EVENT = "event"


@dataclass(frozen=True)
class AgendaSource:
    source: ItemSource
    collect: Callable[[AgendaContext], list[Candidate]]
    enrich: Callable[[AgendaContext, list[Candidate]], None] | None = None
    kind: SourceKind = SourceKind.STATE


def clamp_urgency(value: float) -> int:
    """Urgency is 1-99; higher is discussed first."""
    return max(1, min(99, int(value)))
