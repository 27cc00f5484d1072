"""Agenda build for a 2,000-patient team in a database of 100,000 patients and 1,000,000 tasks.

Seeds its own data with set-based SQL (INSERT ... SELECT generate_series), so
it needs PostgreSQL; run it on a database of its own, e.g.

    createdb -h 127.0.0.1 -p 55432 -U postgres bench_huddles
    DATABASE_URL=postgres://postgres@127.0.0.1:55432/bench_huddles \
        .venv/bin/python manage.py migrate --skip-checks
    DATABASE_URL=postgres://postgres@127.0.0.1:55432/bench_huddles \
        .venv/bin/python -m benchmarks huddles

Data: 50 teams of 2,000 patients and one team of 20; per patient ten tasks
(most of them done, some open, some overdue, some owned by people who have
left), complexity rows, social needs screens, discharges, referrals and care
plans (a quarter of them due for review), so every agenda source has rows to
read. Measured side by side in one run: the agenda build (all sources, ranking,
evidence) for the big team and for the small team, and the whole opening of a
huddle (build plus writes, rolled back).
"""

import os
import statistics
import time
from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, models, reset_queries, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import Organisation, Role, User
from apps.accounts.services import organisation_create
from apps.careplans.models import CarePlan
from apps.core.actors import JobActor
from apps.huddles import services
from apps.huddles.agenda import SOURCES
from apps.huddles.models import Huddle
from apps.patients.models import Patient, PatientComplexity, SdohScreen
from apps.referrals.models import Referral, ResourceOrganisation, ResourceService
from apps.tasks.models import Task
from apps.teams.models import CareTeam, TeamMembership
from apps.teams.services import care_team_create, team_member_add, team_member_remove
from apps.transitions.models import Episode, Handoff

ORGANISATION = "Huddle bench organisation"
BIG_TEAMS = 50
PATIENTS_PER_TEAM = 2_000
SMALL_TEAM_PATIENTS = 20
TASKS = 1_000_000
ROUNDS = 15
TARGET_MS = 200.0
ROLES = [
    Role.RN_CARE_COORDINATOR,
    Role.PCP,
    Role.SOCIAL_WORKER,
    Role.CHW,
    Role.PHARMACIST,
    Role.NAVIGATOR,
]

# The benchmarks set up and sweep as a job, as a worker would.
BENCH = JobActor(job="benchmarks")


def _insert(model: type[models.Model], count: int, expressions: dict[str, str]) -> None:
    """INSERT ... SELECT over generate_series(1, count) AS g.

    Columns not in `expressions` take the field's default (or NULL), read from
    the model, so columns other apps add with defaults need no change here.
    """
    columns, values, values_params = [], [], []
    with connection.cursor() as cursor:
        present = {
            column.name
            for column in connection.introspection.get_table_description(
                cursor, model._meta.db_table
            )
        }
    for field in model._meta.concrete_fields:
        if field.primary_key and field.name not in expressions:
            continue
        if field.column not in present and field.name not in expressions:
            continue  # a column another app is adding right now; its default will do
        columns.append(connection.ops.quote_name(field.column))
        if field.name in expressions:
            # Expressions use SQL's modulo; the driver would read "%" as a placeholder.
            values.append(expressions[field.name].replace("%", "%%"))
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values.append("now()")
        elif field.has_default() or (not field.null and field.get_default() == ""):
            values.append("%s")
            values_params.append(field.get_db_prep_save(field.get_default(), connection))
        elif field.null:
            values.append("NULL")
        else:
            raise RuntimeError(f"{model.__name__}.{field.name} needs an expression")
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM generate_series(1, %s) AS g"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values_params, count])


def _members(organisation: Organisation, team: CareTeam, number: int) -> list[User]:
    users = User.objects.bulk_create(
        [
            User(
                username=f"bench-{team.pk}-{index}",
                organisation=organisation,
                first_name=f"Staff{index}",
                last_name=f"Team{team.pk}",
                profession=role,
                password=make_password(None),
            )
            for index, role in enumerate(ROLES[:number])
        ]
    )
    for index, user in enumerate(users):
        team_member_add(actor=BENCH, team=team, user=user, role=ROLES[index], is_lead=(index == 0))
    return users


