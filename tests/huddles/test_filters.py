"""The huddle list's filter: one form, read the same by the page and the API."""

import pytest

from tests.filters import assert_refused_alike, get_both
from tests.huddles.factories import make_huddle

HUDDLE_LIST = ("huddles:list", "api-huddle-list")


@pytest.mark.parametrize("value", ["abc", "-3", "other-team"])
def test_board_filters_reject_bad_values_the_same_on_page_and_api(
    client_for, api_for, nurse, team, other_team, value
):
    make_huddle(team, nurse)
    team_id = str(other_team.pk) if value == "other-team" else value
    params = {"team_id": team_id}
    page, api = get_both(client_for(nurse), api_for(nurse), HUDDLE_LIST, params)
    assert_refused_alike(page, api, "team_id")


def test_huddle_filter_accepts_the_same_team_on_page_and_api(client_for, api_for, nurse, team):
    huddle = make_huddle(team, nurse)
    params = {"team_id": str(team.pk)}
    page, api = get_both(client_for(nurse), api_for(nurse), HUDDLE_LIST, params)
    assert page.status_code == api.status_code == 200
    assert [row.huddle.pk for row in page.context["listing"].upcoming] == [huddle.pk]
    assert [row["huddle"]["id"] for row in api.json()["upcoming"]] == [huddle.pk]
