"""The permission matrix, generated: every API operation in the published schema and every
page whose URL names a record is knocked on by an anonymous client and by a nurse of another
team. A new endpoint is covered the day it is added, without anyone listing it here."""

import re

from django.conf import settings
from django.shortcuts import resolve_url

from tests.api.doors import WORDS, Door, api_operations, page_routes
from tests.api.world import clinical_state

API = api_operations()
PAGES = page_routes()


def _secrets(patient) -> list[str]:
    return [patient.family_name, patient.given_name, patient.mrn]


def _body(ids) -> dict[str, object]:
    """A write body that names the other team's records wherever a field could take an id."""
    return {
        **ids,
        "care_team_id": ids["team_id"],
        "owner_id": ids["user_id"],
        "task_ids": [ids["task_id"]],
        "patient": ids["patient_id"],
    }


def _leaks(response, patient) -> list[str]:
    """The patient's names and MRN found as words (a random token may hold "Rosa")."""
    text = response.content.decode(errors="replace")
    return [s for s in _secrets(patient) if re.search(rf"(?<![A-Za-z0-9]){s}(?![A-Za-z0-9])", text)]


def test_every_door_is_found_and_each_keyword_has_an_id_or_a_reason(ids):
    """A route whose keyword has no id here fails, so a new kind of record is noticed."""
    assert len(API) >= 90
    assert len(PAGES) >= 60
    assert {"GET /api/v1/patients/{patient_id}/", "POST /api/v1/tasks/"} <= {str(d) for d in API}
    known = set(ids) | set(WORDS) | {"item_id"}
    unknown = {
        (str(door), keyword)
        for door in API + PAGES
        for keyword in door.keywords
        if keyword not in known and not door.skipped_because
    }
    assert not unknown, "give these keywords an id in tests/api/world.py or a reason to skip"


def test_every_api_operation_asks_an_anonymous_caller_to_authenticate(api_for, ids):
    client = api_for(None)
    failures = []
    for door in API:
        response = client.generic(door.method.upper(), door.url(ids), "{}", "application/json")
        if response.status_code != 401 or "WWW-Authenticate" not in response:
            failures.append((str(door), response.status_code))
    assert not failures, "\n".join(map(str, failures))


# Writes that act only on the caller's own account (never on a patient's record): they may
# succeed for anyone, and must still change no clinical data and leak nothing.
OWN_ACCOUNT_WRITES = {"/api/v1/notifications/read/": "marks the caller's own notifications read"}


def test_every_api_operation_hides_another_teams_patient(api_for, outsider, patient, ids):
    """With an id of another team's record in the path: 404, exactly like a missing record.
    Without one (lists, creates): never the patient's name or MRN, and never a write."""
    client = api_for(outsider)
    failures = []
    for door in API:
        if door.skipped_because:
            continue
        before = clinical_state() if door.method != "get" else None
        if door.method == "get":
            response = client.get(
                door.url(ids), {"team_id": ids["team_id"], "patient": ids["patient_id"]}
            )
        else:
            response = getattr(client, door.method)(door.url(ids), _body(ids), format="json")
        status = response.status_code
        if door.keywords and status != 404:
            failures.append((str(door), status, "expected 404"))
        elif (
            not door.keywords
            and door.method != "get"
            and status < 400
            and door.route not in OWN_ACCOUNT_WRITES
        ):
            failures.append((str(door), status, "a write on another team's records succeeded"))
        if leaked := _leaks(response, patient):
            failures.append((str(door), status, f"leaked {leaked}"))
        if before is not None and clinical_state() != before:
            failures.append((str(door), status, "changed clinical data"))
    assert not failures, "\n".join(map(str, failures))


def _page_responses(client, door: Door, ids):
    """GET and POST; a view that serves only one of them answers the other with 405."""
    url = door.url(ids)
    return {"GET": client.get(url), "POST": client.post(url, _body(ids))}


def test_every_page_with_a_record_in_its_url_sends_an_anonymous_visitor_to_log_in(client, ids):
    failures = []
    for door in PAGES:
        responses = _page_responses(client, door, ids)
        served = {method: r for method, r in responses.items() if r.status_code != 405}
        redirected = [
            r
            for r in served.values()
            if r.status_code == 302
            and r["Location"].startswith(resolve_url(settings.LOGIN_URL) + "?next=")
        ]
        if not served or len(redirected) != len(served):
            failures.append((str(door), {m: r.status_code for m, r in responses.items()}))
    assert not failures, "\n".join(map(str, failures))


def test_every_page_with_a_record_in_its_url_hides_another_teams_patient(
    client_for, outsider, patient, ids
):
    client = client_for(outsider)
    failures = []
    for door in PAGES:
        if door.skipped_because:
            continue
        before = clinical_state()
        responses = _page_responses(client, door, ids)
        served = {method: r for method, r in responses.items() if r.status_code != 405}
        statuses = {m: r.status_code for m, r in responses.items()}
        if not served or any(r.status_code != 404 for r in served.values()):
            failures.append((str(door), statuses, "expected 404"))
        for response in served.values():
            if leaked := _leaks(response, patient):
                failures.append((str(door), statuses, f"leaked {leaked}"))
        if clinical_state() != before:
            failures.append((str(door), statuses, "changed clinical data"))
    assert not failures, "\n".join(map(str, failures))


def test_the_ids_knocked_with_open_real_records_for_the_patients_own_team(
    api_for, client_for, nurse, ids
):
    """Without this, a 404 above could mean only that the id was wrong."""
    api, browser = api_for(nurse), client_for(nurse)
    missing = [
        str(door)
        for door in API
        if door.method == "get" and door.keywords and api.get(door.url(ids)).status_code == 404
    ]
    missing += [
        str(door)
        for door in PAGES
        if not door.skipped_because and browser.get(door.url(ids)).status_code == 404
    ]
    assert not missing, "\n".join(missing)
