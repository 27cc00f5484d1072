"""The audit trail at scale: does a big, partitioned trail slow down every write?

Every read and write of patient data adds an audit event, so the cost of one
insert is paid on every request. Measured side by side in one run:

- the cost of one audited event (`audit_record`, committed on its own, as a
  request does) on the empty trail;
- the same after loading BENCH_AUDIT_ROWS events (default 10,000,000) spread
  over 24 monthly partitions, and their ratio (target <= 1.2x);
- the per-patient access report for one month (every event naming the
  patient, directly or in a list read), median over 25 patients (target
  < 100 ms).

The events are made with set-based SQL (INSERT ... SELECT generate_series),
month by month, so loading is bounded by PostgreSQL, not Python. PostgreSQL
only. A trail already holding at least that many rows is reused.
"""

import os
import random
import statistics
import time
from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import Q

from apps.core import audit_partitions
from apps.core.audit import audit_record
from apps.core.models import AuditAction, AuditEvent

ROWS = int(os.environ.get("BENCH_AUDIT_ROWS", "10000000"))
MONTHS = 24
PATIENTS = 100_000
INSERTS = 3_000
REPORT_PATIENTS = 25
INSERT_RATIO_TARGET = 1.2
REPORT_TARGET_MS = 100.0


def _per_insert_ms() -> float:
    """Median of 5 rounds of the mean cost of one committed audited event."""
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for n in range(INSERTS // 5):
            with transaction.atomic():
                audit_record(
                    actor=None,
                    action=AuditAction.VIEW,
                    object_type="patients.patient",
                    object_id=str(n),
                    patient_id=random.randint(1, PATIENTS),
                )
        rounds.append((time.perf_counter() - started) * 1000 / (INSERTS // 5))
    return statistics.median(rounds)


def _load(months: list[datetime]) -> None:
    per_month = ROWS // len(months)
    with connection.cursor() as cursor:
        for month in months:
            start = month.isoformat()
            # One list read in ten names twenty patients; the rest name one.
            cursor.execute(
                """
                INSERT INTO core_auditevent (occurred_at, actor_id, actor_username, action,
                    source, object_type, object_id, patient_id, patient_ids, ip_address, path,
                    break_glass, detail)
                SELECT %s::timestamptz + (n %% 2592000) * interval '1 second',
                       1 + n %% 400, 'user' || (n %% 400), 'view', 'web', 'patients.patient',
                       (n %% %s)::text,
                       CASE WHEN n %% 10 = 0 THEN NULL ELSE 1 + (n * 7919) %% %s END,
                       CASE WHEN n %% 10 = 0
                            THEN (SELECT jsonb_agg(1 + (n * 31 + k) %% %s)
                                  FROM generate_series(1, 20) k)
                            ELSE '[]'::jsonb END,
                       '10.0.0.1', '/patients/', false, '{}'::jsonb
                FROM generate_series(1::bigint, %s) n
                """,
                [start, PATIENTS, PATIENTS, PATIENTS, per_month],
            )
            print(f"  loaded {month:%Y-%m}: {per_month:,} events", flush=True)
        cursor.execute("ANALYZE core_auditevent")


def _access_report(patient_id: int, month: datetime) -> list[AuditEvent]:
    end = audit_partitions.add_months(month.date(), 1)
    return list(
        AuditEvent.objects.filter(
            Q(patient_id=patient_id) | Q(patient_ids__contains=[patient_id]),
            occurred_at__gte=month,
            occurred_at__lt=datetime(end.year, end.month, 1, tzinfo=UTC),
        ).order_by("occurred_at")
    )


def main() -> None:
    if connection.vendor != "postgresql" or not audit_partitions.is_partitioned():
        raise SystemExit("bench_audit needs the partitioned trail on PostgreSQL")
    this_month = audit_partitions.month_start(datetime.now(UTC).date())
    first = audit_partitions.add_months(this_month, -MONTHS)
    audit_partitions.partitions_ensure(since=first)
    months = [
        datetime.combine(audit_partitions.add_months(first, n), datetime.min.time(), tzinfo=UTC)
        for n in range(MONTHS)
    ]

    existing = AuditEvent.objects.count()
    if existing >= ROWS:
        print(f"reusing a trail of {existing:,} events; the empty-trail figure needs a fresh one")
        empty_ms = None
    else:
        if existing:
            raise SystemExit("bench_audit needs an empty trail or one it loaded before")
        _per_insert_ms()  # warm-up (connection, caches): 3,000 rows barely fill the trail
        empty_ms = _per_insert_ms()
        print(f"empty trail: {empty_ms:.3f} ms per audited event ({INSERTS:,} events)", flush=True)
        started = time.perf_counter()
        _load(months)
        print(f"load: {ROWS:,} events in {time.perf_counter() - started:.0f} s", flush=True)

    partitions = [p for p in audit_partitions.partitions_list() if p.rows]
    print(f"trail: {AuditEvent.objects.count():,} events in {len(partitions)} partitions")
    full_ms = _per_insert_ms()
    print(f"full trail: {full_ms:.3f} ms per audited event ({INSERTS:,} events)")
    if empty_ms is not None:
        ratio = full_ms / empty_ms
        verdict = "met" if ratio <= INSERT_RATIO_TARGET else "MISSED"
        print(
            f"insert cost, full / empty trail: {ratio:.2f}x "
            f"(target <= {INSERT_RATIO_TARGET}x: {verdict})"
        )

    month = months[-2]
    timings = []
    found = 0
    rng = random.Random(7)
    for _ in range(REPORT_PATIENTS):
        # A patient the load named in that month (as the load's formula picks them).
        patient_id = 1 + (rng.randint(1, ROWS // MONTHS) * 7919) % PATIENTS
        started = time.perf_counter()
        found += len(_access_report(patient_id, month))
        timings.append((time.perf_counter() - started) * 1000)
    median = statistics.median(timings)
    verdict = "met" if median < REPORT_TARGET_MS else "MISSED"
    print(
        f"access report, one patient, {month:%Y-%m}: median {median:.1f} ms, "
        f"max {max(timings):.1f} ms, {found / REPORT_PATIENTS:.0f} events each "
        f"(target < {REPORT_TARGET_MS:.0f} ms: {verdict})"
    )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"machine load average while measuring: {load}")
