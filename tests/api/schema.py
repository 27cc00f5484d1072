"""Checks one Django test response against the published OpenAPI schema, as the
schemathesis run does for thousands (status code, content type and body)."""

import functools
from typing import Any

import requests
import schemathesis
from django.test import Client
from schemathesis.core.transport import Response


@functools.cache
def published_schema() -> dict[str, Any]:
    return Client().get("/api/schema/?format=json").json()


def assert_conforms(response: Any, method: str, path: str) -> None:
    """Raises (with schemathesis's explanation) unless the schema of `method path` (the
    schema's path template) allows this answer."""
    documented = published_schema()["paths"][path][method.lower()]["responses"]
    assert str(response.status_code) in documented, (response.status_code, sorted(documented))
    operation = schemathesis.openapi.from_dict(published_schema())[path][method.upper()]
    sent = requests.Request(method.upper(), f"http://testserver{response.request['PATH_INFO']}")
    operation.validate_response(
        Response(
            status_code=response.status_code,
            headers={name.lower(): [value] for name, value in response.headers.items()},
            content=response.content,
            request=sent.prepare(),
            elapsed=0.0,
            verify=False,
        )
    )
