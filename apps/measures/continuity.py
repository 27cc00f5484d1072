"""Continuity of care indices from a patient's visits, each visit named by its provider.

The visits are the patient's outpatient encounters in date order, each labelled
with `Encounter.attending_provider` (the encounter model has no link to a
staff account, so the provider is the name the record carries; a visit with
no provider named cannot be attributed and is left out before these run).

- UPC, Usual Provider of Care: the share of visits made to the provider seen
  most, n_max / N.
- COC, the Bice-Boxerman Continuity of Care index: (sum of n_j squared - N) /
  (N (N - 1)) over the providers j seen; 1 when one provider saw every visit,
  0 when every visit was with someone different.
- SECON, sequential continuity: of the N - 1 pairs of consecutive visits, the
  share made to the same provider twice in a row.

Few visits make these indices jump between 0 and 1 on chance alone, so below
a minimum number of visits (settings.MEASURES_CONTINUITY_MIN_VISITS, default 3;
never fewer than 2, which COC and SECON need) an index is not shown: None.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from django.conf import settings


@dataclass(frozen=True)
class Continuity:
    """A patient's three indices; each None when there are too few visits to show it."""

    visits: int
    upc: float | None
    coc: float | None
    secon: float | None


def minimum_visits() -> int:
    return max(2, int(settings.MEASURES_CONTINUITY_MIN_VISITS))


def _visits_per_provider(providers: Sequence[str]) -> list[int]:
    tally: dict[str, int] = {}
    for provider in providers:
        tally[provider] = tally.get(provider, 0) + 1
    return list(tally.values())


def _enough(providers: Sequence[str], min_visits: int | None) -> bool:
    floor = minimum_visits() if min_visits is None else max(2, min_visits)
    return len(providers) >= floor


def usual_provider_of_care(
    providers: Sequence[str], *, min_visits: int | None = None
) -> float | None:
    """n_max / N, or None below the minimum number of visits."""
    if not _enough(providers, min_visits):
        return None
    return max(_visits_per_provider(providers)) / len(providers)


def bice_boxerman(providers: Sequence[str], *, min_visits: int | None = None) -> float | None:
    """(sum n_j^2 - N) / (N (N - 1)), or None below the minimum number of visits."""
    if not _enough(providers, min_visits):
        return None
    total = len(providers)
    squares = sum(count * count for count in _visits_per_provider(providers))
    return (squares - total) / (total * (total - 1))


def sequential_continuity(
    providers: Sequence[str], *, min_visits: int | None = None
) -> float | None:
    """Share of consecutive visit pairs with the same provider, or None below the minimum."""
    if not _enough(providers, min_visits):
        return None
    repeats = sum(1 for before, after in pairwise(providers) if before == after)
    return repeats / (len(providers) - 1)


def continuity_of(providers: Sequence[str], *, min_visits: int | None = None) -> Continuity:
    """All three indices of one visit history (providers in visit order)."""
    return Continuity(
        visits=len(providers),
        upc=usual_provider_of_care(providers, min_visits=min_visits),
        coc=bice_boxerman(providers, min_visits=min_visits),
        secon=sequential_continuity(providers, min_visits=min_visits),
    )