@transaction.atomic
def seed() -> tuple[CareTeam, CareTeam, User, User]:
    started = time.perf_counter()
    organisation = organisation_create(name=ORGANISATION)
    teams = [
        care_team_create(actor=BENCH, organisation=organisation, name=f"Bench team {n:02d}")
        for n in range(BIG_TEAMS)
    ]
    small = care_team_create(actor=BENCH, organisation=organisation, name="Bench small team")
    leads: dict[int, User] = {}
    for team in [*teams, small]:
        users = _members(organisation, team, len(ROLES))
        leads[team.pk] = users[0]
        # Someone who left: their open work is orphaned.
        leaver = users[-1]
        team_member_remove(
            actor=BENCH,
            membership=TeamMembership.objects.get(team=team, user=leaver, ended_at=None),
        )
    team_ids = ",".join(str(team.pk) for team in teams)
    _insert(
        Patient,
        BIG_TEAMS * PATIENTS_PER_TEAM,
        {
            "organisation": str(organisation.pk),
            "care_team": f"(ARRAY[{team_ids}])[1 + (g % {BIG_TEAMS})]",
            "mrn": "'B' || lpad(g::text, 7, '0')",
            "given_name": "'Given' || g",
            "family_name": "'Family' || (g % 997)",
            "date_of_birth": "date '1940-01-01' + (g % 20000)",
        },
    )
    _insert(
        Patient,
        SMALL_TEAM_PATIENTS,
        {
            "organisation": str(organisation.pk),
            "care_team": str(small.pk),
            "mrn": "'S' || lpad(g::text, 7, '0')",
            "given_name": "'Small' || g",
            "family_name": "'Team' || g",
            "date_of_birth": "date '1950-01-01' + g",
        },
    )
    patient_table = Patient._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE bench_patient AS SELECT row_number() OVER (ORDER BY p.id) AS n, "
            f"p.id, p.care_team_id FROM {patient_table} p WHERE p.organisation_id = %s",
            [organisation.pk],
        )
        cursor.execute(
            "CREATE TEMP TABLE bench_staff AS SELECT team_id, "
            "array_agg(user_id ORDER BY user_id) AS everyone, "
            "array_agg(user_id ORDER BY user_id) FILTER (WHERE ended_at IS NULL) AS current "
            f"FROM {TeamMembership._meta.db_table} GROUP BY team_id"
        )
        cursor.execute("CREATE UNIQUE INDEX ON bench_patient (n)")
        cursor.execute("ANALYZE bench_patient")
    patients = BIG_TEAMS * PATIENTS_PER_TEAM + SMALL_TEAM_PATIENTS
    patient_of = f"(SELECT id FROM bench_patient WHERE n = 1 + (g % {patients}))"
    team_of = f"(SELECT care_team_id FROM bench_patient WHERE n = 1 + (g % {patients}))"
    # Rows of the other sources pick patients with multipliers prime to the number
    # of teams, so every team gets its share.
    # Ten tasks per patient; k (0-9) numbers a patient's own tasks so that status,
    # due date and owner vary within each patient, not between teams: 80 % done,
    # 20 % open, about a third of the open ones overdue, one open task in eight
    # owned by someone who has left the team.
    k = f"(g / {patients})"
    status = f"CASE WHEN {k} < 8 THEN 'done' WHEN {k} = 8 THEN 'requested' ELSE 'in_progress' END"
    owner = (
        f"(SELECT CASE WHEN (g + {k}) % 8 = 0 AND {k} >= 8 "
        "THEN everyone[array_length(everyone, 1)] "
        "ELSE current[1 + (g % array_length(current, 1))] END "
        f"FROM bench_staff WHERE team_id = {team_of})"
    )
    _insert(
        Task,
        TASKS,
        {
            "patient": patient_of,
            "title": "'Bench task ' || g",
            "due_at": f"now() + ((g % 13) + {k} - 14) * interval '1 day'",
            "status": status,
            "priority": "CASE WHEN g % 50 = 0 THEN 'urgent' ELSE 'routine' END",
            "owner": owner,
            "completed_at": f"CASE WHEN {k} < 8 THEN now() - interval '1 day' END",
        },
    )
    _insert(
        PatientComplexity,
        patients,
        {
            "patient": patient_of,
            "organisation": str(organisation.pk),
            "cci": "g % 8",
            "is_complex": "g % 20 = 0",
            "as_of": "current_date",
            "computed_at": "now() - (g % 60) * interval '1 day'",
            "flagged_at": "CASE WHEN g % 20 = 0 THEN now() - (g % 60) * interval '1 day' END",
        },
    )
    _insert(
        SdohScreen,
        patients // 5,
        {
            "patient": f"(SELECT id FROM bench_patient WHERE n = 1 + ((g * 7) % {patients}))",
            "screened_on": "current_date - (g % 40)",
            "screened_by": str(leads[teams[0].pk].pk),
            "living_situation": "CASE WHEN g % 50 = 0 THEN 'not_steady' ELSE 'steady' END",
            "housing_problems": "'[]'::jsonb",
            "food_worry": "'never'",
            "food_ran_out": "'never'",
            "transportation": "'no'",
            "utilities": "'no'",
            "safety_hurt": "1",
            "safety_insult": "1",
            "safety_threaten": "1",
            "safety_scream": "1",
            "housing_positive": "g % 50 = 0",
            "food_positive": "false",
            "transportation_positive": "false",
            "utilities_positive": "false",
            "safety_positive": "g % 97 = 0",
            "safety_score": "4",
            "created_at": "now() - (g % 40) * interval '1 day'",
        },
    )
    episodes = patients // 20
    _insert(
        Episode,
        episodes,
        {
            "patient": f"(SELECT id FROM bench_patient WHERE n = 1 + ((g * 11 + 3) % {patients}))",
            "status": "'follow_up'",
            "started_at": "now() - (g % 30 + 3) * interval '1 day'",
            "watch_until": "now() + interval '20 days'",
        },
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE bench_episode AS SELECT row_number() OVER (ORDER BY id) AS n, id "
            f"FROM {Episode._meta.db_table} WHERE patient_id IN (SELECT id FROM bench_patient)"
        )
    _insert(
        Handoff,
        episodes,
        {
            "episode": "(SELECT id FROM bench_episode WHERE n = g)",
            "sequence": "1",
            "kind": "'discharge'",
            "occurred_at": "now() - (g % 30) * interval '1 day'",
            "from_setting": "'hospital'",
            "to_setting": "'home'",
            "source": "'hl7'",
        },
    )
    _insert(
        CarePlan,
        patients // 3,
        {
            "patient": f"(SELECT id FROM bench_patient WHERE n = 1 + ((g * 17 + 2) % {patients}))",
            "status": "CASE WHEN g % 7 = 0 THEN 'revised' ELSE 'active' END",
            "last_signed_at": "now() - (g % 120) * interval '1 day'",
            "unsigned_since": "CASE WHEN g % 7 = 0 THEN now() - (g % 30) * interval '1 day' END",
            "version_count": "1",
        },
    )
    partner = ResourceOrganisation.objects.create(organisation=organisation, name="Bench partner")
    service = ResourceService.objects.create(
        resource_organisation=partner, name="Bench food boxes", service_type="food"
    )
    referral_row = f"(1 + ((g * 13 + 5) % {patients}))"
    referral_owner = (
        "(SELECT s.current[1] FROM bench_staff s JOIN bench_patient p "
        f"ON p.care_team_id = s.team_id WHERE p.n = {referral_row})"
    )
    _insert(
        Referral,
        patients // 20,
        {
            "patient": f"(SELECT id FROM bench_patient WHERE n = {referral_row})",
            "referred_by": referral_owner,
            "owner": referral_owner,
            "service": str(service.pk),
            "reason": "'Bench referral'",
            "state": "'draft'",
            "remind_at": "now() + ((g % 20) - 10) * interval '1 day'",
        },
    )
    print(f"seeded in {time.perf_counter() - started:.1f}s", flush=True)
    return teams[0], small, leads[teams[0].pk], leads[small.pk]


