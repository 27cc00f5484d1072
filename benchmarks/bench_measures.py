"""Measures at scale: the nightly snapshot, the measures and trends pages, the billing report.

The issue's population is 100,000 patients with 1,000,000 encounters and
2,000,000 tasks. This run keeps its shape (10 encounters and 20 tasks per
patient, teams of 1,000 patients, 3 active conditions each) scaled down to
BENCH_MEASURES_PATIENTS (default 20,000: 200,000 encounters, 400,000 tasks),
plus a small organisation of a tenth the size, so the pages' query counts are
compared at two sizes in one run. In the large organisation 10,000 patients
are enrolled (CCM consent, three time entries last month).

Figures, side by side in this run:
  1. nightly snapshot of the large organisation (12 months, organisation, every
     team and every lead coordinator) from empty; target < 60 s (the target is
     for 100,000 patients);
  2. the measures page (organisation admin), median of RUNS, and its number of
     queries at both sizes (the count must not grow): for last month and for the
     default 90 days, read from what the nightly job stored, and the same 90 days
     computed live (its "compute now");
  3. the trends page (stored snapshots), likewise;
  4. the billing report for the 10,000 enrolled patients; target < 5 s.
A database that already holds the panels is reused (seed time not measured).
"""

import os
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import Organisation
from apps.demo.seeders.scale import (
    analyze_tables,
    insert_rows,
    scale_organisation_name,
    seed_scale,
)
from apps.measures.billing_selectors import billing_report
from apps.measures.models import CcmConsent, MeasureSnapshot, TimeEntry
from apps.measures.months import month_before, month_of
from apps.measures.snapshots import snapshot_organisation
from apps.patients.models import ICD10_CM_SYSTEM, Condition, Encounter, Patient
from apps.tasks.models import Task, TaskStatus
from apps.teams.models import TeamMembership

