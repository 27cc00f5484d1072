"""My work at scale: one RN coordinator owning 500 open tasks among 1,000,000 tasks.

Needs PostgreSQL. `make bench BENCH=tasks`, or by hand on a database of its own:

    createdb -h 127.0.0.1 -p 55432 -U postgres bench_tasks
    export DATABASE_URL=postgres://postgres@127.0.0.1:55432/bench_tasks
    .venv/bin/python manage.py migrate
    .venv/bin/python -m benchmarks tasks

Data: a scale panel of 20,000 patients on 20 teams of ten members (teams and
grants through the team services, patients by COPY: apps/demo/seeders/scale),
then 1,000,000 tasks by COPY. The coordinator (team 1's lead) owns 500 open
tasks, spread through the table (one row in every 2,000), due from two days
ago to three weeks ahead, and 500 closed ones; other members own the rest
(80 % done, 5 % cancelled, 15 % open); 5,000 tasks wait for a second check,
a tenth of them by an RN coordinator (about 25 on the coordinator's team).
A database that already holds the data is reused (seed time not measured).

Figures, measured side by side in this run (interleaved, median of RUNS):
  1. the "My work" selector (`my_work_for_user`: access check, both queries,
     the rows, the audit insert) vs one bare SQL statement returning the same
     rows (owned open tasks UNION ALL the checks awaiting the user's role, no
     access check, no audit), in two forms: plain joins (PostgreSQL hashes the
     whole patient table for them) and a hand-tuned form that looks each
     patient and owner up by id (LATERAL ... OFFSET 0). Medians in ms (target
     < 50 ms) and the ratio to the faster of the two forms (target < 3x);
  2. the whole page GET /work/ through the Django test client (template
     rendering of every row included) and its query count;
  3. EXPLAIN (ANALYZE) of the selector's main query: its plan must not scan
     the task table sequentially.
"""

import os
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from django.db import connection, reset_queries, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Organisation, Role, User
from apps.demo.seeders.scale import (
    LEAD_ROLE,
    analyze_tables,
    insert_rows,
    scale_organisation_name,
    scale_username,
    seed_scale,
)
from apps.patients.models import Patient
from apps.tasks.models import OPEN_STATUSES, Task, TaskStatus
from apps.tasks.selectors import my_work_for_user
from apps.teams.models import TeamMembership
from apps.teams.permissions import teams_with_permission

PATIENTS = 20_000
TEAM_SIZE = 1_000
TASKS = int(os.environ.get("BENCH_TASKS", "1000000"))
MINE_OPEN = 500
STRIDE = TASKS // MINE_OPEN  # one open and one closed coordinator row in every STRIDE rows
AWAITING_EVERY = 200
RUNS = 41

SELECTOR_TARGET_MS = 50.0
RATIO_TARGET = 3.0
SEED_TARGET_S = 300.0

OPEN = [f"'{status}'" for status in OPEN_STATUSES]
BARE_SQL = f"""
    SELECT t.id, t.title, t.due_at, t.status, t.priority, t.verification_role,
           t.performed_by_id, t.patient_id, p.care_team_id, p.family_name, p.given_name, p.mrn,
           t.owner_id, u.first_name, u.last_name, u.username, u.is_active
    FROM tasks_task t
    JOIN patients_patient p ON p.id = t.patient_id
    JOIN accounts_user u ON u.id = t.owner_id
    WHERE t.owner_id = %(user)s AND t.status IN ({", ".join(OPEN)})
    UNION ALL
    SELECT t.id, t.title, t.due_at, t.status, t.priority, t.verification_role,
           t.performed_by_id, t.patient_id, p.care_team_id, p.family_name, p.given_name, p.mrn,
           t.owner_id, u.first_name, u.last_name, u.username, u.is_active
    FROM tasks_task t
    JOIN patients_patient p ON p.id = t.patient_id
    JOIN accounts_user u ON u.id = t.owner_id
    JOIN teams_teammembership m
      ON m.team_id = p.care_team_id AND m.user_id = %(user)s AND m.ended_at IS NULL
         AND m.role = t.verification_role
    WHERE t.status = 'awaiting_verification' AND t.performed_by_id <> %(user)s
"""

