"""One transaction for a unit of work that is kept or rolled back whole.

A service owns its transaction (`atomic_service`), so it is safe to call on
its own. Called inside another service's transaction it would open a
savepoint, two statements each, only useful when the caller catches the
service's error and carries on. Intake of one HL7 message never does: any
error rolls the whole message back (and it is stored as refused on its own).
`one_transaction()` says so, and inside it:

- services decorated with `atomic_service` join the transaction without a
  savepoint;
- audit events are collected and written in one INSERT at the end of the
  block, inside the transaction (`apps.core.audit.audit_collected`).

A block that catches an error and carries on still opens its own savepoint
with `transaction.atomic()`: that rolls back whatever the failed part did,
its audit events included (written at once inside a savepoint).
"""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from django.db import transaction

from apps.core.audit import audit_collected

P = ParamSpec("P")
R = TypeVar("R")

_whole: ContextVar[bool] = ContextVar("caregraph_one_transaction", default=False)


def in_one_transaction() -> bool:
    """True inside `one_transaction()`: an error anywhere rolls the whole unit back."""
    return _whole.get()


@contextmanager
def one_transaction() -> Iterator[None]:
    """A transaction (or, nested, the caller's) that is rolled back whole on any error."""
    if _whole.get():
        yield
        return
    token = _whole.set(True)
    try:
        with transaction.atomic(), audit_collected():
            yield
    finally:
        _whole.reset(token)


def atomic_service(func: Callable[P, R]) -> Callable[P, R]:
    """`transaction.atomic` for a service, without a savepoint inside `one_transaction()`."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic(savepoint=not _whole.get()):
            return func(*args, **kwargs)

    return run
