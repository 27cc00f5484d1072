"""Care plans at scale: the PCP review worklist and a large plan page.

Needs PostgreSQL. Run it on a database of its own, e.g.

    createdb -h 127.0.0.1 -p 55432 -U postgres bench_careplans
    DATABASE_URL=postgres://postgres@127.0.0.1:55432/bench_careplans \\
        .venv/bin/python manage.py migrate --skip-checks
    DATABASE_URL=postgres://postgres@127.0.0.1:55432/bench_careplans REDIS_URL=... \\
        .venv/bin/python -m benchmarks careplans

Data: a scale panel of 20,000 patients in 20 teams (seed_scale), and an open
care plan for two patients in three (about 13,300 plans) with mixed review
states: signed recently, signed long ago, unsigned for weeks, flagged after a
transition. Measured side by side in one run:

- `care_plans_due_for_review` for a PCP of one team (its due plans among all
  of them): median server time (target under 50 ms), and its ratio to a bare
  SQL query returning the same rows plus the audit INSERT that every read of
  patient data makes (target under 3x). The bare query alone is printed too.
- the plan page (GET, server side through Django's test client) for a plan
  with 40 goals and 80 interventions (each with its task) against one with
  1 goal: median time (target under 300 ms) and query count (target: the
  same for both sizes).
"""

import statistics
import time
from collections.abc import Callable
from datetime import timedelta

from django.db import connection, reset_queries, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Organisation, Role, User
from apps.careplans import services
from apps.careplans.models import CarePlan, CarePlanStatus
from apps.careplans.selectors import care_plans_due_for_review
from apps.core.audit import audit_record
from apps.core.models import AuditAction
from apps.demo.seeders.scale import analyze_tables, insert_rows, scale_organisation_name, seed_scale
from apps.patients.models import Patient
from apps.teams.models import TeamMembership

PATIENTS = 20_000
TEAM_SIZE = 1_000
ROUNDS = 15
DUE_TARGET_MS = 50.0
DUE_RATIO_TARGET = 3.0
PAGE_TARGET_MS = 300.0
BIG_GOALS = 40
PLAN_FIELDS = (
    "created_at",
    "updated_at",
    "patient",
    "status",
    "version_count",
    "unsigned_since",
    "last_signed_at",
    "review_requested_at",
    "review_request_reason",
    "what_matters",
    "priorities",
    "agreed_by",
    "agreement_method",
    "caregiver_name",
    "health_literacy_limited",
    "advance_directive_reference",
    "retired_reason",
)
BARE_SQL = """
    SELECT plan.id, patient.id, patient.family_name, patient.given_name
    FROM careplans_careplan plan
    JOIN patients_patient patient ON patient.id = plan.patient_id
    WHERE plan.status IN ('draft', 'active', 'revised')
      AND patient.care_team_id IN (
          SELECT team_id FROM teams_teammembership
          WHERE user_id = %(user)s AND ended_at IS NULL)
      AND (plan.unsigned_since <= %(unsigned)s
           OR plan.last_signed_at <= %(review)s
           OR plan.review_requested_at IS NOT NULL)
    ORDER BY LEAST(plan.review_requested_at, plan.unsigned_since, plan.last_signed_at), plan.id
"""


def _plan_rows(patients: list[int]):  # type: ignore[no-untyped-def]
    now = timezone.now()
    for index, patient_id in enumerate(patients):
        if index % 3 == 2:
            continue  # a third of the panel has no plan
        kind = index % 10
        signed = now - timedelta(days=(index % 60) + 1)
        unsigned = None
        requested = None
        status = CarePlanStatus.ACTIVE
        if kind == 0:
            signed = now - timedelta(days=95 + index % 30)  # review overdue
        elif kind == 1:
            status, unsigned = CarePlanStatus.REVISED, now - timedelta(days=20 + index % 10)
        elif kind == 3:
            requested = now - timedelta(days=index % 5)
        elif kind == 4:
            status, unsigned, signed = CarePlanStatus.DRAFT, now - timedelta(days=3), None
        yield (
            now,
            now,
            patient_id,
            status,
            1,
            unsigned,
            signed,
            requested,
            "Transition of care: discharge to home" if requested else "",
            "Stay at home",
            "",
            "",
            "",
            "",
            False,
            "",
            "",
        )


