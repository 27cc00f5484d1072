"""Full-population complexity recomputation: 100,000 patients, ~8 conditions, ~6 encounters each.

Seeds its own organisation with PostgreSQL COPY (fast, reused by later runs),
then measures in one run, side by side:

- a bare loop that only reads the rows the recomputation reads (patients,
  active conditions, encounters of the last 12 months, screens, ADI, the
  stored results) and does nothing with them;
- the full recomputation from empty results (every row written);
- a second recomputation with nothing changed (idempotent: nothing written).

Target: the whole population in under 60 s, set-wise (the number of queries
does not depend on the number of patients).

BENCH_COMPLEXITY_PATIENTS overrides the population size (default 100000).
"""

import os
import random
import time
from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import Organisation
from apps.patients import charlson, icd10
from apps.patients.complexity import LOOKBACK_DAYS, complexity_recompute
from apps.patients.models import (
    AreaDeprivation,
    Condition,
    Encounter,
    Patient,
    PatientComplexity,
    SdohScreen,
)
from apps.teams.models import CareTeam

ORGANISATION = "Benchmark: complexity"
PATIENTS = int(os.environ.get("BENCH_COMPLEXITY_PATIENTS", "100000"))
TARGET_SECONDS = 60.0
KINDS = ["ed", "inpatient", "observation", "snf", "outpatient", "outpatient", "outpatient"]


def _code_pools() -> tuple[list[str], list[str]]:
    scoring, other = [], []
    for code in icd10.all_codes():
        (scoring if charlson.category_of(code) else other).append(code)
    return scoring, other


def _copy(table: str, columns: list[str], rows: object) -> None:
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:  # type: ignore[attr-defined]
                copy.write_row(row)


