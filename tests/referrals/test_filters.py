"""The referral board's filters: one form, read the same by the page and the API."""

import pytest

from tests.filters import assert_refused_alike, get_both

BOARD = ("referrals:board", "api-referral-list")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"state": "lost"}, "state"),
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"page_size": "500"}, "page_size"),
    ],
)
def test_board_filters_reject_bad_values_the_same_on_page_and_api(
    client_for, api_for, nurse, referral, params, field
):
    page, api = get_both(client_for(nurse), api_for(nurse), BOARD, params)
    assert_refused_alike(page, api, field)


def test_board_filters_accept_the_same_good_values_on_page_and_api(
    client_for, api_for, nurse, referral
):
    params = {"state": "draft", "mine": "no", "overdue": "0", "page": "1"}
    page, api = get_both(client_for(nurse), api_for(nurse), BOARD, params)
    assert page.status_code == api.status_code == 200
    assert page.context["page"].total == api.json()["count"] == 1


DIRECTORY = ("referrals:directory", "api-directory-services")


@pytest.mark.parametrize(
    ("params", "field"),
    [({"service_type": "banking"}, "service_type"), ({"language": "x" * 41}, "language")],
)
def test_directory_filters_reject_bad_values_the_same_on_page_and_api(
    client_for, api_for, nurse, food_service, params, field
):
    page, api = get_both(client_for(nurse), api_for(nurse), DIRECTORY, params)
    assert_refused_alike(page, api, field)


def test_directory_filters_find_the_same_services_on_page_and_api(
    client_for, api_for, nurse, food_service
):
    params = {"service_type": "food", "area": "Riverside"}
    page, api = get_both(client_for(nurse), api_for(nurse), DIRECTORY, params)
    assert page.status_code == api.status_code == 200
    assert [service.pk for service in page.context["services"]] == [food_service.pk]
    assert [row["id"] for row in api.json()] == [food_service.pk]
