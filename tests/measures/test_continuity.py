"""Continuity indices against an independent implementation and hand-worked cases."""

import random
from collections import Counter
from fractions import Fraction

import pytest

from apps.measures.continuity import (
    bice_boxerman,
    continuity_of,
    sequential_continuity,
    usual_provider_of_care,
)


def _oracle(history: list[str]) -> tuple[Fraction, Fraction, Fraction]:
    """UPC, COC and SECON written another way: Counter and exact fractions."""
    counts = Counter(history)
    total = len(history)
    upc = Fraction(counts.most_common(1)[0][1], total)
    coc = Fraction(sum(n**2 for n in counts.values()) - total, total * (total - 1))
    pairs = [(history[i], history[i + 1]) for i in range(total - 1)]
    secon = Fraction(len([p for p in pairs if p[0] == p[1]]), len(pairs))
    return upc, coc, secon


def test_indices_agree_with_an_independent_implementation_on_2000_visit_histories() -> None:
    rng = random.Random(20261204)
    checked = 0
    for _ in range(2000):
        providers = [f"Dr {chr(65 + i)}" for i in range(rng.randint(1, 6))]
        history = [rng.choice(providers) for _ in range(rng.randint(3, 40))]
        upc, coc, secon = _oracle(history)
        result = continuity_of(history, min_visits=3)
        assert result.visits == len(history)
        assert result.upc == pytest.approx(float(upc), abs=1e-12)
        assert result.coc == pytest.approx(float(coc), abs=1e-12)
        assert result.secon == pytest.approx(float(secon), abs=1e-12)
        checked += 1
    assert checked == 2000


def test_below_the_minimum_number_of_visits_no_index_is_shown() -> None:
    result = continuity_of(["Dr A", "Dr A"], min_visits=3)
    assert (result.visits, result.upc, result.coc, result.secon) == (2, None, None, None)
    assert usual_provider_of_care([], min_visits=3) is None


def test_minimum_number_of_visits_comes_from_settings(settings) -> None:
    settings.MEASURES_CONTINUITY_MIN_VISITS = 5
    assert bice_boxerman(["Dr A"] * 4) is None
    assert bice_boxerman(["Dr A"] * 5) == 1.0


def test_a_minimum_below_two_still_never_divides_by_zero() -> None:
    result = continuity_of(["Dr A"], min_visits=1)
    assert (result.upc, result.coc, result.secon) == (None, None, None)


def test_all_visits_with_one_provider_is_perfect_continuity() -> None:
    result = continuity_of(["Dr A"] * 4, min_visits=3)
    assert (result.upc, result.coc, result.secon) == (1.0, 1.0, 1.0)


def test_every_visit_with_a_different_provider_is_no_continuity() -> None:
    result = continuity_of(["Dr A", "Dr B", "Dr C", "Dr D"], min_visits=3)
    assert result.upc == 0.25
    assert result.coc == 0.0
    assert result.secon == 0.0


def test_hand_worked_history_of_five_visits() -> None:
    # A A B A C: n = (3, 1, 1); UPC 3/5; COC (9+1+1-5)/(5*4) = 6/20; pairs AA AB BA AC: 1/4.
    history = ["Dr A", "Dr A", "Dr B", "Dr A", "Dr C"]
    assert usual_provider_of_care(history, min_visits=3) == 0.6
    assert bice_boxerman(history, min_visits=3) == pytest.approx(0.3)
    assert sequential_continuity(history, min_visits=3) == 0.25
