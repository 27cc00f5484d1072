"""The referral board's filters: one form, read the same by the page and the API."""

import pytest
from django.urls import reverse


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
    page = client_for(nurse).get(reverse("referrals:board"), params)
    api = api_for(nurse).get(reverse("api-referral-list"), params)
    assert page.status_code == api.status_code == 400
    assert list(api.json()["errors"]) == [field]
    message = api.json()["errors"][field][0]
    assert message.encode() in page.content or message.replace("'", "&#x27;").encode() in (
        page.content
    )


def test_board_filters_accept_the_same_good_values_on_page_and_api(
    client_for, api_for, nurse, referral
):
    params = {"state": "draft", "mine": "no", "overdue": "0", "page": "1"}
    page = client_for(nurse).get(reverse("referrals:board"), params)
    api = api_for(nurse).get(reverse("api-referral-list"), params)
    assert page.status_code == api.status_code == 200
    assert page.context["page"].total == api.json()["count"] == 1
