"""The audit trail at scale: 10,000,000 events across 24 monthly partitions.

Seeds with set-based SQL (INSERT ... SELECT generate_series) into the 24 closed
months before this one, so it needs PostgreSQL and the partitioned trail
(apps.core.audit_partitions); AUDIT_BENCH_ROWS sets the size (default 10,000,000).
Measured side by side in one run:

- the cost per event of `audit_record` (the ORM insert every door makes) into
  this month's partition, on the empty trail and again after seeding (target:
  at most 1.2x the empty figure): each round inserts AUDIT_BENCH_INSERTS events in
  a transaction that is rolled back, so both rounds see the same table;
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


def _insert_round() -> float:
    """Milliseconds per event for INSERTS audited reads, rolled back."""
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


def _insert_cost() -> float:
    _insert_round()  # warm-up
    return statistics.median(_insert_round() for _ in range(ROUNDS))


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
    with connection.cursor() as cursor:
        for month in months:
            name = parts.partition_name(month.date())
            cursor.execute("SELECT to_regclass(%s)", [name])
            if cursor.fetchone()[0] is None:
                following = parts.month_after(month.date())
                cursor.execute(
                    f"CREATE TABLE {name} PARTITION OF {parts.TABLE} FOR VALUES FROM "
                    f"('{month:%Y-%m-%d} 00:00:00+00') TO ('{following:%Y-%m-%d} 00:00:00+00')"
                )
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
    empty_ms = _insert_cost()
    if existing < ROWS // 2:
        started = time.perf_counter()
        _seed()
        print(f"seeded {ROWS:,} events in {time.perf_counter() - started:.0f} s", flush=True)
    else:
        print("reusing the seeded trail", flush=True)
    full_ms = _insert_cost()
    ratio = full_ms / empty_ms
    report_month = _months()[-1]
    until = parts.month_after(report_month.date())
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
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"machine load average while measuring: {load}")
    print(f"trail: {AuditEvent.objects.count():,} events in {len(parts.partition_months())} months")
    print(
        f"insert per event: empty trail {empty_ms:.3f} ms, full trail {full_ms:.3f} ms, "
        f"ratio {ratio:.2f}x (target <= {INSERT_RATIO_TARGET}x: "
        f"{'met' if ratio <= INSERT_RATIO_TARGET else 'MISSED'})"
    )
    print(
        f"access report, one patient, {report_month:%Y-%m}: {len(rows)} reads, median "
        f"{report_ms:.1f} ms (target < {REPORT_TARGET_MS:.0f} ms: "
        f"{'met' if report_ms < REPORT_TARGET_MS else 'MISSED'})"
    )