def seed(size: int) -> Organisation:
    existing = Organisation.objects.filter(name=ORGANISATION).first()
    if existing and Patient.objects.filter(organisation=existing).count() == size:
        return existing
    if existing:
        raise SystemExit(f"{ORGANISATION!r} exists with another size: drop it or the database")
    started = time.perf_counter()
    organisation = Organisation.objects.create(name=ORGANISATION)
    team = CareTeam.objects.create(organisation=organisation, name="Bench team")
    rng = random.Random(7)
    now = timezone.now()
    today = timezone.localdate()
    _copy(
        Patient._meta.db_table,
        ["organisation_id", "care_team_id", "mrn", "given_name", "family_name", "date_of_birth",
         "sex", "preferred_language", "interpreter_needed", "race_ethnicity", "phone", "email",
         "address_line", "city", "state", "postal_code", "is_active", "created_at", "updated_at"],
        (
            (organisation.pk, team.pk, f"B{number:07d}", "Given", f"Family{number % 997}",
             date(1930, 1, 1) + timedelta(days=number % 25000), "unknown", "English", False,
             "", "", "", "", "", "", "", True, now, now)
            for number in range(size)
        ),
    )  # fmt: skip
    ids = list(
        Patient.objects.filter(organisation=organisation)
        .order_by("id")
        .values_list("id", flat=True)
    )
    scoring, other = _code_pools()

    def conditions():  # type: ignore[no-untyped-def]
        for pk in ids:
            codes = set(rng.sample(scoring, rng.randint(0, 4)))
            codes |= set(rng.sample(other, 8 - len(codes)))
            for code in codes:
                resolved = rng.random() < 0.1
                yield (
                    pk, code, "", None, today - timedelta(days=30) if resolved else None,
                    "resolved" if resolved else "active", now, now,
                )  # fmt: skip

    _copy(
        Condition._meta.db_table,
        ["patient_id", "code", "title", "onset_date", "resolved_date", "status", "created_at",
         "updated_at"],
        conditions(),
    )  # fmt: skip

    def encounters():  # type: ignore[no-untyped-def]
        for pk in ids:
            for _ in range(rng.randint(4, 8)):
                kind = rng.choice(KINDS)
                admitted = today - timedelta(days=rng.randint(0, 540))
                stay = rng.randint(1, 9) if kind in ("inpatient", "snf", "observation") else 0
                yield (
                    pk, kind, admitted, admitted + timedelta(days=stay), "Dr. Bench", "",
                    rng.randint(50, 40000) if rng.random() < 0.8 else None, now, now,
                )  # fmt: skip

    _copy(
        Encounter._meta.db_table,
        ["patient_id", "kind", "admit_date", "discharge_date", "attending_provider", "facility",
         "cost", "created_at", "updated_at"],
        encounters(),
    )  # fmt: skip
    user_id = _bench_user(organisation)
    _copy(
        SdohScreen._meta.db_table,
        ["patient_id", "screened_on", "screened_by_id", "living_situation", "housing_problems",
         "food_worry", "food_ran_out", "transportation", "utilities", "safety_hurt",
         "safety_insult", "safety_threaten", "safety_scream", "housing_positive",
         "food_positive", "transportation_positive", "utilities_positive", "safety_positive",
         "safety_score", "created_at", "updated_at"],
        (
            (pk, today - timedelta(days=rng.randint(0, 500)), user_id, "steady", '["none"]',
             "sometimes" if pk % 4 == 0 else "never", "never", "no", "no", 1, 1, 1, 1, False,
             pk % 4 == 0, False, False, False, 4, now, now)
            for pk in ids
            if pk % 3 == 0
        ),
    )  # fmt: skip
    _copy(
        AreaDeprivation._meta.db_table,
        ["patient_id", "national_percentile", "state_decile", "suppression_code", "block_group",
         "created_at", "updated_at"],
        (
            (pk, (pk * 37) % 100 + 1, ((pk * 37) % 100) // 10 + 1, "", "", now, now)
            for pk in ids
            if pk % 5
        ),
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"seeded {size:,} patients in {time.perf_counter() - started:.1f}s")
    return organisation


def _bench_user(organisation: Organisation) -> int:
    from apps.accounts.models import User

    user, _ = User.objects.get_or_create(
        username="bench-complexity", defaults={"organisation": organisation}
    )
    return user.pk


def bare_read(organisation_id: int) -> int:
    """Reads the same rows as the recomputation and does nothing with them."""
    start = timezone.localdate() - timedelta(days=LOOKBACK_DAYS)
    touched = 0
    for query in (
        Patient.objects.filter(organisation_id=organisation_id, is_active=True).values_list("id"),
        Condition.objects.filter(
            patient__organisation_id=organisation_id, status="active"
        ).values_list("patient_id", "code"),
        Encounter.objects.filter(
            patient__organisation_id=organisation_id, admit_date__gt=start
        ).values_list("patient_id", "kind", "admit_date", "discharge_date", "cost"),
        SdohScreen.objects.filter(
            patient__organisation_id=organisation_id, screened_on__gt=start
        ).values_list("patient_id", "screened_on", "food_positive"),
        AreaDeprivation.objects.filter(patient__organisation_id=organisation_id).values_list(
            "patient_id", "national_percentile", "suppression_code"
        ),
        PatientComplexity.objects.filter(organisation_id=organisation_id).values_list(
            "patient_id", "cci", "is_complex", "summary"
        ),
    ):
        for _row in query.iterator(chunk_size=20_000):
            touched += 1
    return touched


def main() -> None:
    organisation = seed(PATIENTS)
    PatientComplexity.objects.filter(organisation=organisation).delete()

    started = time.perf_counter()
    rows = bare_read(organisation.pk)
    bare = time.perf_counter() - started

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        first = complexity_recompute(organisation_id=organisation.pk)
        full = time.perf_counter() - started
    queries = len(captured)

    started = time.perf_counter()
    second = complexity_recompute(organisation_id=organisation.pk)
    again = time.perf_counter() - started

    print(f"population: {first.patients:,} patients, {first.flagged:,} flagged complex")
    print(
        f"bare read loop: {bare:.1f}s for {rows:,} rows ({first.patients / bare:,.0f} patients/s)"
    )
    print(
        f"full recomputation: {full:.1f}s ({first.patients / full:,.0f} patients/s), "
        f"{len(first.changed):,} rows written, {queries} queries "
        f"(target < {TARGET_SECONDS:.0f}s: {'met' if full < TARGET_SECONDS else 'MISSED'})"
    )
    print(
        f"recomputation with nothing changed: {again:.1f}s "
        f"({second.patients / again:,.0f} patients/s), {len(second.changed)} rows written "
        f"(target 0 rows: {'met' if not second.changed else 'MISSED'})"
    )
    print(f"full recomputation / bare read: {full / bare:.2f}x")
    assert second.changed == [], "a rerun must change nothing"
