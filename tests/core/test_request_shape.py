"""Input of the wrong shape is a 400 that says so: never a 500, never a write."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from apps.core.models import AuditEvent
from apps.patients.models import BreakGlassAccess, Patient
from apps.tasks.models import Task
from tests.tasks.factories import make_task


def _api_routes() -> list[tuple[str, URLPattern, dict]]:
    """(route, pattern, converters of the whole route, included prefixes' too)."""

    def walk(patterns: list, prefix: str = "", converters: dict | None = None):
        for pattern in patterns:
            found = {**(converters or {}), **pattern.pattern.converters}
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), found)
            else:
                yield prefix + str(pattern.pattern), pattern, found

    return [
        (route, pattern, converters)
        for route, pattern, converters in walk(get_resolver().url_patterns)
        if route.startswith("api/v1/") and getattr(pattern.callback, "cls", None)
    ]


# Every API write from the URL configuration: a new endpoint is covered without listing it.
WRITES = [
    (pattern.name, method)
    for _route, pattern, _converters in _api_routes()
    for method in ("post", "patch", "put")
    if hasattr(pattern.callback.cls, method) and pattern.name != "api-hl7-adt"
]
# Every API list (a read without an id in its path).
LISTS = [
    pattern.name
    for _route, pattern, converters in _api_routes()
    if hasattr(pattern.callback.cls, "get") and not converters
]


@pytest.fixture
def ids(patient, chw, nurse) -> dict[str, object]:
    task = make_task(patient, chw, actor=nurse, title="Call about the shape of things")
    return {"patient_id": patient.pk, "task_id": task.pk}


def _url(name: str, ids: dict[str, object]) -> str:
    converters = next(c for _r, p, c in _api_routes() if p.name == name)
    kwargs = {key: ids.get(key, 1) for key in converters}
    for key, converter in converters.items():
        if type(converter).__name__ == "StringConverter":
            kwargs[key] = "x"
    return reverse(name, kwargs=kwargs)


def test_every_api_write_is_found_in_the_url_configuration():
    names = {name for name, _ in WRITES}
    assert {"api-patient-break-glass", "api-patient-list", "api-task-start"} <= names
    assert len(WRITES) > 40


@pytest.mark.parametrize("body", ["[]", "null", '"x"', "3", "[{}]"])
@pytest.mark.parametrize(("name", "method"), WRITES)
def test_a_json_body_that_is_not_an_object_is_a_400(api_for, nurse, ids, name, method, body):
    events = AuditEvent.objects.count()
    patients = list(Patient.objects.values_list("pk", "updated_at"))
    response = getattr(api_for(nurse), method)(
        _url(name, ids), body, content_type="application/json"
    )
    assert 400 <= response.status_code < 500, response.content[:500]
    assert list(Patient.objects.values_list("pk", "updated_at")) == patients
    # Only the refusal itself (a 403 or 404 on the way) may be audited.
    assert AuditEvent.objects.count() - events <= 1


def test_break_glass_with_a_list_body_is_a_400_that_says_why(api_for, outsider, patient):
    response = api_for(outsider).post(
        reverse("api-patient-break-glass"), "[]", content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON object" in response.json()["detail"]
    assert not BreakGlassAccess.objects.exists()


@pytest.mark.parametrize("name", LISTS)
def test_a_nul_in_a_list_query_is_a_400(api_for, nurse, patient, name):
    response = api_for(nurse).get(reverse(name) + "?q=a%00b")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_a_nul_in_a_page_search_is_a_400(client_for, nurse, patient):
    response = client_for(nurse).get(reverse("patients:list") + "?q=a%00b")
    assert response.status_code == 400
    assert patient.family_name not in response.content.decode()


def _task_body(patient, owner) -> dict[str, object]:
    return {
        "patient_id": patient.pk,
        "title": "Call\x00back",
        "owner_id": owner.pk,
        "due_at": "2030-01-01T09:00:00Z",
    }


def test_a_nul_in_a_json_field_is_a_400_and_changes_nothing(api_for, nurse, chw, patient):
    events = AuditEvent.objects.count()
    response = api_for(nurse).post(
        reverse("api-task-create"), _task_body(patient, chw), format="json"
    )
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    assert not Task.objects.filter(patient=patient).exists()
    assert AuditEvent.objects.count() == events


def test_a_nul_in_a_form_field_is_a_400_and_changes_nothing(api_for, nurse, chw, patient):
    response = api_for(nurse).post(
        reverse("api-task-create"), _task_body(patient, chw), format="multipart"
    )
    assert response.status_code == 400
    assert not Task.objects.filter(patient=patient).exists()


@pytest.mark.parametrize("born", ["1899-12-31", "2101-01-01", "0001-01-01", "9999-12-31"])
def test_an_implausible_date_of_birth_is_refused_with_a_field_error(api_for, nurse, team, born):
    body = {
        "mrn": "MRN-DATE",
        "given_name": "Ana",
        "family_name": "Silva",
        "date_of_birth": born,
        "care_team_id": team.pk,
    }
    response = api_for(nurse).post(reverse("api-patient-list"), body, format="json")
    assert response.status_code == 400
    assert "date_of_birth" in response.json()
    assert not Patient.objects.filter(mrn="MRN-DATE").exists()


def test_an_implausible_due_time_is_refused_with_a_field_error(api_for, nurse, chw, patient):
    body = {
        "patient_id": patient.pk,
        "title": "Call back",
        "owner_id": chw.pk,
        "due_at": "2999-01-01T09:00:00Z",
    }
    response = api_for(nurse).post(reverse("api-task-create"), body, format="json")
    assert response.status_code == 400
    assert "due_at" in response.json()


def test_json_nested_past_the_parsers_depth_is_a_400_not_a_500(api_for, nurse, patient):
    deep = "[" * 100_000 + "]" * 100_000
    response = api_for(nurse).generic(
        "POST", "/api/v1/tasks/", deep, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