# The same rows, each patient and owner fetched by primary key (OFFSET 0 keeps the
# planner from turning the lookups back into a hash join over every patient).
TUNED_SQL = f"""
    SELECT t.id, t.title, t.due_at, t.status, t.priority, t.verification_role,
           t.performed_by_id, t.patient_id, p.care_team_id, p.family_name, p.given_name, p.mrn,
           t.owner_id, u.first_name, u.last_name, u.username, u.is_active
    FROM tasks_task t
    CROSS JOIN LATERAL (
        SELECT care_team_id, family_name, given_name, mrn FROM patients_patient
        WHERE id = t.patient_id OFFSET 0) p
    CROSS JOIN LATERAL (
        SELECT first_name, last_name, username, is_active FROM accounts_user
        WHERE id = t.owner_id OFFSET 0) u
    WHERE t.owner_id = %(user)s AND t.status IN ({", ".join(OPEN)})
    UNION ALL
    SELECT t.id, t.title, t.due_at, t.status, t.priority, t.verification_role,
           t.performed_by_id, t.patient_id, p.care_team_id, p.family_name, p.given_name, p.mrn,
           t.owner_id, u.first_name, u.last_name, u.username, u.is_active
    FROM teams_teammembership m
    JOIN patients_patient p ON p.care_team_id = m.team_id
    JOIN tasks_task t ON t.patient_id = p.id AND t.status = 'awaiting_verification'
         AND t.verification_role = m.role AND t.performed_by_id <> %(user)s
    CROSS JOIN LATERAL (
        SELECT first_name, last_name, username, is_active FROM accounts_user
        WHERE id = t.owner_id OFFSET 0) u
    WHERE m.user_id = %(user)s AND m.ended_at IS NULL
"""

FIELDS = [
    "created_at",
    "updated_at",
    "patient",
    "title",
    "description",
    "due_at",
    "priority",
    "status",
    "status_reason",
    "owner",
    "source_type",
    "verification_role",
    "performed_by",
    "performed_at",
    "completed_at",
]
TITLES = [
    "Call to review blood pressure readings",
    "Arrange transport to clinic appointment",
    "Follow up on housing application",
    "Medication reconciliation after discharge",
    "Book specialist appointment",
    "Home visit: check food in the house",
]


