"""The patient list page and API list cost the same queries for 10 or 100 visible patients."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.core.actors import JobActor
from apps.patients.complexity import RECOMPUTE_ALL_JOB, complexity_recompute
from apps.patients.models import Condition
from tests import factories

NIGHTLY = JobActor(job=RECOMPUTE_ALL_JOB)

# Session, user, team rights, the page's rows and count, the audit event: a
# query per row, or a new per-request lookup, breaks this at once.
MAX_QUERIES = 6


def _add_patients(team, org_admin, count: int, start: int) -> None:
    patients = [
        factories.make_patient(team, actor=org_admin, family_name=f"Pinned{start + i:03d}")
        for i in range(count)
    ]
    # Half carry evidence, so the complexity columns are filled, not all empty.
    Condition.objects.bulk_create(Condition(patient=p, code="I50.9") for p in patients[::2])
    complexity_recompute(organisation_id=team.organisation_id, actor=NIGHTLY)


def _queries(client, url: str, **params: object) -> tuple[int, object]:
    client.get(url, params)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured), response


def test_list_page_and_api_list_query_counts_do_not_grow_with_the_panel(
    client_for, api_for, nurse, team, org_admin
):
    page_url, api_url = reverse("patients:list"), reverse("api-patient-list")
    _add_patients(team, org_admin, 10, 0)
    page_small, page = _queries(client_for(nurse), page_url)
    api_small, api = _queries(api_for(nurse), api_url, page_size=100)
    assert page.content.decode().count("Pinned") == 10
    assert api.json()["count"] == len(api.json()["results"]) == 10

    _add_patients(team, org_admin, 90, 10)
    page_large, page = _queries(client_for(nurse), page_url)
    api_large, api = _queries(api_for(nurse), api_url, page_size=100)
    assert page.content.decode().count("Pinned") >= 25
    assert api.json()["count"] == len(api.json()["results"]) == 100

    assert page_small == page_large
    assert api_small == api_large
    assert page_large <= MAX_QUERIES
    assert api_large <= MAX_QUERIES
