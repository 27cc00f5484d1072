"""Requests of the wrong shape are refused with a 400 before any view sees them,
in one place for every page and API call:
- an API JSON body that is not an object (a list, null, a string, a number), even
  where the view ignores its body, so a client learns its mistake;
- JSON nested deeper than the parser can read (it would fail as an error, not a 400);
- NUL characters anywhere in the input (query, form fields, JSON keys and
  values): PostgreSQL cannot store them in text, so they would fail mid-write.
The refusal speaks the door's language: a page, the API's JSON, or what a door
with its own error format registered (`shape_refusal_register`: FHIR's
OperationOutcome).
"""

import json
from collections.abc import Callable, Mapping

from django.http import HttpRequest, HttpResponse, JsonResponse

from apps.core.exceptions import ApplicationError
from apps.core.middleware import application_error_response

NUL = "\x00"
NUL_MESSAGE = "Text may not contain NUL characters."
SHAPE_MESSAGE = "The request body must be a JSON object."
DEPTH_MESSAGE = "The JSON is nested too deeply to read."


# Path prefix -> how that door answers a refusal (its message in, a 400 response out).
_DOOR_REFUSALS: dict[str, Callable[[str], HttpResponse]] = {}


def shape_refusal_register(prefix: str, answer: Callable[[str], HttpResponse]) -> None:
    """A door with an error format of its own (from its AppConfig.ready()): requests under
    `prefix` are checked for NUL as the API's are (JSON bodies included) and refused by
    `answer`."""
    _DOOR_REFUSALS[prefix] = answer


def _door_of(path: str) -> str | None:
    return next((prefix for prefix in _DOOR_REFUSALS if path.startswith(prefix)), None)


def holds_nul(value: object) -> bool:
    """Whether a parsed value (keys included, at any depth) carries a NUL character."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, Mapping):
        return any(holds_nul(key) or holds_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(holds_nul(item) for item in value)
    return False


def _is_json(request: HttpRequest) -> bool:
    media_type = request.content_type or ""
    return media_type == "application/json" or media_type.endswith("+json")


def request_shape_problem(request: HttpRequest) -> str | None:
    """What is wrong with the request's shape, or None."""
    for data in (request.GET, request.POST):
        for key, values in data.lists():
            if holds_nul(key) or holds_nul(values):
                return NUL_MESSAGE
    api = request.path.startswith("/api/")
    if (api or _door_of(request.path) is not None) and _is_json(request) and request.body.strip():
        try:
            body = json.loads(request.body)
        except RecursionError:
            return DEPTH_MESSAGE  # every JSON parser here would fail on it the same way
        except ValueError:
            return None  # Not JSON at all: the door's parser answers its own 400.
        if api and not isinstance(body, dict):
            return SHAPE_MESSAGE  # (a registered door's bodies may be lists: JSON Patch)
        if holds_nul(body):
            return NUL_MESSAGE
    return None


class RequestShapeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = request_shape_problem(request)
        if problem is None:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": problem}, status=400)
        door = _door_of(request.path)
        if door is not None:
            return _DOOR_REFUSALS[door](problem)
        return application_error_response(request, ApplicationError(problem))