PATIENTS = int(os.environ.get("BENCH_MEASURES_PATIENTS", "20000"))
SMALL = max(PATIENTS // 10, 1_000)
ENCOUNTERS_EACH = 10
TASKS_EACH = 20
ENROLLED = min(10_000, PATIENTS)
TEAM_SIZE = 1_000
RUNS = 7

SNAPSHOT_TARGET_S = 60.0
PAGE_TARGET_MS = 300.0
BILLING_TARGET_S = 5.0

KINDS = ["outpatient"] * 6 + ["ed", "ed", "inpatient", "observation"]
CODES = ["E11.9", "I10", "I50.9", "J44.9", "N18.3", "F32.9"]


def _rows_per_patient(
    patients: list[tuple[int, int]], each: int, row: Callable[[int, int, int], tuple]
) -> Iterator[tuple]:
    for number, (patient_id, team_id) in enumerate(patients):
        for index in range(each):
            yield row(number * each + index, patient_id, team_id)


def _fill(organisation: Organisation) -> None:
    """Encounters, tasks and conditions in the issue's proportions, by COPY."""
    now = timezone.now()
    today = timezone.localdate()
    patients = list(
        Patient.objects.filter(organisation=organisation)
        .order_by("pk")
        .values_list("pk", "care_team_id")
    )
    owners = dict(
        TeamMembership.objects.filter(team__organisation=organisation, is_lead=True).values_list(
            "team_id", "user_id"
        )
    )
    insert_rows(
        Encounter,
        ["created_at", "updated_at", "patient", "kind", "admit_date", "discharge_date",
         "attending_provider", "facility", "cost", "recorded_by", "source_system"],
        _rows_per_patient(
            patients,
            ENCOUNTERS_EACH,
            lambda n, pk, _team: (
                now, now, pk, KINDS[n % len(KINDS)], today - timedelta(days=n % 400), None,
                f"Dr. {n % 7}", "", None, None, "",
            ),
        ),
    )  # fmt: skip
    insert_rows(
        Task,
        ["created_at", "updated_at", "patient", "title", "description", "due_at", "priority",
         "status", "status_reason", "owner", "source_type", "verification_role",
         "performed_by", "performed_at", "completed_at", "snooze_reason", "task_type"],
        _rows_per_patient(
            patients,
            TASKS_EACH,
            lambda n, pk, team: (
                now, now, pk, "Call the patient", "", now + timedelta(hours=n % 2000 - 1000),
                "routine", TaskStatus.DONE if n % 5 else TaskStatus.REQUESTED, "",
                owners[team], "manual", "", None, None, now if n % 5 else None, "", "",
            ),
        ),
    )  # fmt: skip
    insert_rows(
        Condition,
        ["created_at", "updated_at", "patient", "code", "title", "onset_date", "resolved_date",
         "status", "recorded_by", "source_system", "code_system"],
        _rows_per_patient(
            patients,
            3,
            lambda n, pk, _team: (now, now, pk, CODES[n % len(CODES)], "", None, None, "active",
                                  None, "", ICD10_CM_SYSTEM),
        ),
    )  # fmt: skip


def _enrol(organisation: Organisation, month: date) -> None:
    """ENROLLED patients with consent and three time entries in `month` (20 to 75 minutes)."""
    now = timezone.now()
    patients = list(
        Patient.objects.filter(organisation=organisation)
        .order_by("pk")[:ENROLLED]
        .values_list("pk", "care_team_id")
    )
    leads = dict(
        TeamMembership.objects.filter(team__organisation=organisation, is_lead=True).values_list(
            "team_id", "user_id"
        )
    )
    insert_rows(
        CcmConsent,
        ["created_at", "updated_at", "organisation", "patient", "method", "given_on", "given_by",
         "recorded_by", "revoked_on", "revoke_reason", "revoked_by"],
        (
            (now, now, organisation.pk, pk, "verbal", month - timedelta(days=40), "patient",
             leads[team], None, "", None)
            for pk, team in patients
        ),
    )  # fmt: skip
    started = datetime.combine(month, datetime.min.time(), tzinfo=organisation.zone)
    insert_rows(
        TimeEntry,
        ["created_at", "updated_at", "organisation", "patient", "user", "started_at", "minutes",
         "month", "activity", "clinical_staff_time", "note"],
        _rows_per_patient(
            patients,
            3,
            lambda n, pk, team: (
                now, now, organisation.pk, pk, leads[team],
                started + timedelta(days=n % 27, hours=9), 7 + n % 19, month, "coordination",
                True, "",
            ),
        ),
    )  # fmt: skip


def _panel(size: int) -> Organisation:
    existing = Organisation.objects.filter(name=scale_organisation_name(size)).first()
    if existing is not None:
        print(f"reusing the panel of {size:,} patients already in this database")
        return existing
    started = time.perf_counter()
    with transaction.atomic():
        panel = seed_scale(patients=size, team_size=TEAM_SIZE)
        _fill(panel.organisation)
    print(
        f"seeded {size:,} patients, {size * ENCOUNTERS_EACH:,} encounters, "
        f"{size * TASKS_EACH:,} tasks ({time.perf_counter() - started:.1f}s)"
    )
    return panel.organisation


def _admin_client(organisation: Organisation) -> Client:
    from apps.accounts.models import User

    admin = User.objects.get(username=f"scale{organisation.pk}-admin")
    client = Client()
    client.force_login(admin)
    # An organisation admin is staff and must pass the second factor (django-otp): the
    # session names a confirmed device, as after a real verification.
    device, _created = TOTPDevice.objects.get_or_create(
        user=admin, name="bench", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _page(client: Client, url: str) -> tuple[float, int]:
    """Median milliseconds of RUNS requests, and the queries of one (counted by a wrapper:
    each request resets Django's own query log)."""
    client.get(url)  # warm caches and connections
    queries = 0

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), queries


def _line(label: str, value: str, target: str, ok: bool) -> None:
    print(f"{label}: {value} (target {target}: {'met' if ok else 'MISSED'})")


def main() -> None:
    large, small = _panel(PATIENTS), _panel(SMALL)
    billed = month_before(month_of(large, timezone.now()))
    if not CcmConsent.objects.filter(organisation=large).exists():
        with transaction.atomic():
            _enrol(large, billed)
    analyze_tables()
    with connection.cursor() as cursor:
        # As autovacuum leaves a table after a bulk insert: statistics, and a visibility map
        # that lets a covering index answer alone (the encounter counts).
        cursor.execute("VACUUM (ANALYZE)")

    print(
        f"population: {PATIENTS:,} patients (large), {SMALL:,} (small); shape of the issue's "
        f"100,000 / 1,000,000 encounters / 2,000,000 tasks, scaled by {PATIENTS / 100_000:g}"
    )
    timings = {}
    for organisation in (small, large):
        MeasureSnapshot.objects.filter(organisation=organisation).delete()
        for run in ("first fill, 12 months", "a night, unsettled months only"):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                result = snapshot_organisation(organisation_id=organisation.pk)
                timings[organisation.pk, run] = time.perf_counter() - started
            print(
                f"snapshot ({run}), "
                f"{Patient.objects.filter(organisation=organisation).count():,} patients: "
                f"{timings[organisation.pk, run]:.1f}s, "
                f"{result.months} scope-months (organisation, teams, leads), "
                f"{result.rows:,} rows, {len(captured):,} queries"
            )
    for run in ("first fill, 12 months", "a night, unsettled months only"):
        projected = timings[large.pk, run] * 100_000 / PATIENTS
        _line(
            f"snapshot ({run}) projected to 100,000 patients (linear)",
            f"{projected:.1f}s",
            f"< {SNAPSHOT_TARGET_S:.0f}s",
            projected < SNAPSHOT_TARGET_S,
        )

    last_day = month_of(large, timezone.now()) - timedelta(days=1)
    month_query = f"?start={last_day.replace(day=1).isoformat()}&end={last_day.isoformat()}"
    for url, name in (
        (f"/measures/{month_query}", "measures page, last month (snapshots)"),
        ("/measures/", "measures page, last 90 days (stored nightly)"),
        ("/measures/?live=1", "measures page, last 90 days computed live"),
        ("/measures/trends/", "trends page"),
    ):
        measured = {org.pk: _page(_admin_client(org), url) for org in (small, large)}
        (small_ms, small_queries), (large_ms, large_queries) = (
            measured[small.pk],
            measured[large.pk],
        )
        _line(
            f"{name}, {PATIENTS:,} patients",
            f"{large_ms:.0f} ms median ({small_ms:.0f} ms at {SMALL:,})",
            f"< {PAGE_TARGET_MS:.0f} ms",
            large_ms < PAGE_TARGET_MS,
        )
        _line(
            f"{name} queries",
            f"{large_queries} at {PATIENTS:,}, {small_queries} at {SMALL:,}",
            "the same at both sizes",
            large_queries == small_queries,
        )

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        rows = billing_report(organisation=large, month=billed, team_ids=None)
        elapsed = time.perf_counter() - started
    supported = sum(1 for row in rows if row.claims)
    _line(
        f"billing report, {len(rows):,} enrolled patients ({supported:,} with a code)",
        f"{elapsed:.2f}s, {len(captured)} queries",
        f"< {BILLING_TARGET_S:.0f}s",
        elapsed < BILLING_TARGET_S,
    )