def _task_rows(
    *,
    now: datetime,
    coordinator_id: int,
    team_one: list[int],
    patients: list[tuple[int, int]],
    owners_by_team: dict[int, list[int]],
) -> Iterator[tuple]:
    """TASKS rows in the order they are written, the coordinator's spread through them."""
    for number in range(TASKS):
        title = TITLES[number % len(TITLES)]
        position, turn = divmod(number, STRIDE)
        if turn in (7, STRIDE // 2 + 7) and position < MINE_OPEN:
            is_open = turn == 7
            patient_id = team_one[position % len(team_one)]
            due = now + timedelta(hours=(position * 37) % 540 - 48)
            status = (
                (TaskStatus.IN_PROGRESS if position % 4 == 0 else TaskStatus.REQUESTED)
                if is_open
                else TaskStatus.DONE
            )
            closed_at = None if is_open else due
            yield (
                now,
                now,
                patient_id,
                title,
                "",
                due,
                "routine",
                status,
                "",
                coordinator_id,
                "manual",
                "",
                None,
                None,
                closed_at,
            )
            continue
        patient_id, team_id = patients[number % len(patients)]
        owners = owners_by_team[team_id]
        owner_id = owners[(number // len(patients)) % len(owners)]
        due = now + timedelta(hours=number % 2000 - 1000)
        if number % AWAITING_EVERY == 11:
            role = (
                Role.RN_CARE_COORDINATOR if number % (10 * AWAITING_EVERY) == 11 else "pharmacist"
            )
            yield (
                now,
                now,
                patient_id,
                title,
                "",
                due,
                "urgent",
                TaskStatus.AWAITING_VERIFICATION,
                "",
                owner_id,
                "manual",
                role,
                owner_id,
                now,
                None,
            )
            continue
        bucket = number % 100
        if bucket < 80:
            status, reason, closed_at = TaskStatus.DONE, "", due
        elif bucket < 85:
            status, reason, closed_at = TaskStatus.CANCELLED, "No longer needed", due
        else:
            status, reason, closed_at = TaskStatus.REQUESTED, "", None
        yield (
            now,
            now,
            patient_id,
            title,
            "",
            due,
            "routine",
            status,
            reason,
            owner_id,
            "manual",
            "",
            None,
            None,
            closed_at,
        )


def _coordinator(organisation: Organisation) -> User:
    return User.objects.get(username=scale_username(organisation.pk, 1, "rn"))


def _seed() -> tuple[User, float | None]:
    name = scale_organisation_name(PATIENTS)
    organisation = Organisation.objects.filter(name=name).first()
    if organisation is not None:
        coordinator = _coordinator(organisation)
        mine = Task.objects.filter(owner=coordinator, status__in=OPEN_STATUSES).count()
        if mine == MINE_OPEN and Task.objects.count() >= TASKS:
            print(f"reusing the data already in this database ({Task.objects.count():,} tasks)")
            return coordinator, None
        raise SystemExit(
            "bench_tasks: this database holds a different panel; use an empty database"
        )
    started = time.perf_counter()
    with transaction.atomic():
        panel = seed_scale(patients=PATIENTS, team_size=TEAM_SIZE, progress=print)
    coordinator = _coordinator(panel.organisation)
    members = TeamMembership.objects.filter(
        team__organisation=panel.organisation, ended_at__isnull=True
    ).exclude(role__in=[LEAD_ROLE, Role.ADMIN])
    owners_by_team: dict[int, list[int]] = {}
    for team_id, user_id in members.order_by("team_id", "user_id").values_list(
        "team_id", "user_id"
    ):
        owners_by_team.setdefault(team_id, []).append(user_id)
    patients = list(
        Patient.objects.filter(organisation=panel.organisation)
        .order_by("pk")
        .values_list("pk", "care_team_id")
    )
    team_one = [pk for pk, team_id in patients if team_id == panel.teams[0].pk]
    mark = time.perf_counter()
    with transaction.atomic():
        insert_rows(
            Task,
            FIELDS,
            _task_rows(
                now=timezone.now(),
                coordinator_id=coordinator.pk,
                team_one=team_one,
                patients=patients,
                owners_by_team=owners_by_team,
            ),
        )
    print(f"{TASKS:,} tasks by COPY ({time.perf_counter() - mark:.1f}s)")
    analyze_tables()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tasks_task")
    return coordinator, time.perf_counter() - started


def _forget_rights(user: User) -> None:
    """Each request loads a fresh user, so the per-user rights cache starts empty."""
    user.__dict__.pop("_caregraph_team_perms", None)


def _bare(user: User, sql: str = BARE_SQL) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, {"user": user.pk})
        return cursor.fetchall()


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def _plan(user: User) -> str:
    query = (
        Task.objects.filter(owner_id=user.pk, status__in=OPEN_STATUSES)
        .filter(patient__care_team_id__in=teams_with_permission(user))
        .order_by("due_at", "pk")
        .values_list("pk", "title", "due_at", "patient__family_name")
    )
    return query.explain(analyze=True)


def _line(label: str, value: str, target: str, ok: bool) -> None:
    print(f"{label:<58} {value:>12}   target {target:<12} {'OK' if ok else 'MISSED'}")


def main() -> None:
    if connection.vendor != "postgresql":
        raise SystemExit("bench_tasks needs PostgreSQL")
    coordinator, seed_seconds = _seed()
    work = my_work_for_user(user=coordinator)
    rows = _bare(coordinator)
    tuned_rows = _bare(coordinator, TUNED_SQL)
    same = (
        {row.id for row in work.rows} == {row[0] for row in rows} == {row[0] for row in tuned_rows}
    )
    print(
        f"coordinator owns {len(work.rows) - len(work.awaiting_my_verification)} open tasks; "
        f"{len(work.awaiting_my_verification)} await their check; "
        f"counts {work.counts}; bare SQL returns {len(rows)} rows (same rows: {same})"
    )
    if not same:
        raise SystemExit("bench_tasks: the selector and the bare SQL disagree")

    selector_ms: list[float] = []
    selector_db_ms: list[float] = []
    bare_ms: list[float] = []
    tuned_ms: list[float] = []
    in_database: list[float] = []

    def timed_sql(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            in_database.append((time.perf_counter() - started) * 1000)

    def selector_call() -> None:
        in_database.clear()
        with connection.execute_wrapper(timed_sql):
            my_work_for_user(user=coordinator)
        selector_db_ms.append(sum(in_database))

    for run in range(RUNS + 3):
        _forget_rights(coordinator)
        calls: list[tuple[list[float], Callable[[], object]]] = [
            (selector_ms, selector_call),
            (bare_ms, lambda: _bare(coordinator)),
            (tuned_ms, lambda: _bare(coordinator, TUNED_SQL)),
        ]
        calls = calls[run % 3 :] + calls[: run % 3]  # each goes first in turn
        for samples, call in calls:
            elapsed = _timed(call)
            if run >= 3:  # the first rounds warm caches and connections
                samples.append(elapsed)
        reset_queries()
    selector = statistics.median(selector_ms)
    selector_db = statistics.median(selector_db_ms[3:])
    bare = statistics.median(bare_ms)
    tuned = statistics.median(tuned_ms)
    baseline = min(bare, tuned)

    client = Client()
    client.force_login(coordinator)
    url = reverse("tasks:my_work")
    page_ms: list[float] = []
    for run in range(13):
        elapsed = _timed(lambda: client.get(url))
        if run >= 3:
            page_ms.append(elapsed)
        reset_queries()
    executed: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        executed.append(sql)
        return execute(sql, params, many, context)

    # Counted with a wrapper: each request resets Django's own query log as it starts.
    with connection.execute_wrapper(count):
        response = client.get(url)
    page_ok = response.status_code == 200 and work.rows[0].title in response.content.decode()

    plan = _plan(coordinator)
    no_seq_scan = "Seq Scan on tasks_task" not in plan

    print()
    print(f"My work of one coordinator, {TASKS:,} tasks in the table, median of {RUNS}:")
    _line(
        "selector median (ms)",
        f"{selector:.1f}",
        f"< {SELECTOR_TARGET_MS:.0f} ms",
        selector < SELECTOR_TARGET_MS,
    )
    _line(
        "  of which waiting on PostgreSQL (4 statements)", f"{selector_db:.1f}", "(reported)", True
    )
    _line("bare SQL, same rows, plain joins, median (ms)", f"{bare:.1f}", "(baseline)", True)
    _line("bare SQL, same rows, hand-tuned, median (ms)", f"{tuned:.1f}", "(baseline)", True)
    _line(
        "selector / the faster bare SQL",
        f"{selector / baseline:.2f}x",
        f"< {RATIO_TARGET:.0f}x",
        selector / baseline < RATIO_TARGET,
    )
    _line(
        "whole page GET /work/ via test client, median (ms)",
        f"{statistics.median(page_ms):.1f}",
        "(reported)",
        page_ok,
    )
    _line(
        "queries per page (same for 5 and 50 tasks: tests)",
        str(len(executed)),
        "<= 9",
        len(executed) <= 9,
    )
    _line("main query reads tasks through an index", str(no_seq_scan), "True", no_seq_scan)
    if seed_seconds is not None:
        _line(
            "seed time (s)",
            f"{seed_seconds:.0f}",
            f"< {SEED_TARGET_S:.0f} s",
            seed_seconds < SEED_TARGET_S,
        )
    print()
    print("EXPLAIN ANALYZE of the selector's main query (owned open tasks, access-checked):")
    print("\n".join("  " + line for line in plan.splitlines()[:14]))
