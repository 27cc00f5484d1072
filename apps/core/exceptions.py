from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied

if TYPE_CHECKING:
    from django.db.models import Model


class ApplicationError(Exception):
    """A domain rule refused the request: shown to the user, never a 500.

    `field_errors` maps a field name to its messages so forms and the API can
    attach the message to the input that caused it.
    """

    def __init__(
        self,
        message: str,
        *,
        field_errors: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}
        self.extra = extra or {}


class NotFoundError(ApplicationError):
    """The object does not exist or the user may not know that it does: both answer 404."""

    def __init__(self, message: str = "Not found.") -> None:
        super().__init__(message)


class ConflictError(ApplicationError):
    """The request was fine but the object has moved on (e.g. its state changed meanwhile): 409."""


def refusal_status(error: Exception) -> int:
    """The HTTP status of a refusal, the same on every door (pages, htmx, API)."""
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, ConflictError):
        return 409
    return 400


class Refused(PermissionDenied):
    """A right was refused (403): the permission check says which patient and object it
    concerned (`object_type` a model, or its label), so the door's audit event names them
    even when the URL does not."""

    def __init__(
        self,
        message: str,
        *,
        patient_id: int | None = None,
        object_type: "str | Model | type[Model]" = "",
        object_id: object = "",
    ) -> None:
        super().__init__(message)
        self.patient_id = patient_id
        self.object_type = object_type
        self.object_id = object_id
