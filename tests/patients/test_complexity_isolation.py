"""The nightly complexity job: one organisation that fails stops no other."""

import pytest

from apps.core.items import ItemsFailed
from apps.patients import complexity
from tests import factories

pytestmark = pytest.mark.django_db


def test_one_organisation_that_fails_does_not_stop_the_nightly_recompute(monkeypatch):
    broken, healthy = factories.make_organisation(), factories.make_organisation()
    recompute = complexity.complexity_recompute
    done: list[int] = []

    def failing_for_one(*, organisation_id, **kwargs):
        if organisation_id == broken.pk:
            raise RuntimeError("cannot recompute")
        done.append(organisation_id)
        return recompute(organisation_id=organisation_id, **kwargs)

    monkeypatch.setattr(complexity, "complexity_recompute", failing_for_one)

    with pytest.raises(ItemsFailed, match=f"1 of 2 organisations failed: {broken.pk}"):
        complexity.complexity_recompute_all()
    assert done == [healthy.pk]
