"""The audit trail's monthly partitions on PostgreSQL, and archiving a closed month.

`core_auditevent` is range-partitioned by `occurred_at`, one partition per
calendar month (UTC), named `core_auditevent_yYYYYmMM`, plus a DEFAULT
partition so that an insert never fails for want of a partition: a row for a
month nobody created lands there, and `partitions_ensure` reports such months
loudly instead of creating a partition that would clash with them.

Partitions are DDL, so they are made by the role that owns the schema (the
`migrate` step): the migration creates the months that hold rows plus
`AUDIT_PARTITIONS_AHEAD` months ahead, and `manage.py audit_partitions`, run
after each migrate, keeps that many months ahead. The application's own role
only ever inserts through the parent table.

A month older than `AUDIT_RETENTION_YEARS` leaves the live trail through
`partition_archive`: its rows are written in id order to a gzip-compressed
NDJSON file with a SHA-256 checksum beside it, the file is read back and
counted, and only then is the partition detached (kept as a plain table for
the owner to drop once the archive is safe elsewhere).

SQLite, the embedded default, keeps one table: everything here says so and
does nothing.
"""

import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from apps.core.exceptions import ApplicationError

TABLE = "core_auditevent"
DEFAULT_PARTITION = f"{TABLE}_default"
# Refuses TRUNCATE of a partition as the parent's trigger (migration 0005) refuses it
# of the whole trail; row triggers (UPDATE/DELETE) are cloned to partitions by PostgreSQL.
TRUNCATE_TRIGGER = """
CREATE TRIGGER core_auditevent_no_truncate
    BEFORE TRUNCATE ON {partition}
    FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_no_truncate();
"""


@dataclass(frozen=True)
class Partition:
    name: str
    month: date | None  # None: the DEFAULT partition
    rows: int  # the planner's estimate: cheap, and enough to say "empty" or not


@dataclass(frozen=True)
class EnsureResult:
    created: list[str]
    # Months whose rows already sit in the DEFAULT partition: no partition can be
    # made for them until the owner moves those rows (they stay readable there).
    blocked: list[date]


@dataclass(frozen=True)
class ArchiveResult:
    partition: str
    path: Path
    sha256: str
    rows: int


def is_partitioned(conn: BaseDatabaseWrapper | None = None) -> bool:
    conn = conn or connection
    if conn.vendor != "postgresql":
        return False
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = %s::regclass", [TABLE])
        return cursor.fetchone() is not None


def month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{TABLE}_y{month.year:04d}m{month.month:02d}"


def _bounds(month: date) -> tuple[str, str]:
    return (f"{month.isoformat()} 00:00:00+00", f"{add_months(month, 1).isoformat()} 00:00:00+00")


def partition_create_sql(month: date) -> list[str]:
    """The statements that add `month`'s partition, with its TRUNCATE guard."""
    name = partition_name(month)
    start, end = _bounds(month)
    return [
        f"CREATE TABLE {name} PARTITION OF {TABLE} FOR VALUES FROM ('{start}') TO ('{end}')",
        TRUNCATE_TRIGGER.format(partition=name),
    ]


def partitions_list(conn: BaseDatabaseWrapper | None = None) -> list[Partition]:
    """The live partitions, oldest month first, the DEFAULT partition last."""
    conn = conn or connection
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT child.relname, greatest(child.reltuples, 0)::bigint "
            "FROM pg_inherits JOIN pg_class child ON child.oid = pg_inherits.inhrelid "
            "WHERE pg_inherits.inhparent = %s::regclass",
            [TABLE],
        )
        found = cursor.fetchall()
    partitions = []
    for name, rows in found:
        month = None
        if name != DEFAULT_PARTITION:
            stamp = name.removeprefix(f"{TABLE}_y")
            month = date(int(stamp[:4]), int(stamp[5:7]), 1)
        partitions.append(Partition(name=name, month=month, rows=rows))
    return sorted(partitions, key=lambda p: (p.month is None, p.month or date.min))


def _default_has_rows_in(cursor: object, month: date) -> bool:
    start, end = _bounds(month)
    cursor.execute(  # type: ignore[attr-defined]
        f"SELECT EXISTS (SELECT 1 FROM {DEFAULT_PARTITION} "  # noqa: S608 (a constant)
        "WHERE occurred_at >= %s AND occurred_at < %s)",
        [start, end],
    )
    return bool(cursor.fetchone()[0])  # type: ignore[attr-defined]


