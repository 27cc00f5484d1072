"""The team worklist's filters: one form, read the same by the page and the API."""

import pytest

from tests.filters import assert_refused_alike, get_both

WORKLIST = ("tasks:team_worklist", "api-task-team")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"role": "wizard"}, "role"),
        ({"owner": "999999"}, "owner"),
        ({"patient": "zero"}, "patient"),
        ({"page": "0"}, "page"),
        ({"page_size": "500"}, "page_size"),
    ],
)
def test_board_filters_reject_bad_values_the_same_on_page_and_api(
    client_for, api_for, nurse, task, params, field
):
    page, api = get_both(client_for(nurse), api_for(nurse), WORKLIST, params)
    assert_refused_alike(page, api, field, form="filter_form")
    assert task.title.encode() in page.content  # the worklist stays, unfiltered


def test_team_filters_accept_the_same_good_values_on_page_and_api(
    client_for, api_for, nurse, chw, task
):
    params = {"owner": str(chw.pk), "overdue": "false", "orphaned": "0", "page": "1"}
    page, api = get_both(client_for(nurse), api_for(nurse), WORKLIST, params)
    assert page.status_code == api.status_code == 200
    assert page.context["worklist"].total == api.json()["count"] == 1
