"""Every door, found rather than listed: API operations from the published OpenAPI schema,
pages from the URL configuration, and the ids of one patient's records to knock with."""

import functools
import re
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")
# Fixed values for the string segments of a route: each names a real branch of its view,
# so the request reaches the object lookup instead of stopping at "no such action".
WORDS = {"action": "discuss", "which": "contact", "direction": "up"}
# URL keywords that cannot name another team's object, and why they are left out.
NOT_A_TEAMS_OBJECT = {
    "organisation_id": "the resource directory is shared by every team of the organisation: "
    "an outsider of the same organisation may read it by design",
    "service_id": "a directory service, shared by the organisation like its partner",
    "request_id": "a patient-match request names no patient of ours until it is matched and is "
    "worked from the organisation's match queue; one that names a team's patient (a merge, a "
    "class change) is hidden from other teams in tests/interop/test_review_events.py",
}


@dataclass(frozen=True)
class Door:
    """One API operation or one page route, with its URL keyword names in order."""

    method: str
    route: str
    keywords: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.route}"

    @property
    def skipped_because(self) -> str:
        return next((NOT_A_TEAMS_OBJECT[k] for k in self.keywords if k in NOT_A_TEAMS_OBJECT), "")

    def url(self, ids: dict[str, Any]) -> str:
        """The route with every keyword filled from `ids` (a checklist item is an `item_id`
        under the transitions prefix, a huddle agenda item elsewhere)."""

        def value(keyword: str) -> str:
            if keyword in WORDS:
                return WORDS[keyword]
            if keyword == "item_id" and "transitions/" in self.route:
                return str(ids["checklist_item_id"])
            # An anonymous caller never reaches a lookup: a keyword without an id gets 1.
            return str(ids.get(keyword, 1))

        path = re.sub(r"\{(\w+)\}", lambda m: value(m.group(1)), self.route)
        return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: value(m.group(1)), path)


@functools.cache
def openapi_schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def api_operations() -> list[Door]:
    return [
        Door(method, path, tuple(re.findall(r"\{(\w+)\}", path)))
        for path, operations in openapi_schema()["paths"].items()
        for method in operations
        if method in METHODS
    ]


def _walk(patterns: list, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield "/" + prefix + str(pattern.pattern), pattern


def all_pages() -> list[Door]:
    """Every page route: not the API, the admin, FHIR or static files."""
    doors = []
    for route, _pattern in _walk(get_resolver().url_patterns):
        if route.startswith(("/api/", "/admin/", "/fhir/", "/static/")):
            continue
        doors.append(Door("any", route, tuple(re.findall(r"<(?:\w+:)?(\w+)>", route))))
    return doors


def page_routes() -> list[Door]:
    """Every page route that takes an id in its path."""
    return [
        door for door in all_pages() if any(keyword.endswith("_id") for keyword in door.keywords)
    ]
