"""The huddle page says who runs and closes a huddle to those it does not offer it to."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from apps.huddles import services
from tests.huddles.factories import make_huddle, open_huddle

LINE = "Huddles are run and closed by the team's RN care coordinators and lead coordinator."


def test_a_pcp_reads_who_closes_the_huddle_and_the_refusal_says_the_same(
    team, nurse, pcp, client_for
):
    huddle = open_huddle(team, nurse)
    page = client_for(pcp).get(reverse("huddles:detail", args=[huddle.pk])).content.decode()
    assert 'id="why-not-close"' in page
    assert LINE.replace("'", "&#x27;") in page
    assert 'id="close-huddle"' not in page
    with pytest.raises(PermissionDenied) as refused:
        services.huddle_close(actor=pcp, huddle=huddle, carry_over=True)
    assert str(refused.value) == LINE


def test_the_lead_is_offered_close_and_no_why_line(team, nurse, client_for):
    huddle = open_huddle(team, nurse)
    page = client_for(nurse).get(reverse("huddles:detail", args=[huddle.pk])).content.decode()
    assert 'id="close-huddle"' in page
    assert "why-not-close" not in page


def test_a_scheduled_huddle_says_who_opens_it(team, nurse, pcp, client_for):
    huddle = make_huddle(team, nurse)
    page = client_for(pcp).get(reverse("huddles:detail", args=[huddle.pk])).content.decode()
    assert 'id="why-not-open"' in page
    assert 'id="open-huddle"' not in page