def _prepared(team: CareTeam, lead: User) -> Huddle:
    """A huddle to build a week after the last one, whose unfinished items carry over."""
    week_ago = timezone.now() - timedelta(days=7)
    held = services.huddle_schedule(actor=lead, team=team, scheduled_start=week_ago)
    services.huddle_open(actor=lead, huddle=held)
    services.huddle_attendance_set(actor=lead, huddle=held, user_id=lead.pk, present=True)
    services.huddle_close(actor=lead, huddle=held)
    # As if it had been held a week ago: a week of discharges, screens and flags is new.
    Huddle.objects.filter(pk=held.pk).update(opened_at=week_ago, closed_at=week_ago)
    return services.huddle_schedule(
        actor=lead, team=team, scheduled_start=timezone.now() + timedelta(hours=1)
    )


def _measure(action: Callable[[], object]) -> tuple[float, int, list[int]]:
    timings, counts = [], []
    for _ in range(ROUNDS):
        reset_queries()  # DEBUG keeps a bounded log; a full one would count nothing
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            action()
            timings.append((time.perf_counter() - started) * 1000)
        counts.append(len(queries))
    return statistics.median(timings), counts[0], counts


class _Rollback(Exception):
    pass


def _open_and_roll_back(huddle: Huddle, lead: User) -> None:
    try:
        with transaction.atomic():
            services.huddle_open(actor=lead, huddle=huddle)
            raise _Rollback
    except _Rollback:
        pass


