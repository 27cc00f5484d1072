"""Every page of the app, found from the URL configuration, knocked on by the patient's own
team with hostile query strings and form bodies: a page answers a clear 4xx (or shows
its form errors), never a 500.

The values are the ones people and scripts send by mistake or on purpose: impossible
dates, negative and huge numbers, markup, SQL, a byte-order mark, very long text,
lists where one value is expected, and ids of records that do not exist.
"""

import pytest

from tests.api.doors import all_pages

HOSTILE = [
    "2024-02-30",
    "2024-13-45T25:61",
    "-1",
    "99999999999999999999",
    "1e309",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "\ufeff\u202e",
    "x" * 5000,
    "",
    "none",
    "../../etc/passwd",
]
# Names the pages' filters and forms use (read from the templates and forms).
FIELDS = [
    "q",
    "page",
    "status",
    "team",
    "team_id",
    "owner",
    "patient",
    "date",
    "from",
    "to",
    "start",
    "end",
    "month",
    "period",
    "live",
    "sort",
    "order",
    "due",
    "due_at",
    "title",
    "description",
    "priority",
    "reason",
    "note",
    "outcome",
    "kind",
    "contact_at",
    "performed_by",
    "attempts",
    "carry_over",
    "format",
    "next",
    "language",
    "tier",
    "minutes",
    "signed_at",
    "text",
]


# Signing out would end the knocking.
PAGES = [door for door in all_pages() if "logout" not in door.route]


@pytest.mark.parametrize("value", HOSTILE, ids=lambda value: repr(value[:20]))
def test_no_page_answers_a_hostile_query_or_form_with_a_500(client_for, nurse, ids, value):
    client = client_for(nurse)
    client.raise_request_exception = False
    failures = []
    answered = 0  # pages that read the input (not a redirect, not "method not allowed")
    for door in PAGES:
        url = door.url(ids)
        query = {name: value for name in FIELDS}
        for method, response in (
            ("GET", client.get(url, query)),
            ("POST", client.post(url, {**query, "task_ids": [value, value]})),
            ("HTMX POST", client.post(url, query, HTTP_HX_REQUEST="true")),
        ):
            if response.status_code >= 500:
                failures.append(f"{method} {url} -> {response.status_code}")
            answered += response.status_code in (200, 400)
    assert not failures, "\n".join(failures)
    assert answered >= len(PAGES) // 2  # still signed in, the pages really knocked on
