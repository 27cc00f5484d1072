"""Another session holding its transaction open, for concurrency tests on real PostgreSQL."""

import contextlib
import threading
from collections.abc import Callable, Iterator

from django.db import connection, transaction


@contextlib.contextmanager
def held_open(
    work: Callable[[], object],
    *,
    rollback: bool = False,
    timeout: float = 15,
    hold_for: float = 120,
) -> Iterator[None]:
    """Runs `work` in a transaction on another thread (its own connection) and keeps that
    transaction open, with the locks and uncommitted rows it made, until the block ends;
    then commits it, or rolls it back.

    An uncommitted row with a unique key makes anyone inserting the same key wait
    for it: that is how a test stops a sweep at a known row.
    """
    holding, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                work()
                holding.set()
                release.wait(hold_for)
                transaction.set_rollback(rollback)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        if not holding.wait(timeout):
            raise AssertionError(f"the other transaction did not get going: {errors}")
        yield
    finally:
        release.set()
        thread.join(30)
    if errors:
        raise errors[0]
