"""Contention between transactions: errors that say "try again", never "this is wrong".

A deadlock, a serialization failure or a lock not granted in time (PostgreSQL's
lock_timeout) means another transaction was in the way; the same work retried
a moment later normally succeeds. Django raises them as OperationalError with
psycopg's error as the cause.
"""

import random

from django.db import OperationalError, connection
from psycopg import errors

CONTENTION_ERRORS = (errors.DeadlockDetected, errors.SerializationFailure, errors.LockNotAvailable)


def is_contention(error: BaseException) -> bool:
    return isinstance(error, OperationalError) and isinstance(error.__cause__, CONTENTION_ERRORS)


def backoff_seconds(attempt: int) -> float:
    """A short wait before attempt `attempt + 1`, jittered so two retrying writers part ways."""
    return random.uniform(0.05, 0.15) * attempt  # noqa: S311  # jitter, not a secret


def limit_lock_waits(milliseconds: int) -> None:
    """For the rest of the current transaction, a lock not granted within `milliseconds`
    fails with LockNotAvailable instead of waiting without end (PostgreSQL only)."""
    if connection.vendor == "postgresql" and milliseconds > 0:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true)", [f"{int(milliseconds)}ms"]
            )
