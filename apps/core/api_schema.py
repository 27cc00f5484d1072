"""The published API schema says what a refusal looks like, not only what success does.

Every operation can be refused the same few ways (apps.core.api.exception_handler and
DRF): bad input 400, not signed in 401, no right 403, not found or not yours 404, a
conflicting state 409 on writes, an unsupported body type 415, too many calls 429. A
client generated from the schema, or a fuzzer checking answers against it, then meets no
status the schema hides."""

from typing import Any

ERROR = "Refusal"
_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Why the request was refused: `detail` says it in words; field errors, "
    "when there are any, are keyed by field (in `errors`, or at the top level for input "
    "the API could not parse).",
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": True},
    },
    "additionalProperties": True,
}
_EVERY_OPERATION = {
    "400": "The request was refused: bad input, or the record's state does not allow it.",
    "401": "Not signed in: send a token (`Authorization: Token ...`) or a session.",
    "403": "Signed in, but without the right to do this.",
    "404": "No such record, or one the caller may not see.",
    "429": "Too many requests; `Retry-After` says when to try again.",
}
_WRITES = {
    "409": "The record changed meanwhile, or is in a state that conflicts with the request.",
    "415": "The request body is not in a media type the operation accepts.",
}


def document_refusals(result: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: adds the refusal answers to every operation
    that does not describe them itself."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR] = _ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR}"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            refusals = dict(_EVERY_OPERATION)
            if method != "get":
                refusals.update(_WRITES)
            for status, description in refusals.items():
                operation["responses"].setdefault(
                    status,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result
