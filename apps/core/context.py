"""Where the current piece of work came from: the request or job behind it.

The audit trail reads this so services need not thread the request through.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    source: str
    ip_address: str | None = None
    path: str = ""


_current: ContextVar[RequestContext | None] = ContextVar("caregraph_request_context", default=None)


def current_context() -> RequestContext | None:
    return _current.get()


@contextmanager
def request_context(context: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