def _seed() -> Organisation:
    name = scale_organisation_name(PATIENTS)
    organisation = Organisation.objects.filter(name=name).first()
    if organisation is not None:
        if CarePlan.objects.filter(patient__organisation=organisation).exists():
            print("reusing the panel and plans already in this database")
            return organisation
        raise SystemExit("bench_careplans: this database holds another panel; use an empty one")
    started = time.perf_counter()
    with transaction.atomic():
        panel = seed_scale(patients=PATIENTS, team_size=TEAM_SIZE, progress=print)
        patients = list(
            Patient.objects.filter(organisation=panel.organisation)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        insert_rows(CarePlan, PLAN_FIELDS, _plan_rows(patients))
    analyze_tables()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE careplans_careplan")
    print(
        f"seeded {len(patients):,} patients and "
        f"{CarePlan.objects.filter(patient__organisation=panel.organisation).count():,} plans "
        f"in {time.perf_counter() - started:.1f}s"
    )
    return panel.organisation


def _member(organisation: Organisation, role: str) -> TeamMembership:
    return (
        TeamMembership.objects.filter(
            team__organisation=organisation, role=role, ended_at__isnull=True
        )
        .select_related("user", "team")
        .order_by("team_id")
        .first()
    )  # type: ignore[return-value]


def _median_ms(call: Callable[[], object]) -> float:
    times = []
    for _ in range(ROUNDS):
        reset_queries()
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _line(label: str, value: str, target: str, ok: bool) -> None:
    print(f"{label:<58} {value:>12}   target {target:<14} {'OK' if ok else 'MISSED'}")


def _fresh(user: User) -> User:
    """Each request starts with an empty per-user rights cache (the user row itself is
    loaded by the session middleware in a request, so it is not timed here)."""
    user.__dict__.pop("_caregraph_team_perms", None)
    return user


def _paired_medians(
    first: Callable[[], object], second: Callable[[], object]
) -> tuple[float, float]:
    """Both calls in turn, round after round: on a busy machine each sees the same load."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(ROUNDS):
        for call, bucket in ((first, times[0]), (second, times[1])):
            reset_queries()
            started = time.perf_counter()
            call()
            bucket.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])


def _big_plan(nurse: User, patient: Patient, goals: int) -> CarePlan:
    plan = CarePlan.objects.filter(patient=patient, status__in=("draft", "active", "revised"))
    for existing in plan:
        services.care_plan_retire(actor=nurse, plan=existing, reason="Benchmark reset")
    fresh = services.care_plan_create(actor=nurse, patient=patient, what_matters="Stay at home")
    today = timezone.localdate()
    for number in range(goals):
        goal = services.goal_create(
            actor=nurse,
            plan=fresh,
            domain=("medical", "behavioral", "functional")[number % 3],
            description=f"Goal {number}",
            target=f"Target {number}",
            target_date=today + timedelta(days=30 + number),
            owner=nurse,
        )
        for step in range(2):
            services.intervention_create(
                actor=nurse,
                goal=goal,
                description=f"Step {step} of goal {number}",
                owner=nurse,
                due_date=today + timedelta(days=3 + step),
            )
    return fresh


def main() -> None:
    if connection.vendor != "postgresql":
        raise SystemExit("bench_careplans needs PostgreSQL")
    organisation = _seed()
    pcp_membership = _member(organisation, Role.PCP)
    pcp = pcp_membership.user
    now = timezone.now()
    rows = care_plans_due_for_review(user=_fresh(pcp))
    params = {
        "user": pcp.pk,
        "unsigned": now - timedelta(days=14),
        "review": now - timedelta(days=90),
    }

    def bare() -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(BARE_SQL, params)
            return cursor.fetchall()

    def bare_and_audit() -> list[tuple]:
        """The bare query plus the audit write every read of patient data must make."""
        found = bare()
        audit_record(
            actor=pcp,
            action=AuditAction.LIST,
            object_type="careplans.careplan",
            patient_ids=[row[1] for row in found],
        )
        return found

    bare_rows = bare()
    if {row.plan.pk for row in rows} != {row[0] for row in bare_rows}:
        raise SystemExit("bench_careplans: the selector and the bare query disagree on the rows")
    total = CarePlan.objects.filter(patient__organisation=organisation).count()
    print(f"\n{total:,} plans; the PCP's team has {len(rows)} due for review\n")
    due_ms, audited_ms = _paired_medians(
        lambda: care_plans_due_for_review(user=_fresh(pcp)), bare_and_audit
    )
    bare_ms = _median_ms(bare)
    ratio = due_ms / audited_ms if audited_ms else float("inf")
    _line(
        "due-for-review selector, median",
        f"{due_ms:.1f} ms",
        f"< {DUE_TARGET_MS:.0f} ms",
        due_ms < DUE_TARGET_MS,
    )
    _line("bare SQL for the same rows, median", f"{bare_ms:.1f} ms", "(reference)", True)
    _line("bare SQL + the audit INSERT, median", f"{audited_ms:.1f} ms", "(reference)", True)
    _line(
        "selector / (bare SQL + audit INSERT)",
        f"{ratio:.2f}x",
        f"< {DUE_RATIO_TARGET:.0f}x",
        ratio < DUE_RATIO_TARGET,
    )

    nurse = _member(organisation, Role.RN_CARE_COORDINATOR).user
    team_patients = list(Patient.objects.filter(care_team=pcp_membership.team).order_by("pk")[:2])
    with transaction.atomic():
        small = _big_plan(nurse, team_patients[0], 1)
        big = _big_plan(nurse, team_patients[1], BIG_GOALS)
    client = Client()
    client.force_login(nurse)
    figures = {}
    for label, plan in (
        ("1 goal", small),
        (f"{BIG_GOALS} goals, {BIG_GOALS * 2} interventions", big),
    ):
        url = reverse("careplans:plan", args=[plan.patient_id])
        client.get(url)
        executed: list[str] = []

        def count(execute, sql, params, many, context, executed=executed):  # type: ignore[no-untyped-def]
            executed.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"bench_careplans: plan page answered {response.status_code}")
        figures[label] = (_median_ms(lambda url=url: client.get(url)), len(executed))
    for label, (ms, _) in figures.items():
        _line(
            f"plan page, {label}, median",
            f"{ms:.1f} ms",
            f"< {PAGE_TARGET_MS:.0f} ms",
            ms < PAGE_TARGET_MS,
        )
    counts = [count for _, count in figures.values()]
    _line(
        "plan page queries, small vs large plan",
        " vs ".join(str(count) for count in counts),
        "equal",
        len(set(counts)) == 1,
    )
