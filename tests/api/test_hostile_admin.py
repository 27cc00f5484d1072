"""Every model in the Django admin, knocked on by an organisation's admin with hostile
searches, filters, orderings and add forms: form errors or a clear refusal, never a 500."""

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

HOSTILE = ["2024-02-30", "-1", "<script>alert(1)</script>", "' OR '1'='1", "x" * 3000, "\ufeff"]
# What a changelist reads from its address: the search, the ordering, the page, and filters
# (one it does not offer is answered with its "?e=1" page).
LIST_PARAMETERS = [{"q": 1}, {"o": 1}, {"p": 1}, {"status__exact": 1, "created_at__gte": 1}]


def _admin_urls() -> list[tuple[str, str]]:
    urls = []
    for model, _model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        for view in ("changelist", "add"):
            try:
                urls.append((view, reverse(f"admin:{info[0]}_{info[1]}_{view}")))
            except NoReverseMatch:
                continue
    return urls


@pytest.mark.parametrize("value", HOSTILE, ids=lambda value: repr(value[:20]))
def test_no_admin_page_answers_hostile_input_with_a_500(
    verified_client_for, org_admin, patient, value
):
    client = verified_client_for(org_admin)
    client.raise_request_exception = False
    failures = []
    answered = 0  # pages that read the input (not a redirect to sign in)
    pages = _admin_urls()
    for view, url in pages:
        if view == "changelist":
            responses = [client.get(url, dict.fromkeys(query, value)) for query in LIST_PARAMETERS]
        else:
            form = client.get(url)
            fields = form.context["adminform"].form.fields if form.status_code == 200 else {}
            responses = [client.post(url, dict.fromkeys(fields, value))]
        for response in responses:
            if response.status_code >= 500:
                failures.append(f"{view} {url} -> {response.status_code}")
        answered += responses[0].status_code == 200
    assert not failures, "\n".join(failures)
    assert len(pages) >= 40
    assert answered >= len(pages) // 2
