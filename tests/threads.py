"""Another session holding its transaction open, for concurrency tests on real PostgreSQL."""

import contextlib
import threading
from collections.abc import Callable, Iterator

from django.db import connection, transaction


@contextlib.contextmanager
def held_open(work: Callable[[], object], *, timeout: float = 15) -> Iterator[None]:
    """Runs `work` in a transaction on another thread (its own connection) and keeps that
    transaction open, with the locks it took, until the block ends; then commits it."""
    holding, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                work()
                holding.set()
                release.wait(timeout * 2)
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
        thread.join(timeout * 2)
    if errors:
        raise errors[0]
