"""The patient list's filters: one form, read the same by the page and the API."""

import pytest

from tests.filters import assert_refused_alike, get_both

PATIENT_LIST = ("patients:list", "api-patient-list")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"flag": "frail"}, "flag"),
        ({"met": "financial"}, "met"),
        ({"sort": "age"}, "sort"),
        ({"page": "-1"}, "page"),
        ({"page_size": "1000"}, "page_size"),
    ],
)
def test_board_filters_reject_bad_values_the_same_on_page_and_api(
    client_for, api_for, nurse, patient, params, field
):
    page, api = get_both(client_for(nurse), api_for(nurse), PATIENT_LIST, params)
    assert_refused_alike(page, api, field)
    assert patient.mrn.encode() in page.content  # the list stays, unfiltered


def test_patient_filters_accept_the_same_good_values_on_page_and_api(
    client_for, api_for, nurse, patient
):
    params = {"q": "Garcia", "flag": "not_complex", "sort": "cci", "page": "1"}
    page, api = get_both(client_for(nurse), api_for(nurse), PATIENT_LIST, params)
    assert page.status_code == api.status_code == 200
    assert page.context["page"].total == api.json()["count"] == 1
