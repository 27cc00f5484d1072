"""Merging the sources' candidates with what is already on, or was left from, an agenda."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from apps.huddles.agenda.base import (
    AgendaContext,
    AgendaSource,
    Candidate,
    Evidence,
    SourceKind,
)
from apps.huddles.models import AgendaItem, ItemSource

SOURCE_ORDER = {source.value: index for index, source in enumerate(ItemSource)}


def collect_candidates(
    context: AgendaContext, sources: Sequence[AgendaSource], dealt_with: Iterable[str] = ()
) -> dict[str, Candidate]:
    """Every source's candidates for the team, by key (a key appears once).

    Events the last huddle already discussed or skipped (`dealt_with`) are dropped.
    """
    done = set(dealt_with)
    found: dict[str, Candidate] = {}
    for source in sources:
        for candidate in source.collect(context):
            if source.kind == SourceKind.EVENT and candidate.key in done:
                continue
            found.setdefault(candidate.key, candidate)
    return found


def sort_key(candidate: Candidate) -> tuple[int, int, int, str]:
    """Most urgent first; ties by source (the order of ItemSource), then patient."""
    return (
        -candidate.urgency,
        SOURCE_ORDER.get(candidate.source, 99),
        candidate.patient_id,
        candidate.key,
    )


@dataclass
class AgendaPlan:
    """What the agenda should hold, in order, and what the sources still see.

    `found_keys` is every key a source produced (also those left out for room):
    an automatic item whose key is missing from it has been resolved.
    """

    candidates: list[Candidate]
    found_keys: frozenset[str]
    carried_from: dict[str, AgendaItem] = field(default_factory=dict)
    left_out: int = 0
    # Event keys with no room this time: the next huddle looks at them again.
    left_out_event_keys: list[str] = field(default_factory=list)


def _from_item(item: AgendaItem) -> Candidate:
    return Candidate(
        source=ItemSource(item.source),
        key=item.key,
        patient_id=item.patient_id,
        title=item.title,
        urgency=item.urgency,
        evidence=[Evidence(**entry) for entry in item.evidence],
    )


def plan_agenda(
    *,
    context: AgendaContext,
    sources: Sequence[AgendaSource],
    limit: int,
    unfinished: Iterable[AgendaItem] = (),
    keep_keys: Iterable[str] = (),
    exclude_keys: Iterable[str] = (),
    dealt_with: Iterable[str] = (),
) -> AgendaPlan:
    """Chooses the agenda: carried-over and kept matters always, then the most urgent.

    An unfinished item of the last huddle comes back when its source still
    produces its key (with fresh evidence) or when a person added it by hand;
    otherwise it was resolved in between and drops off. `keep_keys` are items
    already on this agenda (they keep their place whatever the limit);
    `exclude_keys` are matters this huddle has already dealt with;
    `dealt_with` the keys the last huddle discussed or skipped.
    """
    found = collect_candidates(context, sources, dealt_with)
    found_keys = frozenset(found)
    excluded = set(exclude_keys)
    carried_from: dict[str, AgendaItem] = {}
    for item in unfinished:
        if item.key in excluded:
            continue
        if item.source == ItemSource.MANUAL:
            found[item.key] = _from_item(item)
        if item.key in found:
            carried_from[item.key] = item
    always = set(carried_from) | (set(keep_keys) & set(found))
    ranked = sorted(
        (candidate for key, candidate in found.items() if key not in excluded), key=sort_key
    )
    kept = [candidate for candidate in ranked if candidate.key in always]
    fresh = [candidate for candidate in ranked if candidate.key not in always]
    room = max(0, limit - len(kept))
    kept.extend(fresh[:room])
    events = {source.source for source in sources if source.kind == SourceKind.EVENT}
    kept.sort(key=sort_key)
    by_source: dict[str, list[Candidate]] = {}
    for candidate in kept:
        by_source.setdefault(candidate.source, []).append(candidate)
    for source in sources:
        chosen = by_source.get(source.source)
        if source.enrich is not None and chosen:
            source.enrich(context, chosen)
    return AgendaPlan(
        candidates=kept,
        found_keys=found_keys,
        carried_from=carried_from,
        left_out=max(0, len(fresh) - room),
        left_out_event_keys=[
            candidate.key for candidate in fresh[room:] if candidate.source in events
        ],
    )
