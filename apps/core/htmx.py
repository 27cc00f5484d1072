"""How an action view answers when it is refused: one rule for every app's htmx actions.

htmx does not swap a 4xx answer into the page, so a refusal answered with a
redrawn section used to vanish: the user clicked and nothing visible happened.
Every action view is wrapped in `htmx_action`; a refusal becomes a small
fragment (`core/_refusal.html`) with the message and the field messages, and
`static/js/refusals.js` shows it, as an alert, next to the form or button the
user clicked. A plain (non-htmx) post gets the message on the page it came from.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from apps.core.exceptions import ApplicationError, NotFoundError, refusal_status
from apps.core.refusals import audit_refused_request
from apps.core.views import is_htmx

REFUSAL_TEMPLATE = "core/_refusal.html"
# Tells the client script that the answer is a refusal it should show, not a page.
REFUSAL_HEADER = "X-Refusal"

View = Callable[..., HttpResponse]


def refusal_lines(error: ApplicationError) -> list[str]:
    """The field messages, each once, in the order the service gave them."""
    seen: list[str] = []
    for texts in error.field_errors.values():
        seen.extend(text for text in texts if text not in seen and text != error.message)
    return seen


def refusal_text(error: ApplicationError) -> str:
    return " ".join([error.message, *refusal_lines(error)])


def refusal_response(
    request: HttpRequest, error: ApplicationError | PermissionDenied
) -> HttpResponse:
    """The refusal as an htmx fragment, with the status that says what kind it is."""
    if isinstance(error, PermissionDenied):
        message = str(error) or "Your role on this care team does not allow that action."
        lines: list[str] = []
    else:
        message, lines = error.message, refusal_lines(error)
    response = render(
        request,
        REFUSAL_TEMPLATE,
        {"message": message, "lines": lines},
        status=refusal_status(error),
    )
    response[REFUSAL_HEADER] = "1"
    return response


def _back(request: HttpRequest) -> str | None:
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return None


def htmx_action(view: View) -> View:
    """Answers a refused action where the user acted, whichever app's service refused it.

    Under htmx: ApplicationError -> 400 (ConflictError -> 409), PermissionDenied
    -> 403 (audited once, as the 403 page would be), each a fragment with the
    message. Without htmx: the message on the page the form was posted from, or
    a page with the message when there is none; PermissionDenied keeps Django's
    403 page. NotFoundError is left alone: not-found is a 404, never a message.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFoundError:
            raise
        except ApplicationError as error:
            if is_htmx(request):
                return refusal_response(request, error)
            back = _back(request)
            if back is None:
                return render(
                    request,
                    "core/refusal.html",
                    {"message": error.message, "lines": refusal_lines(error)},
                    status=refusal_status(error),
                )
            messages.error(request, refusal_text(error))
            return redirect(back)
        except PermissionDenied as error:
            if not is_htmx(request):
                raise
            audit_refused_request(request, error)
            return refusal_response(request, error)

    return wrapper
