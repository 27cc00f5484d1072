"""The audit trail at scale: 10,000,000 events across 24 monthly partitions.

Seeds with set-based SQL (INSERT ... SELECT generate_series) into the 24 closed
months before this one, so it needs PostgreSQL and the partitioned trail
(apps.core.audit_partitions); AUDIT_BENCH_ROWS sets the size (default 10,000,000).
Measured side by side in one run:

- the cost per event of the insert every audited read makes, into this month's
  partition of the full trail and into an empty twin of the trail (same
  partitioning and indexes), rounds alternating (target: full at most 1.2x
  empty); each round inserts AUDIT_BENCH_INSERTS events in a transaction that is
  rolled back, so every round sees the same tables; `audit_record` through the
  ORM is timed too, for the record;
- one patient's access report for one month (`patient_access_report`, the
  privacy officer's page and CSV), target < 100 ms.
"""

import os
import statistics
import time
from datetime import UTC, datetime, timedelta

from django.db import connection, reset_queries, transaction

from apps.core import audit_partitions as parts
from apps.core.audit import audit_record
from apps.core.models import AuditAction, AuditEvent
from apps.patients.models import Patient
from apps.patients.selectors.access_report import patient_access_report

ROWS = int(os.environ.get("AUDIT_BENCH_ROWS", "10000000"))
MONTHS = 24
PATIENTS = 100_000
INSERTS = int(os.environ.get("AUDIT_BENCH_INSERTS", "2000"))
ROUNDS = 5
INSERT_RATIO_TARGET = 1.2
REPORT_TARGET_MS = 100.0
BENCH_PATIENT = 4242


class _Rollback(Exception):
    pass


EMPTY = "bench_audit_empty"
INSERT_SQL = (
    "INSERT INTO {table} (occurred_at, actor_id, actor_username, action, source, "
    "object_type, object_id, patient_id, patient_ids, ip_address, path, break_glass, detail) "
    "VALUES (now(), NULL, '', 'view', 'ui', 'patients.patient', %s, %s, '[]', "
    "'10.0.0.1', '/patients/', false, '{{}}') RETURNING id"
)


def _empty_twin() -> None:
    """An empty trail built like the real one (partitioned by month, same indexes, this
    month's partition), to insert into side by side with the full one."""
    this_month = datetime.now(tz=UTC).date().replace(day=1)
    following = parts.add_months(this_month, 1)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {EMPTY}")
        cursor.execute(
            f"CREATE TABLE {EMPTY} (LIKE {parts.TABLE} INCLUDING DEFAULTS) "
            "PARTITION BY RANGE (occurred_at)"
        )
        cursor.execute(f"ALTER TABLE {EMPTY} ADD PRIMARY KEY (id, occurred_at)")
        cursor.execute(
            f"CREATE TABLE {EMPTY}_now PARTITION OF {EMPTY} FOR VALUES FROM "
            f"('{this_month:%Y-%m-%d} 00:00:00+00') TO ('{following:%Y-%m-%d} 00:00:00+00')"
        )
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT LIKE %s",
            [parts.TABLE, "%pkey"],
        )
        for (definition,) in cursor.fetchall():
            name = definition.split(" INDEX ")[1].split(" ON ")[0]
            cursor.execute(
                definition.replace(f" {name} ON ", f" {name}_bench ON ").replace(
                    f"public.{parts.TABLE} ", f"public.{EMPTY} "
                )
            )
        cursor.execute(f"ANALYZE {EMPTY}")


def _insert_round(table: str) -> float:
    """Milliseconds per event for INSERTS single-row inserts (as the ORM writes an audit
    event), rolled back so every round sees the same table."""
    reset_queries()
    statement = INSERT_SQL.format(table=table)
    started = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for number in range(INSERTS):
                cursor.execute(statement, [str(number), number % PATIENTS + 1])
            raise _Rollback
    except _Rollback:
        pass
    return (time.perf_counter() - started) * 1000 / INSERTS


def _insert_costs() -> tuple[float, float]:
    """Median per-event cost on the full trail and on its empty twin, rounds alternating
    so that the host's other load weighs on both alike."""
    _insert_round(parts.TABLE)
    _insert_round(EMPTY)
    full, empty = [], []
    for _ in range(ROUNDS):
        full.append(_insert_round(parts.TABLE))
        empty.append(_insert_round(EMPTY))
    return statistics.median(full), statistics.median(empty)


