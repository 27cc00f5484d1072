"""Contention between transactions: errors that say "try again", never "this is wrong".

A deadlock, a serialization failure or a lock not granted in time (PostgreSQL's
lock_timeout) means another transaction was in the way; the same work retried
a moment later normally succeeds. Django raises them as OperationalError with
psycopg's error as the cause.
"""

import random

from django.db import OperationalError, connection
from psycopg import errors

from apps.core.exceptions import ConflictError

CONTENTION_ERRORS = (errors.DeadlockDetected, errors.SerializationFailure, errors.LockNotAvailable)


def is_contention(error: BaseException) -> bool:
    return isinstance(error, OperationalError) and isinstance(error.__cause__, CONTENTION_ERRORS)


def contention_conflict(error: BaseException) -> ConflictError | None:
    """What a person is told (409, on every door) when their request met another
    transaction: the request's transaction rolled back whole, so nothing of it was
    saved, and the same request a moment later normally succeeds."""
    if not is_contention(error):
        return None
    return ConflictError(
        "Someone else was changing the same record at that moment, so nothing was saved. Try again."
    )


def backoff_seconds(attempt: int) -> float:
    """A short wait before attempt `attempt + 1`, jittered so two retrying writers part ways."""
    return random.uniform(0.05, 0.15) * attempt  # noqa: S311  # jitter, not a secret


def limit_lock_waits(milliseconds: int) -> None:
    """For the rest of the current transaction, a lock not granted within `milliseconds`
    fails with LockNotAvailable instead of waiting without end (PostgreSQL only).

    No statement when the connection's session already has this limit
    (`limit_session_lock_waits`)."""
    if connection.vendor == "postgresql" and milliseconds > 0:
        if _session_limit() == milliseconds:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true)", [f"{int(milliseconds)}ms"]
            )


_SESSION_LIMIT = "_caregraph_session_lock_timeout"


def limit_session_lock_waits(milliseconds: int) -> None:
    """The same limit for every later transaction of this database session, set once per
    connection (again only after a reconnect), so `limit_lock_waits` costs no statement.

    Only for a connection that does nothing but that kind of work (an MLLP
    connection's: intake only); a web process's connection also serves pages
    that should wait for their locks. Call it outside a transaction: a session
    setting made inside one is undone if it rolls back.
    """
    if connection.vendor != "postgresql" or milliseconds <= 0 or connection.in_atomic_block:
        return
    if _session_limit() == milliseconds:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, false)", [f"{int(milliseconds)}ms"])
    connection.__dict__[_SESSION_LIMIT] = (connection.connection, milliseconds)


def _session_limit() -> int | None:
    """The limit this session was given, if it is still the same database connection."""
    held = connection.__dict__.get(_SESSION_LIMIT)
    if held is None or connection.connection is None or held[0] is not connection.connection:
        return None
    return int(held[1])
