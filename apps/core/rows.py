"""Inserting many new rows of one model in one statement, with little Python per row.

`bulk_create` compiles its INSERT afresh for every call and prepares every
value of every row through its field; on a busy feed (each ADT message writes
its audit events and a discharge's checklist this way) that costs more CPU
than the statement itself. `insert_rows` builds the statement once per model
and process (`INSERT ... SELECT * FROM UNNEST(one array per column)`, one text
for any number of rows, so PostgreSQL can keep it prepared) and prepares only
the values that need it. Same rows as `bulk_create`: defaults and `auto_now`
times filled in, ids set, no signals (neither sends any). Other databases get
`bulk_create`.
"""

import functools
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)

# Values psycopg sends as they are once the column's array type is named in the
# statement, by the field's internal type; anything else (JSON, addresses, naive
# times, text for a number) goes through its field's own preparation, as
# `bulk_create` would.
_TEXT = frozenset({"CharField", "TextField", "SlugField", "EmailField", "URLField"})
_INTEGER = frozenset(
    {
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
        "ForeignKey",
        "OneToOneField",
    }
)


def _as_is(kind: str, value: object) -> bool:
    if value is None:
        return kind in _TEXT or kind in _INTEGER or kind in ("DateTimeField", "BooleanField")
    if type(value) is str:
        return kind in _TEXT
    if type(value) is int:
        return kind in _INTEGER
    if type(value) is bool:
        return kind == "BooleanField"
    if type(value) is datetime:
        return kind == "DateTimeField" and value.tzinfo is not None  # type: ignore[attr-defined]
    return False


def insert_rows(model: type[M], rows: Sequence[M]) -> None:
    """Inserts `rows` (new instances of `model`) and sets their ids."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(rows)
        return
    fields, sql = _statement(model)
    columns = [[_value(field, row) for row in rows] for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, columns)
        for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
            row.pk = pk
            row._state.adding = False
            row._state.db = connection.alias


def _value(field: models.Field, row: models.Model) -> Any:  # type: ignore[type-arg]
    value = field.pre_save(row, True)  # the default or auto_now time, as a save sets it
    if _as_is(field.get_internal_type(), value):
        return value
    return field.get_db_prep_save(value, connection)


@functools.cache
def _statement(model: type[models.Model]) -> tuple[tuple[models.Field, ...], str]:  # type: ignore[type-arg]
    fields = tuple(field for field in model._meta.concrete_fields if not field.primary_key)
    quote: Callable[[str], str] = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in fields)
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    table = quote(model._meta.db_table)
    returning = quote(model._meta.pk.column)  # type: ignore[union-attr]
    # Names and types come from the model, the values go as parameters.
    sql = f"INSERT INTO {table} ({names}) SELECT * FROM UNNEST({arrays}) RETURNING {returning}"  # noqa: S608
    return fields, sql
