"""The audit trail on PostgreSQL, range-partitioned by month (migration 0006).

Each calendar month (UTC) is its own partition, `core_auditevent_pYYYYMM`; a default
partition catches anything outside the months made so far, so an insert never
fails. Every partition refuses UPDATE and DELETE (row triggers cloned from the
parent) and TRUNCATE (its own statement trigger, as the parent has). A closed month
older than the retention period (AUDIT_RETENTION_YEARS, default six) is archived to
compressed NDJSON with a SHA-256 checksum, then detached (`manage.py audit_archive`).
The embedded SQLite database keeps one table.
"""

import gzip
import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

from django.db import connection

TABLE = "core_auditevent"
DEFAULT_PARTITION = f"{TABLE}_pdefault"
MONTHS_AHEAD = 3


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def month_after(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{TABLE}_p{month:%Y%m}"


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = %s::regclass", [TABLE])
        return cursor.fetchone() is not None


def _bound(month: date) -> str:
    return f"'{month:%Y-%m-%d} 00:00:00+00'"


def _protect(cursor: object, table: str) -> None:
    """TRUNCATE of a partition on its own fires only its own triggers."""
    cursor.execute(  # type: ignore[attr-defined]
        f"CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_no_truncate()"
    )


def partitions_ensure(*, through: date | None = None) -> list[str]:
    """Makes the monthly partitions from this month to `through` (default: three months
    ahead) that do not exist yet; returns their names. Idempotent."""
    if not is_partitioned():
        return []
    month = first_of_month(datetime.now(tz=UTC).date())
    last = first_of_month(through) if through else month
    if through is None:
        for _ in range(MONTHS_AHEAD):
            last = month_after(last)
    made = []
    with connection.cursor() as cursor:
        while month <= last:
            name = partition_name(month)
            cursor.execute("SELECT to_regclass(%s)", [name])
            if cursor.fetchone()[0] is None:
                cursor.execute(
                    f"CREATE TABLE {name} PARTITION OF {TABLE} "
                    f"FOR VALUES FROM ({_bound(month)}) TO ({_bound(month_after(month))})"
                )
                _protect(cursor, name)
                made.append(name)
            month = month_after(month)
    return made


def partition_months() -> list[date]:
    """The months that have a partition attached, oldest first."""
    if not is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [TABLE],
        )
        names = [row[0] for row in cursor.fetchall()]
    return sorted(
        date(int(name[-6:-2]), int(name[-2:]), 1)
        for name in names
        if name != DEFAULT_PARTITION and name[-6:].isdigit()
    )


def partition_archive(*, month: date, directory: Path) -> tuple[Path, str, int]:
    """Writes a closed month's events to `<directory>/core_auditevent_pYYYYMM.ndjson.gz`
    (one JSON object a line, by id) with a `.sha256` file beside it, then detaches the
    partition from the trail. Returns the file, its checksum and the row count."""
    month = first_of_month(month)
    if month >= first_of_month(datetime.now(tz=UTC).date()):
        raise ValueError("Only a closed month (before this one) is archived.")
    name = partition_name(month)
    if month not in partition_months():
        raise ValueError(f"There is no partition for {month:%Y-%m}.")
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{name}.ndjson.gz"
    digest = hashlib.sha256()
    rows = 0
    with connection.cursor() as cursor, gzip.open(target, "wt", encoding="utf-8") as out:
        cursor.execute(f"SELECT row_to_json(t)::text FROM {name} t ORDER BY id")  # noqa: S608
        while batch := cursor.fetchmany(5000):
            for (line,) in batch:
                out.write(line + "\n")
                rows += 1
    digest.update(target.read_bytes())
    checksum = digest.hexdigest()
    (directory / f"{name}.ndjson.gz.sha256").write_text(f"{checksum}  {target.name}\n")
    # The archive is complete and checked before the month leaves the trail.
    with gzip.open(target, "rt", encoding="utf-8") as check:
        if sum(1 for _ in check) != rows:
            raise RuntimeError("The archive does not hold every row; nothing was detached.")
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {name}")
    return target, checksum, rows


def archived_line(line: str) -> dict[str, object]:
    return json.loads(line)