def _orm_cost() -> float:
    """`audit_record` itself, per event (for the record: the ORM's own overhead)."""
    reset_queries()
    started = time.perf_counter()
    try:
        with transaction.atomic():
            for number in range(INSERTS):
                audit_record(
                    actor=None,
                    action=AuditAction.VIEW,
                    object_type="patients.patient",
                    object_id=number,
                    patient_id=number % PATIENTS + 1,
                )
            raise _Rollback
    except _Rollback:
        pass
    return (time.perf_counter() - started) * 1000 / INSERTS


def _months() -> list[datetime]:
    this_month = datetime.now(tz=UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    months = []
    month = this_month
    for _ in range(MONTHS):
        month = (month - timedelta(days=1)).replace(day=1)
        months.append(month)
    return sorted(months)


def _seed() -> None:
    months = _months()
    parts.partitions_ensure(since=months[0].date())
    with connection.cursor() as cursor:
        per_month = ROWS // MONTHS
        for month in months:
            # One in ten events is a list read naming 25 patients; the bench patient is
            # read a few hundred times a month.
            cursor.execute(
                f"""
                INSERT INTO {parts.TABLE} (occurred_at, actor_id, actor_username, action,
                    source, object_type, object_id, patient_id, patient_ids, ip_address,
                    path, break_glass, detail)
                SELECT %s::timestamptz + (n %% (28 * 86400)) * interval '1 second',
                       n %% 500 + 1, 'user' || (n %% 500 + 1),
                       CASE WHEN n %% 10 = 0 THEN 'list' ELSE 'view' END,
                       (ARRAY['ui','api','fhir','hl7','task','admin'])[n %% 6 + 1],
                       'patients.patient', (n %% {PATIENTS} + 1)::text,
                       CASE WHEN n %% 10 = 0 THEN NULL
                            WHEN n %% 997 = 0 THEN {BENCH_PATIENT}
                            ELSE n %% {PATIENTS} + 1 END,
                       CASE WHEN n %% 10 = 0 THEN
                           (SELECT jsonb_agg((n * 7 + k) %% {PATIENTS} + 1)
                              FROM generate_series(1, 25) k)
                       ELSE '[]'::jsonb END,
                       '10.0.0.1'::inet, '/patients/', false, '{{}}'::jsonb
                FROM generate_series(1, %s) n
                """,
                [month, per_month],
            )
            print(f"  seeded {month:%Y-%m}: {per_month:,} events", flush=True)
        cursor.execute(f"ANALYZE {parts.TABLE}")


def main() -> None:
    if not parts.is_partitioned():
        raise RuntimeError("bench_audit needs PostgreSQL with the partitioned trail (migrate)")
    parts.partitions_ensure()
    existing = AuditEvent.objects.count()
    print(f"trail before: {existing:,} events", flush=True)
    if existing < ROWS // 2:
        started = time.perf_counter()
        _seed()
        print(f"seeded {ROWS:,} events in {time.perf_counter() - started:.0f} s", flush=True)
    else:
        print("reusing the seeded trail", flush=True)
    with connection.cursor() as cursor:
        # What autovacuum does on a live system: visibility map and statistics.
        cursor.execute(f"VACUUM ANALYZE {parts.TABLE}")
    _empty_twin()
    full_ms, empty_ms = _insert_costs()
    orm_ms = _orm_cost()
    ratio = full_ms / empty_ms
    report_month = _months()[-1]
    until = parts.add_months(report_month.date(), 1)
    patient = Patient(pk=BENCH_PATIENT)
    timings = []
    rows = []
    for _ in range(ROUNDS + 1):
        started = time.perf_counter()
        rows = patient_access_report(
            patient=patient,
            since=report_month,
            until=datetime(until.year, until.month, 1, tzinfo=UTC),
        )
        timings.append((time.perf_counter() - started) * 1000)
    report_ms = statistics.median(timings[1:])
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {EMPTY}")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"machine load average while measuring: {load}")
    months = [p for p in parts.partitions_list() if p.month]
    print(f"trail: {AuditEvent.objects.count():,} events in {len(months)} monthly partitions")
    print(
        f"insert per event (same statement, rounds alternating): empty trail {empty_ms:.3f} ms, "
        f"full trail {full_ms:.3f} ms, ratio {ratio:.2f}x (target <= {INSERT_RATIO_TARGET}x: "
        f"{'met' if ratio <= INSERT_RATIO_TARGET else 'MISSED'})"
    )
    print(f"audit_record through the ORM on the full trail: {orm_ms:.3f} ms per event")
    print(
        f"access report, one patient, {report_month:%Y-%m}: {len(rows)} reads, median "
        f"{report_ms:.1f} ms (target < {REPORT_TARGET_MS:.0f} ms: "
        f"{'met' if report_ms < REPORT_TARGET_MS else 'MISSED'})"
    )
