"""Broken transaction Bundles, generated from a valid one: every answer is a FHIR answer
(a transaction-response, or an OperationOutcome with a 4xx), never a 500, and a refused
Bundle changes nothing.

Each example takes the generated Bundle for one of our patients and breaks it where
partners' systems break them: a value replaced by the wrong type, an empty or huge
string, an impossible date, a code from nowhere; a key removed; an entry repeated.
"""

import copy
import json
from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st
from rest_framework.test import APIClient

from apps.fhir.models import FhirImportRecord
from apps.patients.models import Condition, Medication, Patient
from tests.factories import make_api_token
from tests.fhir import generate
from tests.hostile import hostile_examples

URL = "/fhir/R4/"
FHIR_JSON = "application/fhir+json"
WRONG_VALUES = st.one_of(
    st.sampled_from(
        [
            None,
            "",
            " ",
            0,
            -1,
            1e308,
            True,
            [],
            {},
            [{}],
            "x" * 20000,
            "2024-02-30",
            "2024-13-01",
            "0001-01-01",
            "9999-12-31T23:59:59Z",
            "2024-01-01T25:61:00+14:00",
            "urn:uuid:not-in-this-bundle",
            "Patient/999999999",
            "Patient/../Condition/1",
            "http://snomed.info/sct",
            "\u202e\ufeff",
            "<script>alert(1)</script>",
            "'; DROP TABLE patients_patient; --",
        ]
    ),
    st.text(max_size=30).filter(lambda text: "\x00" not in text),
    st.integers(min_value=-(2**63), max_value=2**63),
)


def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here] if here else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*here, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*here, index))
    return found


def _parent(bundle: dict[str, Any], path: tuple[Any, ...]) -> Any:
    node: Any = bundle
    for step in path[:-1]:
        node = node[step]
    return node


@st.composite
def broken_bundles(draw: st.DrawFn, bundle: dict[str, Any]) -> dict[str, Any]:
    bundle = copy.deepcopy(bundle)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = [path for path in _paths(bundle) if path[0] == "entry"]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _parent(bundle, path)
        kind = draw(st.sampled_from(["replace", "replace", "remove", "repeat"]))
        if kind == "replace":
            parent[path[-1]] = draw(WRONG_VALUES)
        elif kind == "remove":
            del parent[path[-1]]
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
    return bundle


def _state() -> tuple[int, ...]:
    return (
        Patient.objects.count(),
        Condition.objects.count(),
        Medication.objects.count(),
        FhirImportRecord.objects.count(),
    )


@pytest.mark.django_db
@hostile_examples(120)
@given(data=st.data())
def test_a_broken_bundle_gets_a_fhir_answer_and_a_refused_one_changes_nothing(
    interface, organisation, our_patients, data
):
    mrn = Patient.objects.values_list("mrn", flat=True).first() or our_patients(1)[0]
    valid = generate.bundle(generate.patient_resources(1, mrn, organisation.pk, urn=True))
    bundle = data.draw(broken_bundles(valid))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_api_token(interface, days=30)}")
    before = _state()

    response = client.generic("POST", URL, json.dumps(bundle), content_type=FHIR_JSON)

    note(f"answered {response.status_code} {response.content[:600]!r}")
    assert response.status_code in {200, 400, 409, 413, 422}
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = response.json()
    if response.status_code == 200:
        assert body["resourceType"] == "Bundle"
        assert body["type"] == "transaction-response"
    else:
        assert body["resourceType"] == "OperationOutcome"
        assert body["issue"][0]["diagnostics"]
        assert _state() == before
