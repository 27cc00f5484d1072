"""The referral reminder sweep over 20,000 and 200,000 open referrals, 2,000 past a limit.

Needs PostgreSQL (the rows are made with INSERT ... SELECT generate_series).
Run it on a database of its own, e.g.

    createdb -h 127.0.0.1 -p 55432 -U postgres bench_referrals
    DATABASE_URL=postgres://postgres@127.0.0.1:55432/bench_referrals \\
        .venv/bin/python manage.py migrate --skip-checks
    DATABASE_URL=postgres://postgres@127.0.0.1:55432/bench_referrals REDIS_URL=... \\
        .venv/bin/python -m benchmarks referrals

Data: 10 care teams (lead coordinator and an owner each), 2,000 patients, one
directory service; open referrals in Sent with their limits in the future,
and 2,000 past a limit (1,500 due a reminder, 500 reminded and due an
escalation). The same 2,000 are due at both sizes; the sweep runs once per
size (its emails queued to the broker after commit, as in production), and
the figures are printed side by side: time (target under 2 s) and query count
(target: the same at both sizes). The due rows are reset between the sizes;
everything the benchmark made is removed at the start of the next run.
"""

import statistics
import time
from collections import Counter
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Organisation, Role, User
from apps.accounts.services import organisation_create
from apps.core.actors import JobActor
from apps.patients.models import Patient
from apps.referrals.models import Referral, ReferralEvent, ResourceOrganisation, ResourceService
from apps.referrals.services.sweep import due_filter, referral_reminder_sweep
from apps.tasks.models import Notification
from apps.teams.models import CareTeam
from apps.teams.services import care_team_create, team_member_add

ORGANISATION = "Referral sweep bench"
SIZES = (20_000, 200_000)
DUE_REMINDERS = 1_500
DUE_ESCALATIONS = 500
TEAMS = 10
PATIENTS = 2_000
TARGET_SECONDS = 2.0
# Each size is swept this many times (due rows reset in between); the median is shown.
ROUNDS = 3

# The benchmarks set up and sweep as a job, as a worker would.
BENCH = JobActor(job="benchmarks")


def _bulk_insert(model: type[models.Model], count: int, values: dict[str, str]) -> None:
    """One INSERT ... SELECT over generate_series(1, count) AS n; unnamed columns get
    their model default, NULL, or now() for the timestamps."""
    columns: list[str] = []
    selects: list[str] = []
    params: list[Any] = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.name in values:
            selects.append(values[field.name].replace("%", "%%"))
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            selects.append("now()")
        elif field.has_default():
            selects.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
        elif field.null:
            selects.append("NULL")
        elif field.get_default() == "":
            selects.append("''")
        else:
            raise RuntimeError(f"{model.__name__}.{field.name} needs a value")
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"SELECT {', '.join(selects)} FROM generate_series(1, %s) AS n",
            [*params, count],
        )


def _forget_previous_run() -> None:
    organisation = Organisation.objects.filter(name=ORGANISATION).first()
    if organisation is None:
        return
    referrals = Referral.objects.filter(patient__organisation=organisation)
    Notification.objects.filter(patient__organisation=organisation).delete()
    ReferralEvent.objects.filter(referral__in=referrals).delete()
    referrals.delete()
    Patient.objects.filter(organisation=organisation).delete()
    ResourceService.objects.filter(resource_organisation__organisation=organisation).delete()
    ResourceOrganisation.objects.filter(organisation=organisation).delete()
    # Users and teams stay (memberships are PROTECTed history); a new name is used below.
    organisation.name = f"{ORGANISATION} (old {organisation.pk})"
    organisation.save(update_fields=["name"])


