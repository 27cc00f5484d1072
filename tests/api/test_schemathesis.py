"""A bounded schemathesis run over the published OpenAPI schema: every operation, as three
people (the team's lead nurse, a CHW on the same team, a nurse of another team), with a
fixed seed. No answer may be a 5xx, and every answer must be one the schema publishes
(its status code, content type and body)."""

import functools
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests import factories
from tests.api.doors import WORDS
from tests.api.world import clinical_world

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Examples per operation and per generation mode; an operation with little to vary (a GET
# with only ids in its path) ends sooner, when Hypothesis has tried all it can.
EXAMPLES = 5
# The HL7 v2 ADT door takes ER7 text, not JSON: its own corpus and fuzz tests cover it
# (tests/interop/test_corpus.py, test_bad_bytes.py).
EXCLUDED = {("POST", "/api/v1/hl7/adt")}


@functools.cache
def _schema() -> Any:
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def _in_test_transaction() -> Iterator[None]:
    """The WSGI app runs in this thread, on the test's connection and transaction; like
    Django's test client, keep the request signals from closing that connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def ids(patient, nurse, chw) -> dict[str, Any]:
    return clinical_world(patient, nurse=nurse, chw=chw)


def _path_ids(operation: Any, ids: dict[str, Any]) -> dict[str, Any]:
    """Real ids where the path names a record, and a real action where it names one, so
    requests reach the records and not only the 404 of a made-up id (a checklist item is
    an item_id under transitions/)."""
    names = [p.name for p in operation.path_parameters]
    fixed = {name: ids[name] for name in names if name in ids}
    fixed.update({name: WORDS[name] for name in names if name in WORDS})
    if "item_id" in names and operation.path.startswith("/api/v1/transitions/"):
        fixed["item_id"] = ids["checklist_item_id"]
    return fixed


def _fuzz(user: Any, ids: dict[str, Any]) -> tuple[Counter[int], list[str]]:
    """Runs every operation as `user`; returns the statuses answered and the failures."""
    headers = {"Authorization": f"Token {factories.make_api_token(user)}"}
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    for result in _schema().get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in EXCLUDED:
            continue
        fixed = _path_ids(operation, ids)
        strategy = st.one_of(
            *(operation.as_strategy(mode, path_parameters=fixed) for mode in GenerationMode)
        )

        @given(case=strategy)
        @hypothesis_settings(
            max_examples=EXAMPLES * 2,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            response = case.call(headers=headers)
            statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except FailureGroup as error:  # every failure is reported at the end
                failures.extend(
                    f"{case.method} {case.operation.path} -> {response.status_code}: "
                    f"{failure.title}: {str(failure.message)[:200]}"
                    for failure in error.exceptions
                )

        run()
    return statuses, failures


@pytest.mark.usefixtures("_in_test_transaction")
@pytest.mark.parametrize("role", ["nurse", "chw", "outsider"])
def test_every_api_operation_keeps_to_its_schema_without_a_server_error(request, role, ids):
    statuses, failures = _fuzz(request.getfixturevalue(role), ids)
    requests = statuses.total()
    assert requests >= 700, "three roles must send at least 2,000 requests in all"
    # Signed in all along, and reaching records: a run of 401s or 404s would prove nothing.
    assert 401 not in statuses
    assert sum(n for status, n in statuses.items() if status < 300) >= 100, statuses
    assert not failures, f"{len(failures)} of {requests} requests:\n" + "\n".join(
        sorted(set(failures))[:60]
    )