def partitions_ensure(
    *, today: date | None = None, ahead: int | None = None, since: date | None = None
) -> EnsureResult:
    """Creates the missing month partitions from `since` (default: this month) to
    `ahead` months after this one. Run as the schema's owner."""
    if not is_partitioned():
        return EnsureResult(created=[], blocked=[])
    ahead = settings.AUDIT_PARTITIONS_AHEAD if ahead is None else ahead
    this_month = month_start(today or datetime.now(UTC).date())
    first = month_start(since) if since else this_month
    existing = {p.month for p in partitions_list() if p.month}
    created: list[str] = []
    blocked: list[date] = []
    month = first
    last = add_months(this_month, ahead)
    with transaction.atomic(), connection.cursor() as cursor:
        while month <= last:
            if month not in existing:
                if _default_has_rows_in(cursor, month):
                    blocked.append(month)
                else:
                    for statement in partition_create_sql(month):
                        cursor.execute(statement)
                    created.append(partition_name(month))
            month = add_months(month, 1)
    return EnsureResult(created=created, blocked=blocked)


def archive_due(*, today: date | None = None) -> list[date]:
    """The months still in the live trail that are older than the retention period."""
    if not is_partitioned():
        return []
    this_month = month_start(today or datetime.now(UTC).date())
    cutoff = add_months(this_month, -12 * settings.AUDIT_RETENTION_YEARS)
    return [p.month for p in partitions_list() if p.month and p.month < cutoff]


def partition_archive(month: date, folder: Path, *, today: date | None = None) -> ArchiveResult:
    """Writes `month`'s events to `folder` as gzip NDJSON plus a .sha256 file, checks the
    file by reading it back, then detaches the partition. A month still open (this one
    or later) is refused, as is a file that already exists (an archive is never
    overwritten)."""
    if not is_partitioned():
        raise ApplicationError("The audit trail is partitioned only on PostgreSQL.")
    month = month_start(month)
    this_month = month_start(today or datetime.now(UTC).date())
    if month >= this_month:
        raise ApplicationError(f"{month:%Y-%m} is not closed yet: only past months are archived.")
    name = partition_name(month)
    if name not in {p.name for p in partitions_list()}:
        raise ApplicationError(f"There is no live partition for {month:%Y-%m}.")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ndjson.gz"
    checksum_path = folder / f"{name}.ndjson.gz.sha256"
    if path.exists() or checksum_path.exists():
        raise ApplicationError(f"{path} already exists: an archive is never overwritten.")

    digest = hashlib.sha256()
    written = 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Nothing may land in the month while it is copied and detached.
            cursor.execute(f"LOCK TABLE {name} IN SHARE MODE")
            cursor.execute(f"SELECT count(*) FROM {name}")  # noqa: S608 (named from a date)
            expected = cursor.fetchone()[0]
        with open(path, "xb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as out:
            for row in _rows(name):
                out.write(row)
                written += 1
        with open(path, "rb") as archived:
            for chunk in iter(lambda: archived.read(1 << 20), b""):
                digest.update(chunk)
        if written != expected or _count_archived(path) != expected:
            path.unlink()
            raise ApplicationError(f"The archive of {month:%Y-%m} did not read back whole.")
        checksum = digest.hexdigest()
        checksum_path.write_text(f"{checksum}  {path.name}\n")
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {name}")
    return ArchiveResult(partition=name, path=path, sha256=checksum, rows=written)


def _rows(partition: str) -> Iterator[bytes]:
    """The partition's rows as NDJSON lines in id order, read in batches."""
    columns = [
        "id",
        "occurred_at",
        "actor_id",
        "actor_username",
        "action",
        "source",
        "object_type",
        "object_id",
        "patient_id",
        "patient_ids",
        "ip_address",
        "path",
        "break_glass",
        "detail",
    ]
    last_id = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT {', '.join(columns)} FROM {partition} "  # noqa: S608 (named from a date)
                "WHERE id > %s ORDER BY id LIMIT 5000",
                [last_id],
            )
            batch = cursor.fetchall()
            if not batch:
                return
            for values in batch:
                record = dict(zip(columns, values, strict=True))
                record["occurred_at"] = record["occurred_at"].isoformat()
                for field in ("patient_ids", "detail"):
                    if isinstance(record[field], str):
                        record[field] = json.loads(record[field])
                if record["ip_address"] is not None:
                    record["ip_address"] = str(record["ip_address"])
                yield json.dumps(record, sort_keys=True).encode() + b"\n"
            last_id = batch[-1][0]


def _count_archived(path: Path) -> int:
    with gzip.open(path, "rb") as archived:
        return sum(1 for line in archived if json.loads(line))