def main() -> None:
    if connection.vendor != "postgresql":
        raise RuntimeError("bench_huddles needs PostgreSQL (set DATABASE_URL)")
    existing = Organisation.objects.filter(name=ORGANISATION).first()
    if existing is not None:
        big = CareTeam.objects.get(organisation=existing, name="Bench team 00")
        small = CareTeam.objects.get(organisation=existing, name="Bench small team")
        big_lead = TeamMembership.objects.get(team=big, is_lead=True, ended_at=None).user
        small_lead = TeamMembership.objects.get(team=small, is_lead=True, ended_at=None).user
        print("reusing the seeded bench data", flush=True)
    else:
        big, small, big_lead, small_lead = seed()
        # What autovacuum does on a live system: visibility map and statistics.
        with connection.cursor() as cursor:
            for model in (
                Patient,
                Task,
                PatientComplexity,
                SdohScreen,
                Episode,
                Handoff,
                Referral,
                CarePlan,
            ):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    print(
        f"database: {Patient.objects.count():,} patients, {Task.objects.count():,} tasks; "
        f"team '{big.name}': {Patient.objects.filter(care_team=big).count():,} patients, "
        f"{Task.objects.filter(patient__care_team=big).count():,} tasks",
        flush=True,
    )
    Huddle.objects.filter(team__in=[big, small], status="scheduled").delete()
    big_huddle = _prepared(big, big_lead)
    small_huddle = _prepared(small, small_lead)
    big_previous = services.previous_huddle(big_huddle)
    small_previous = services.previous_huddle(small_huddle)

    def build(huddle: Huddle, previous: Huddle | None, lead: User) -> Callable[[], object]:
        return lambda: services.agenda_plan_for(
            huddle=huddle, now=timezone.now(), previous=previous, viewer=lead
        )

    big_ms, big_queries, big_counts = _measure(build(big_huddle, big_previous, big_lead))
    small_ms, small_queries, _ = _measure(build(small_huddle, small_previous, small_lead))
    open_ms, open_queries, _ = _measure(lambda: _open_and_roll_back(big_huddle, big_lead))
    plan = services.agenda_plan_for(
        huddle=big_huddle, now=timezone.now(), previous=big_previous, viewer=big_lead
    )
    print(
        f"agenda: {len(plan.candidates)} items chosen from "
        f"{len(plan.candidates) + plan.left_out} candidates"
    )
    verdict = "met" if big_ms < TARGET_MS else "MISSED"
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"machine load average while measuring: {load} (other work on the host slows all figures)"
    )
    print(
        f"agenda build, 2,000-patient team: median {big_ms:.1f} ms over {ROUNDS} rounds "
        f"(target < {TARGET_MS:.0f} ms: {verdict})"
    )
    print(f"agenda build, 20-patient team: median {small_ms:.1f} ms (for comparison)")
    print(f"time ratio big/small team: {big_ms / small_ms:.1f}x")
    # Fixed reads (settings, last huddle's items, members, audit) plus one query per
    # source and one per source that adds detail lines; none depends on the team's size.
    bound = 4 + len(SOURCES) + sum(1 for source in SOURCES if source.enrich is not None)
    steady = len(set(big_counts)) == 1 and max(big_queries, small_queries) <= bound
    print(
        f"queries per agenda build: {big_queries} (2,000 patients) vs {small_queries} "
        f"(20 patients); fixed bound {bound} whatever the size (target: constant: "
        f"{'met' if steady else 'MISSED'})"
    )
    print(
        f"opening the huddle (build + writes, rolled back): median {open_ms:.1f} ms, "
        f"{open_queries} queries (no target; for reference)"
    )
