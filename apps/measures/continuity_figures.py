"""Continuity of care for a population, pooled over its patients, in one SQL statement.

Each patient's outpatient visits with a named provider in the period count,
for patients with at least the minimum number of visits (continuity.py). The
three indices pool naturally into a numerator and a denominator:

- UPC: visits made to each patient's most-seen provider, over all their visits;
- COC: pairs of a patient's visits made to the same provider, over all pairs of
  a patient's visits (Bice-Boxerman's index is exactly this share for one
  patient: (sum n_j^2 - N) / (N (N - 1)));
- SECON: consecutive visits with the same provider as the visit before, over
  all consecutive pairs.
"""

from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import QuerySet

from apps.patients.models import Encounter, EncounterKind, Patient


@dataclass(frozen=True)
class PooledContinuity:
    patients: int
    visits: int
    usual_provider_visits: int
    visit_pairs: int
    same_provider_pairs: int
    consecutive_pairs: int
    consecutive_repeats: int


def _pooled_rows(
    *, patients: QuerySet[Patient], start: date, end: date, min_visits: int, by_team: bool
) -> list[tuple[int, ...]]:
    """The pooled counts in one statement: one row, or one row per care team (team id first).

    One pass of the window function over the visits in the period (read from the
    encounters' (kind, admit_date) index, which covers the patient and the provider),
    then one grouping per patient and provider: a visit repeating the provider of the
    visit before counts in that provider's group, and a patient's N visits make N - 1
    consecutive pairs, so no second pass over the visits is needed.
    """
    patient_sql, patient_params = patients.values("id", "care_team_id").query.sql_with_params()
    encounters = Encounter._meta.db_table
    team = "p.care_team_id" if by_team else "0"
    sql = f"""
        WITH visits AS (
            SELECT e.patient_id, {team} AS team, e.attending_provider AS provider,
                   LAG(e.attending_provider) OVER (
                       PARTITION BY e.patient_id ORDER BY e.admit_date, e.id
                   ) AS previous
            FROM {encounters} e JOIN ({patient_sql}) p ON p.id = e.patient_id
            WHERE e.kind = %s AND e.attending_provider <> ''
              AND e.admit_date >= %s AND e.admit_date <= %s
        ), per_provider AS (
            SELECT patient_id, team, COUNT(*) AS n,
                   COUNT(*) FILTER (WHERE previous = provider) AS repeats
            FROM visits GROUP BY patient_id, team, provider
        ), per_patient AS (
            SELECT team, SUM(n) AS total, MAX(n) AS top, SUM(n * n) AS squares,
                   SUM(repeats) AS repeats
            FROM per_provider GROUP BY patient_id, team
        )
        SELECT team, COUNT(*), SUM(total), SUM(top), SUM(total * (total - 1) / 2),
               SUM((squares - total) / 2), SUM(total - 1), SUM(repeats)
        FROM per_patient
        WHERE total >= %s
        GROUP BY team
    """  # noqa: S608 - table names from the model, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [*patient_params, EncounterKind.OUTPATIENT, start, end, max(2, min_visits)]
        )
        return [tuple(int(value) for value in row) for row in cursor.fetchall()]


def pooled_continuity(
    *, patients: QuerySet[Patient], start: date, end: date, min_visits: int
) -> PooledContinuity:
    """The pooled counts over `patients` (a queryset, run as a subquery) in one statement."""
    rows = _pooled_rows(
        patients=patients, start=start, end=end, min_visits=min_visits, by_team=False
    )
    return PooledContinuity(*rows[0][1:]) if rows else PooledContinuity(0, 0, 0, 0, 0, 0, 0)


def pooled_continuity_by_team(
    *, patients: QuerySet[Patient], start: date, end: date, min_visits: int
) -> dict[int, PooledContinuity]:
    """The same counts for each care team of `patients`, in one statement (snapshots)."""
    rows = _pooled_rows(
        patients=patients, start=start, end=end, min_visits=min_visits, by_team=True
    )
    return {row[0]: PooledContinuity(*row[1:]) for row in rows}


def visit_histories(*, patients: QuerySet[Patient], start: date, end: date) -> dict[int, list[str]]:
    """The providers of each patient's visits counted above, in visit order, one query."""
    histories: dict[int, list[str]] = {}
    rows = (
        Encounter.objects.filter(
            patient_id__in=patients.values("id"),
            kind=EncounterKind.OUTPATIENT,
            admit_date__gte=start,
            admit_date__lte=end,
            attending_provider__gt="",
        )
        .order_by("patient_id", "admit_date", "id")
        .values_list("patient_id", "attending_provider")
    )
    for patient_id, provider in rows:
        histories.setdefault(patient_id, []).append(provider)
    return histories
