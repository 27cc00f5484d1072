"""The transitions board and episode list: one form each, read the same by page and API."""

import pytest

from tests.filters import assert_refused_alike, get_both

BOARD = ("transitions:board", "api-transitions-board")
EPISODES = ("transitions:episodes", "api-episode-list")


@pytest.mark.parametrize(
    ("names", "params", "field"),
    [
        (BOARD, {"days": "0"}, "days"),
        (BOARD, {"days": "61"}, "days"),
        (BOARD, {"days": "a week"}, "days"),
        (EPISODES, {"status": "lost"}, "status"),
    ],
)
def test_board_filters_reject_bad_values_the_same_on_page_and_api(
    client_for, api_for, nurse, patient, names, params, field
):
    page, api = get_both(client_for(nurse), api_for(nurse), names, params)
    assert_refused_alike(page, api, field)


@pytest.mark.parametrize(
    ("names", "params"), [(BOARD, {"days": "14"}), (EPISODES, {"status": "in_care"})]
)
def test_transition_filters_accept_the_same_good_values_on_page_and_api(
    client_for, api_for, nurse, patient, names, params
):
    page, api = get_both(client_for(nurse), api_for(nurse), names, params)
    assert page.status_code == api.status_code == 200