@transaction.atomic
def _seed_people() -> tuple[Organisation, list[CareTeam], dict[int, User], ResourceService]:
    organisation = organisation_create(name=ORGANISATION)
    teams, owners = [], {}
    for number in range(TEAMS):
        team = care_team_create(
            actor=BENCH, organisation=organisation, name=f"Referral bench {number}"
        )
        lead, owner = User.objects.bulk_create(
            [
                User(
                    username=f"refbench-{team.pk}-{role}",
                    organisation=organisation,
                    profession=role,
                    email=f"refbench-{team.pk}-{role}@example.org",
                    password=make_password(None),
                )
                for role in (Role.RN_CARE_COORDINATOR, Role.SOCIAL_WORKER)
            ]
        )
        team_member_add(
            actor=BENCH, team=team, user=lead, role=Role.RN_CARE_COORDINATOR, is_lead=True
        )
        team_member_add(actor=BENCH, team=team, user=owner, role=Role.SOCIAL_WORKER)
        teams.append(team)
        owners[team.pk] = owner
    partner = ResourceOrganisation.objects.create(organisation=organisation, name="Bench pantry")
    service = ResourceService.objects.create(
        resource_organisation=partner, name="Food boxes", service_type="food"
    )
    return organisation, teams, owners, service


def _seed_patients(organisation: Organisation, teams: list[CareTeam]) -> None:
    team_ids = ",".join(str(team.pk) for team in teams)
    _bulk_insert(
        Patient,
        PATIENTS,
        {
            "organisation": str(organisation.pk),
            "care_team": f"(ARRAY[{team_ids}])[1 + n % {TEAMS}]",
            "mrn": f"'RB{organisation.pk}-' || n",
            "given_name": "'Given' || n",
            "family_name": "'Family' || n",
            "date_of_birth": "date '1950-01-01' + n",
        },
    )


def _add_referrals(
    organisation: Organisation,
    owners: dict[int, User],
    service: ResourceService,
    count: int,
    *,
    remind: str,
    escalate: str,
    reminded: bool = False,
) -> None:
    """`count` open referrals in Sent spread over the patients, owned on their team."""
    patients = list(
        Patient.objects.filter(organisation=organisation)
        .order_by("pk")
        .values_list("pk", "care_team_id")
    )
    patient_ids = ",".join(str(pk) for pk, _ in patients)
    owner_ids = ",".join(str(owners[team_id].pk) for _, team_id in patients)
    pick = f"1 + n % {len(patients)}"
    _bulk_insert(
        Referral,
        count,
        {
            "patient": f"(ARRAY[{patient_ids}])[{pick}]",
            "service": str(service.pk),
            "reason": "'Benchmark referral'",
            "referred_by": f"(ARRAY[{owner_ids}])[{pick}]",
            "owner": f"(ARRAY[{owner_ids}])[{pick}]",
            "consent_given": "true",
            "consent_method": "'verbal'",
            "consent_recorded_at": "now() - interval '20 days'",
            "state": "'sent'",
            "state_entered_at": "now() - interval '15 days'",
            "state_sequence": "2",
            "sent_at": "now() - interval '15 days'",
            "remind_at": remind,
            "escalate_at": escalate,
            "reminder_sent_at": "now() - interval '1 day'" if reminded else "NULL",
        },
    )


def _reset_due(organisation: Organisation) -> None:
    """Makes the same 2,000 rows due again and forgets what the last sweep sent."""
    now = timezone.now()
    mine = Referral.objects.filter(patient__organisation=organisation)
    Notification.objects.filter(patient__organisation=organisation).delete()
    ReferralEvent.objects.filter(referral__in=mine).delete()
    mine.filter(remind_at__lte=now, escalate_at__gt=now).update(reminder_sent_at=None)
    mine.filter(escalate_at__lte=now).update(escalation_sent_at=None)


