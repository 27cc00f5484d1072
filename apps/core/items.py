"""Running a job's items one by one, so one item that fails cannot stop the others.

A sweep asks `run_isolated` to handle each item in a transaction of its own.
A savepoint is not enough: some errors (a dropped connection, an aborted
transaction) poison everything after them, so each item commits or rolls
back alone, and a failing item is handed to the sweep's `on_error` (in a
fresh transaction) to be marked with its reason; then the sweep goes on with
the next item, whichever organisation it belongs to.
"""

import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db import transaction

from apps.core.exceptions import ApplicationError

logger = logging.getLogger(__name__)

Item = TypeVar("Item")


def error_summary(error: BaseException) -> str:
    """What went wrong, safe to store and show: the error's kind, and the message only of
    refusals this code base writes itself (which never quote patient values)."""
    kind = type(error).__name__
    if isinstance(error, ApplicationError | PermissionDenied):
        message = str(getattr(error, "message", "") or error)
        return f"{kind}: {message}"[:300]
    return kind


class ItemsFailed(ApplicationError):
    """Raised by a job after its loop when some items failed and no row of theirs can
    carry the reason: the job's run is recorded as failed (check_jobs, admin home)."""


@dataclass
class ItemsResult:
    done: int = 0
    failed: int = 0
    failed_ids: list[object] = field(default_factory=list)

    def raise_if_failed(self, what: str) -> None:
        if self.failed:
            ids = ", ".join(str(item) for item in self.failed_ids[:20])
            raise ItemsFailed(f"{self.failed} of {self.done + self.failed} {what} failed: {ids}.")


def run_isolated(
    items: Iterable[Item],
    handle: Callable[[Item], object],
    *,
    job: str,
    on_error: Callable[[Item, BaseException], None] | None = None,
) -> ItemsResult:
    """Calls `handle(item)` for each item in its own transaction; a failure is logged (by
    the item's id, never its content), marked through `on_error`, and the loop goes on."""
    result = ItemsResult()
    for item in items:
        try:
            with transaction.atomic():
                handle(item)
        except Exception as error:
            result.failed += 1
            result.failed_ids.append(item)
            logger.warning("%s: item %s failed: %s", job, item, type(error).__name__)
            if on_error is not None:
                try:
                    with transaction.atomic():
                        on_error(item, error)
                except Exception:
                    logger.error("%s: could not mark item %s as failed", job, item)
        else:
            result.done += 1
    return result


Batch = Callable[[Collection[int], Collection[int] | None], int]


def run_batches(
    batch: Batch,
    candidates: Callable[[Collection[int]], list[int]],
    *,
    job: str,
    batch_size: int,
    max_batches: int,
) -> ItemsResult:
    """Set-wise sweeps: `batch(exclude, only)` claims and handles up to `batch_size` rows
    in its own transaction and returns how many it claimed, until a short batch.

    A batch that fails is done again row by row (`only=[id]`, the ids from
    `candidates(exclude)`); a row that fails alone is left out for the rest of
    the run, so it can hold back neither its batch nor the batches after it.
    The result counts rows done and names those that failed.
    """
    result = ItemsResult()
    skip: set[int] = set()
    for _ in range(max_batches):
        try:
            with transaction.atomic():
                claimed = batch(skip, None)
        except Exception as error:
            logger.warning("%s: a batch failed (%s); going row by row", job, type(error).__name__)
            ids = candidates(skip)[:batch_size]
            if not ids:
                break
            alone = run_isolated(ids, lambda pk: batch(skip, [pk]), job=job)
            result.done += alone.done
            result.failed += alone.failed
            result.failed_ids.extend(alone.failed_ids)
            skip.update(int(pk) for pk in alone.failed_ids)  # type: ignore[call-overload]
            continue
        result.done += claimed
        if claimed < batch_size:
            break
    return result
