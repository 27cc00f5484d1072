"""Loading one row by the id a URL or a request body gave: a bad id is "not found"."""

from typing import TypeVar

from django.db import models

from apps.core.exceptions import NotFoundError

M = TypeVar("M", bound=models.Model)


def one_or_not_found(rows: "models.QuerySet[M]", object_id: object, *, noun: str) -> M:
    """The row of `rows` with this id, else NotFoundError (a 404).

    `rows` is already narrowed to what the user may see, so a row they may not
    see answers exactly like a missing one, and an id that is not a number
    like an id that does not exist.
    """
    try:
        pk = int(str(object_id))
    except (TypeError, ValueError) as error:
        raise NotFoundError(f"No such {noun}.") from error
    row = rows.filter(pk=pk).first()
    if row is None:
        raise NotFoundError(f"No such {noun}.")
    return row