def _measure(organisation: Organisation) -> tuple[float, Counter[str], int]:
    # The resets leave dead index entries behind; autovacuum clears them in production.
    with connection.cursor() as cursor:
        for table in ("referrals_referral", "tasks_notification", "referrals_referralevent"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    due = Referral.objects.filter(due_filter(timezone.now())).count()
    statements: Counter[str] = Counter()

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        table = next((word for word in sql.split() if word.startswith('"')), "")
        statements[f"{sql.split()[0]} {table}".strip()] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        result = referral_reminder_sweep(actor=BENCH)
        elapsed = time.perf_counter() - started
    sent = result.reminders + result.escalations
    if sent != due:
        raise RuntimeError(f"the sweep sent {sent} steps for {due} due")
    return elapsed, statements, due


def _plan() -> str:
    """How PostgreSQL runs the sweep's first claim (run, rows locked and let go)."""
    claim = (
        Referral.objects.filter(due_filter(timezone.now()))
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)[:500]
    )
    with transaction.atomic(), connection.cursor() as cursor:
        sql, params = claim.query.sql_with_params()
        cursor.execute(f"EXPLAIN (ANALYZE, TIMING OFF) {sql}", params)
        return "\n".join(f"      {row[0]}" for row in cursor.fetchall())


def main() -> None:
    if connection.vendor != "postgresql":
        raise RuntimeError("bench_referrals needs PostgreSQL")
    began = time.perf_counter()
    _forget_previous_run()
    organisation, teams, owners, service = _seed_people()
    _seed_patients(organisation, teams)
    future = "now() + interval '3 days' + n * interval '1 second'"
    _add_referrals(
        organisation,
        owners,
        service,
        DUE_REMINDERS,
        remind="now() - interval '2 hours'",
        escalate="now() + interval '2 days'",
    )
    _add_referrals(
        organisation,
        owners,
        service,
        DUE_ESCALATIONS,
        remind="now() - interval '5 days'",
        escalate="now() - interval '1 hour'",
        reminded=True,
    )
    due = DUE_REMINDERS + DUE_ESCALATIONS
    # A worker has its URL configuration loaded long before a sweep: do that first here too.
    reverse("referrals:board")
    rows: list[tuple[int, float, Counter[str], int]] = []
    for size in SIZES:
        have = Referral.objects.filter(patient__organisation=organisation).count()
        _add_referrals(
            organisation,
            owners,
            service,
            size - have,
            remind=future,
            escalate=f"{future} + interval '5 days'",
        )
        runs = []
        for _ in range(ROUNDS):
            _reset_due(organisation)
            runs.append(_measure(organisation))
        _reset_due(organisation)
        plan = _plan()
        elapsed = statistics.median(run[0] for run in runs)
        if any(run[1] != runs[0][1] for run in runs):
            raise RuntimeError("the same sweep made a different number of queries")
        rows.append((size, elapsed, runs[0][1], runs[0][2]))
    print(f"seeded and swept in {time.perf_counter() - began:.1f}s (broker: {_broker()})")
    print(
        f"{'open referrals':>15} {'past a limit':>13} "
        f"{'sweep time (median of 3)':>25} {'queries':>8}"
    )
    for size, elapsed, statements, counted in rows:
        print(f"{size:>15,} {counted:>13,} {elapsed:>24.2f}s {statements.total():>8}")
    for size, elapsed, _statements, _counted in rows:
        verdict = "ok" if elapsed < TARGET_SECONDS else "MISSED"
        print(f"sweep at {size:,}: {elapsed:.2f}s (target < {TARGET_SECONDS:.0f} s) {verdict}")
    small, large = rows[0][2], rows[-1][2]
    print(
        f"query count {small.total()} at {SIZES[0]:,} vs {large.total()} at {SIZES[-1]:,} "
        "(target: independent of the number of referrals) "
        f"{'ok' if small.total() == large.total() else 'MISSED'}"
    )
    for kind in sorted(set(small) | set(large)):
        print(f"    {kind:<48} {small[kind]:>4} {large[kind]:>4}")
    print(f"queries per step past a limit: {large.total() / due:.3f}")
    print(f"claim query plan ({SIZES[-1]:,} open, {due:,} due):\n{plan}")
    _purge_queued_emails()


def _broker() -> str:
    url = settings.CELERY_BROKER_URL
    return url.split("@")[-1] if "@" in url else url


def _purge_queued_emails() -> None:
    """The sweep queued one email job per batch or step; nobody will work them here."""
    from caregraph.celery import app

    app.control.purge()
