"""Transitions: HL7 ADT over MLLP on loopback, and the task sweep over 1,000,000 tasks.

Needs PostgreSQL. Run it on a database of its own, e.g.

    createdb -h 127.0.0.1 -p 55432 -U postgres bench_transitions
    DATABASE_URL=postgres://postgres@127.0.0.1:55432/bench_transitions \\
        .venv/bin/python manage.py migrate --skip-checks
    DATABASE_URL=postgres://postgres@127.0.0.1:55432/bench_transitions REDIS_URL=... \\
        .venv/bin/python -m benchmarks transitions

1. ADT over MLLP. `manage.py mllp_listen` runs on its own (a process per connection); 2,500
   patients with a hospital identifier each get A01, A03 home, A01 (a
   readmission inside 30 days) and A03 home again: 10,000 messages sent over
   4 connections (a feed per connection, one message in flight each, as
   interface engines do), every ACK checked to be AA. Figures: messages per
   second over the whole run (target over 200) and the p95 time from sending
   a message to having its ACK (target under 50 ms). Then a shorter pass (500
   patients, 2,000 messages) with one connection per core, where no message
   waits for a busy core. Side by side, the same service called
   in-process without a socket, for the price of the door, with its CPU per
   message (the process's `time.process_time()` plus its PostgreSQL backend).
   The listener's Celery jobs go to an in-memory broker (nothing reads them):
   the follow-up tasks are not made here, their job is measured by the tests.
   The floor beside it: a bare MLLP receiver (`_FloorServer`, in this module)
   that only stores each message once (one INSERT ... ON CONFLICT DO NOTHING
   into a table of its own in the same database) and answers a minimal AA,
   fed by the same load generator on the same connections. For both, the CPU
   per message: the server's processes (the listener and its per-connection
   children; the floor's process) plus every PostgreSQL process (the
   postmaster's tree, exited backends included), from /proc before and after
   the feed. Figure: caregraph's CPU per message as a multiple of the
   floor's (target at most 20x). Run on the throwaway PostgreSQL of `make
   bench`: a server shared with other work counts that work too.
   Sizes: BENCH_ADT_PATIENTS (default 2,500: 10,000 messages; the second pass
   and the in-process run a fifth and a twenty-fifth of it).
2. The task sweep (apps.tasks reminders, which the follow-up tasks rely on):
   1,000,000 open tasks, 5,000 of them falling due within the reminder lead.
   Figures: sweep time (target under 2 s) and queries (target: per batch of
   200, not per task), beside a bare SELECT of the same due rows. The tasks are
   made once and kept; each run resets the 5,000 so they are due again.
   BENCH_SWEEP_TASKS picks another count (0 leaves the sweep out).
"""

import multiprocessing
import os
import socket
import socketserver
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import redis
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.db import connections as all_connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import Organisation, Role, User
from apps.accounts.services import organisation_create
from apps.core.actors import JobActor
from apps.interop.mllp import END_BLOCK, START_BLOCK, frame
from apps.interop.models import AdtChannel
from apps.interop.services import adt_receive
from apps.patients.models import Patient, PatientIdentifier
from apps.tasks.models import Notification, Task, TaskEvent
from apps.tasks.services.lifecycle import task_link
from apps.tasks.services.reminders import REMINDER_KIND, task_reminders_sweep
from apps.teams.models import CareTeam
from apps.teams.services import care_team_create, team_member_add
from apps.transitions.models import Handoff, HandoffKind
from caregraph.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent
ADT_PATIENTS = int(os.environ.get("BENCH_ADT_PATIENTS", "2500"))
CONNECTIONS = 4
# A second, shorter pass with one connection per core: latency without
# queueing for a busy core.
PAIRED_PATIENTS = max(1, ADT_PATIENTS // 5)
CORES = os.cpu_count() or 1
DIRECT_PATIENTS = max(1, ADT_PATIENTS // 25)
TARGET_RATE = 200.0
TARGET_P95_MS = 50.0
TARGET_CPU_MULTIPLE = 20.0
SWEEP_TASKS = int(os.environ.get("BENCH_SWEEP_TASKS", "1000000"))
SWEEP_DUE = min(5_000, SWEEP_TASKS)
SWEEP_ORGANISATION = "Transitions sweep bench"
TARGET_SWEEP_SECONDS = 2.0

# The benchmarks set up and sweep as a job, as a worker would.
BENCH = JobActor(job="benchmarks")


# --- data -----------------------------------------------------------------------------


def _insert_series(model: type[models.Model], count: int, values: dict[str, str]) -> None:
    """INSERT ... SELECT over generate_series(1, count) AS n; timestamps now(), others the
    model default or NULL unless `values` gives an SQL expression."""
    columns, selects, params = [], [], []
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
        else:
            selects.append("''")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} "
            f"({', '.join(columns)}) SELECT {', '.join(selects)} "
            "FROM generate_series(1, %s) AS n",
            [*params, count],
        )


def _user(organisation: Organisation, name: str, role: str, **extra: object) -> User:
    return User.objects.create(
        username=name,
        organisation=organisation,
        profession=role,
        password=make_password(None),
        **extra,
    )


@transaction.atomic
def _adt_setup(run: str) -> tuple[User, list[Patient]]:
    organisation = organisation_create(name=f"Transitions ADT bench {run}")
    team = care_team_create(actor=BENCH, organisation=organisation, name="ADT bench team")
    lead = _user(organisation, f"adtbench-{run}-lead", Role.RN_CARE_COORDINATOR)
    team_member_add(actor=BENCH, team=team, user=lead, role=Role.RN_CARE_COORDINATOR, is_lead=True)
    interface = _user(organisation, f"adtbench-{run}-hl7", "", is_interface=True)
    count = ADT_PATIENTS + PAIRED_PATIENTS + DIRECT_PATIENTS
    _insert_series(
        Patient,
        count,
        {
            "organisation": str(organisation.pk),
            "care_team": str(team.pk),
            "mrn": "'B' || n",
            "given_name": "'Given' || n",
            "family_name": "'Family' || n",
            "date_of_birth": "DATE '1940-01-01' + (n % 15000)",
        },
    )
    patients = list(Patient.objects.filter(organisation=organisation).order_by("id"))
    PatientIdentifier.objects.bulk_create(
        PatientIdentifier(
            patient=patient,
            organisation=organisation,
            assigning_authority=f"BENCH{run}",
            value=f"H{patient.pk}",
        )
        for patient in patients
    )
    return interface, patients


def _ts(days_ago: float) -> str:
    return timezone.localtime(timezone.now() - timedelta(days=days_ago)).strftime("%Y%m%d%H%M%S%z")


def _messages(patient: Patient, run: str) -> list[str]:
    """A01, A03 home, A01 eight days later (a readmission), A03 home: one patient's run."""
    out = []
    for stay, (admitted, discharged) in enumerate(((20, 18), (10, 8)), start=1):
        visit = f"V{patient.pk}-{stay}"
        for event in ("A01", "A03"):
            discharge = f"{_ts(discharged)}" if event == "A03" else ""
            pv1 = ["1", "I", "4E^401^A^BENCHHOSP"] + [""] * 15 + [visit] + [""] * 16
            pv1 += ["01" if event == "A03" else ""] + [""] * 7 + [_ts(admitted), discharge]
            out.append(
                "\r".join(
                    [
                        f"MSH|^~\\&|ADT|BENCHHOSP|CAREGRAPH|BENCH|{_ts(0)}||ADT^{event}^ADT_{event}"
                        f"|{run}-{patient.pk}-{stay}-{event}|P|2.5.1",
                        f"EVN|{event}|{_ts(0)}",
                        f"PID|1||H{patient.pk}^^^BENCH{run}^MR||{patient.family_name}^"
                        f"{patient.given_name}||19500101|F",
                        "PV1|" + "|".join(pv1),
                    ]
                )
            )
    return out


# --- 1. ADT over MLLP -----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_listener(port: int, username: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "CELERY_BROKER_URL": "memory://",
        "DATABASE_PREPARE_THRESHOLD": "2",  # as docker-compose.yml runs it
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-" + uuid.uuid4().hex),
        "LOG_LEVEL": "WARNING",
    }
    listener = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
        [
            sys.executable,
            "manage.py",
            "mllp_listen",
            "--port",
            str(port),
            "--user",
            username,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert listener.stdout is not None
    line = listener.stdout.readline()
    if "MLLP listening" not in line:
        listener.kill()
        raise RuntimeError(f"the listener did not start: {line}{listener.stdout.read()}")
    return listener


def _feed(
    port: int,
    messages: list[str],
    latencies: list[float],
    errors: list[str],
    measured: threading.Event,
) -> None:
    """One feed, a message in flight at a time. Its connection stays open until the CPU
    is measured (`measured`), so the processes serving it are still there to read."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = b""
        for message in messages:
            started = time.perf_counter()
            sock.sendall(frame(message))
            while END_BLOCK not in buffer:
                chunk = sock.recv(65536)
                if not chunk:
                    raise RuntimeError("the listener closed the connection")
                buffer += chunk
            ack, _, buffer = buffer.partition(END_BLOCK)
            latencies.append(time.perf_counter() - started)
            if b"MSA|AA|" not in ack:
                errors.append(ack.decode(errors="replace")[:300])
        measured.wait(60)


def _bench_mllp(
    run: str, interface: User, patients: list[Patient], connections: int
) -> dict[str, float]:
    feeds: list[list[str]] = [[] for _ in range(connections)]
    for index, patient in enumerate(patients):
        feeds[index % connections].extend(_messages(patient, run))
    port = _free_port()
    listener = _start_listener(port, interface.username)
    try:
        return _drive(port, feeds, server_pid=listener.pid)
    finally:
        listener.terminate()
        listener.wait(20)


def _drive(port: int, feeds: list[list[str]], *, server_pid: int) -> dict[str, float]:
    """Sends the feeds, a connection each, and measures rate, ACK times and CPU per message."""
    latencies: list[float] = []
    errors: list[str] = []
    measured = threading.Event()
    postmaster = _postmaster_pid()
    threads = [
        threading.Thread(target=_feed, args=(port, feed, latencies, errors, measured))
        for feed in feeds
    ]
    sent = sum(len(feed) for feed in feeds)
    server_before, database_before = _tree_cpu(server_pid), _tree_cpu(postmaster)
    started = time.perf_counter()
    try:
        for thread in threads:
            thread.start()
        while len(latencies) < sent and any(thread.is_alive() for thread in threads):
            time.sleep(0.005)
        elapsed = time.perf_counter() - started
        server_cpu = _tree_cpu(server_pid) - server_before
        database_cpu = _tree_cpu(postmaster) - database_before
    finally:
        measured.set()
        for thread in threads:
            thread.join()
    if errors or len(latencies) != sent:
        raise RuntimeError(f"{len(errors)} messages not accepted, e.g. {errors[:1]}")
    ordered = sorted(latencies)
    return {
        "messages": float(sent),
        "seconds": elapsed,
        "rate": sent / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(0.95 * (len(ordered) - 1))] * 1000,
        "p99_ms": ordered[int(0.99 * (len(ordered) - 1))] * 1000,
        "server_cpu_ms": server_cpu * 1000 / sent,
        "database_cpu_ms": database_cpu * 1000 / sent,
        "cpu_ms": (server_cpu + database_cpu) * 1000 / sent,
    }


# --- CPU from /proc ---------------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and its reaped children), or None if gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after it.
    fields = raw[raw.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return int(fields[1]), (utime + stime + cutime + cstime) / _TICKS


def _tree_cpu(root: int) -> float:
    """CPU seconds of a process, its live descendants and every child they reaped."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (found := _stat(int(entry.name))) is not None:
            parents[int(entry.name)], cpu[int(entry.name)] = found
    total = 0.0
    for pid, seconds in cpu.items():
        ancestor = pid
        while ancestor not in (root, 0, 1) and ancestor in parents:
            ancestor = parents[ancestor]
        if ancestor == root:
            total += seconds
    return total


def _postmaster_pid() -> int:
    """The PostgreSQL server's main process: the parent of this connection's backend."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    found = _stat(int(backend))
    if found is None:
        raise RuntimeError("PostgreSQL's processes are not readable here (another machine?)")
    return found[0]


# --- the floor: a bare MLLP receiver ----------------------------------------------------

FLOOR_TABLE = "bench_floor_message"


class _FloorHandler(socketserver.BaseRequestHandler):
    """Stores each framed message once and answers AA: the least an MLLP receiver can do."""

    server: "_FloorServer"

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with psycopg.connect(**self.server.database, autocommit=True) as database:
            buffer = b""
            while chunk := sock.recv(65536):
                buffer += chunk
                while END_BLOCK in buffer:
                    message, _, buffer = buffer.partition(END_BLOCK)
                    sock.sendall(_floor_store(database, message.lstrip(START_BLOCK)))


def _floor_store(database: "psycopg.Connection[Any]", message: bytes) -> bytes:
    fields = message.split(b"\r", 1)[0].split(b"|")
    sender = b"^".join(fields[2:4]).decode(errors="replace")
    control_id = (fields[9] if len(fields) > 9 else b"").decode(errors="replace")
    database.execute(
        f"INSERT INTO {FLOOR_TABLE} (sender, control_id, body) VALUES (%s, %s, %s) "
        "ON CONFLICT DO NOTHING",
        (sender, control_id, message),
    )
    return frame(
        f"MSH|^~\\&|FLOOR|BENCH|||{time.strftime('%Y%m%d%H%M%S')}||ACK|F{control_id}|P|2.5.1\r"
        f"MSA|AA|{control_id}\r"
    )


class _FloorServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, database: dict[str, Any]) -> None:
        super().__init__(("127.0.0.1", port), _FloorHandler)
        self.database = database


def _floor_serve(port: int, database: dict[str, Any], ready: Any) -> None:
    with _FloorServer(port, database) as server:
        ready.set()
        server.serve_forever()


def _bench_floor(run: str, patients: list[Patient], connections: int) -> dict[str, float]:
    """The same feeds, sent to a receiver that only stores each message and ACKs."""
    feeds: list[list[str]] = [[] for _ in range(connections)]
    for index, patient in enumerate(patients):
        feeds[index % connections].extend(_messages(patient, run))
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (sender text NOT NULL, "
            "control_id text NOT NULL, body bytea NOT NULL, "
            "received_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (sender, control_id))"
        )
    params = connection.get_connection_params()
    database = {
        key: params[key]
        for key in ("dbname", "user", "password", "host", "port")
        if params.get(key) not in (None, "")
    }
    port = _free_port()
    # A process of its own, as the listener is; it opens its own connections.
    all_connections.close_all()
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    floor = context.Process(target=_floor_serve, args=(port, database, ready), daemon=True)
    floor.start()
    try:
        if not ready.wait(60):
            raise RuntimeError("the floor receiver did not start")
        assert floor.pid is not None
        return _drive(port, feeds, server_pid=floor.pid)
    finally:
        floor.terminate()
        floor.join(20)


def _bench_direct(run: str, interface: User, patients: list[Patient]) -> dict[str, float]:
    """The same service called in-process: its rate, and its CPU per message (this
    process by `time.process_time()`, and its own PostgreSQL backend)."""
    messages = [m for patient in patients[-DIRECT_PATIENTS:] for m in _messages(patient, run)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = int(cursor.fetchone()[0])
    backend_before = _stat(backend)
    cpu_started = time.process_time()
    started = time.perf_counter()
    for message in messages:
        result = adt_receive(actor=interface, raw=message, channel=AdtChannel.HTTP)
        if result.ack_code != "AA":
            raise RuntimeError(f"direct call refused: {result.ack[:200]}")
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    backend_after = _stat(backend)
    database = (
        backend_after[1] - backend_before[1]
        if backend_before is not None and backend_after is not None
        else 0.0
    )
    return {
        "rate": len(messages) / elapsed,
        "cpu_ms": cpu * 1000 / len(messages),
        "database_cpu_ms": database * 1000 / len(messages),
    }


# --- 2. the task sweep ------------------------------------------------------------------


def _sweep_setup() -> Organisation:
    organisation = Organisation.objects.filter(name=SWEEP_ORGANISATION).first()
    if organisation is None:
        with transaction.atomic():
            organisation = organisation_create(name=SWEEP_ORGANISATION)
            team = care_team_create(actor=BENCH, organisation=organisation, name="Sweep bench")
            lead = _user(
                organisation, f"sweepbench-{organisation.pk}-lead", Role.RN_CARE_COORDINATOR
            )
            team_member_add(
                actor=BENCH, team=team, user=lead, role=Role.RN_CARE_COORDINATOR, is_lead=True
            )
            _insert_series(
                Patient,
                2_000,
                {
                    "organisation": str(organisation.pk),
                    "care_team": str(team.pk),
                    "mrn": "'S' || n",
                    "given_name": "'Given' || n",
                    "family_name": "'Family' || n",
                    "date_of_birth": "DATE '1940-01-01' + (n % 15000)",
                },
            )
    team = CareTeam.objects.get(organisation=organisation)
    have = Task.objects.filter(patient__organisation=organisation).count()
    if have < SWEEP_TASKS:
        owner = User.objects.get(username=f"sweepbench-{organisation.pk}-lead")
        first, last = (
            Patient.objects.filter(care_team=team)
            .aggregate(first=models.Min("id"), last=models.Max("id"))
            .values()
        )
        # Far from due: between 2 and 300 days ahead, never reminded.
        _insert_series(
            Task,
            SWEEP_TASKS - have,
            {
                "patient": f"{first} + n % ({last} - {first} + 1)",
                "owner": str(owner.pk),
                "title": "'Bench task ' || n",
                "due_at": "now() + interval '2 days' + (n % 298) * interval '1 day'",
                "status": "'requested'",
                "priority": "'routine'",
                "source_type": "'manual'",
            },
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE tasks_task")
    return organisation


def _reset_due(organisation: Organisation) -> list[int]:
    """Makes SWEEP_DUE of the tasks fall due within the next hours, unreminded."""
    due_ids = list(
        Task.objects.filter(patient__organisation=organisation)
        .order_by("id")
        .values_list("pk", flat=True)[:SWEEP_DUE]
    )
    # Earlier ADT runs left readmission tasks due tomorrow: out of this measurement.
    Task.objects.filter(
        reminded_at__isnull=True, due_at__lte=timezone.now() + timedelta(days=2)
    ).exclude(patient__organisation=organisation).update(reminded_at=timezone.now())
    Notification.objects.filter(task_id__in=due_ids).delete()
    TaskEvent.objects.filter(task_id__in=due_ids).delete()
    Task.objects.filter(pk__in=due_ids).update(
        due_at=timezone.now() + timedelta(hours=6), reminded_at=None, escalated_at=None
    )
    return due_ids


def _bench_sweep(organisation: Organisation) -> dict[str, float]:
    _reset_due(organisation)
    # A running worker has its URL configuration loaded: the first reverse()
    # of a process imports every URL module (over a second here), once.
    task_link(0)
    now = timezone.now()
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            "SELECT id, owner_id, patient_id, title, due_at FROM tasks_task "
            "WHERE status IN ('requested', 'in_progress', 'on_hold') AND reminded_at IS NULL "
            "AND due_at <= %s ORDER BY due_at, id",
            [now + timedelta(hours=24)],
        )
        bare_rows = len(cursor.fetchall())
        bare = time.perf_counter() - started
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        result = task_reminders_sweep(actor=BENCH, now=now)
        elapsed = time.perf_counter() - started
    reminded = Notification.objects.filter(
        kind=REMINDER_KIND, task__patient__organisation=organisation
    ).count()
    if reminded != SWEEP_DUE:
        raise RuntimeError(f"{reminded} reminders for {SWEEP_DUE} due tasks")
    return {
        "seconds": elapsed,
        "queries": float(len(captured.captured_queries)),
        "reminded": float(result.reminded),
        "bare_seconds": bare,
        "bare_rows": float(bare_rows),
    }


def _round_trip_ms() -> float:
    """Median time of a bare `SELECT 1`: how busy the database (and machine) is right now."""
    timings = []
    with connection.cursor() as cursor:
        for _ in range(200):
            started = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def main() -> None:
    if connection.vendor != "postgresql":
        raise RuntimeError("bench_transitions needs PostgreSQL")
    run = uuid.uuid4().hex[:6]
    queue = f"bench-transitions-{run}"
    previous_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue  # this process's emails go to a queue removed below
    try:
        round_trip = _round_trip_ms()
        # The sweep first: the ADT run below makes readmission tasks that would fall due too.
        sweep: dict[str, float] | None = None
        setup = 0.0
        if SWEEP_TASKS:
            began = time.perf_counter()
            organisation = _sweep_setup()
            setup = time.perf_counter() - began
            sweep = _bench_sweep(organisation)
        interface, patients = _adt_setup(run)
        mllp = _bench_mllp(run, interface, patients[:ADT_PATIENTS], CONNECTIONS)
        floor = _bench_floor(run, patients[:ADT_PATIENTS], CONNECTIONS)
        paired = _bench_mllp(
            run, interface, patients[ADT_PATIENTS : ADT_PATIENTS + PAIRED_PATIENTS], CORES
        )
        direct = _bench_direct(run, interface, patients)
        discharges = Handoff.objects.filter(
            kind=HandoffKind.DISCHARGE, episode__patient__organisation=interface.organisation
        ).count()
    finally:
        celery_app.conf.task_default_queue = previous_queue
        if settings.REDIS_URL:
            client = redis.Redis.from_url(settings.REDIS_URL)
            for pattern in (f"{queue}*", f"_kombu.binding*.{queue}"):
                for key in client.scan_iter(match=pattern):
                    client.delete(key)

    print(
        f"database round trip (SELECT 1, median of 200): {round_trip:.2f} ms; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        f"ADT over MLLP: {int(mllp['messages']):,} messages on {CONNECTIONS} connections "
        f"(a listener process each) in "
        f"{mllp['seconds']:.1f}s ({discharges:,} discharges recorded)"
    )
    print(
        f"  throughput {mllp['rate']:.0f} msg/s (target > {TARGET_RATE:.0f}) "
        f"{'ok' if mllp['rate'] > TARGET_RATE else 'MISSED'}"
    )
    print(
        f"  ACK latency p50 {mllp['p50_ms']:.1f} ms, p95 {mllp['p95_ms']:.1f} ms "
        f"(target < {TARGET_P95_MS:.0f}) {'ok' if mllp['p95_ms'] < TARGET_P95_MS else 'MISSED'}, "
        f"p99 {mllp['p99_ms']:.1f} ms"
    )
    print(
        f"  one connection per core ({CORES}), "
        f"{int(paired['messages']):,} messages: {paired['rate']:.0f} msg/s, ACK latency "
        f"p50 {paired['p50_ms']:.1f} ms, p95 {paired['p95_ms']:.1f} ms "
        f"(target < {TARGET_P95_MS:.0f}) "
        f"{'ok' if paired['p95_ms'] < TARGET_P95_MS else 'MISSED'}"
    )
    print(
        f"  same service in-process, one caller, no socket: {direct['rate']:.0f} msg/s "
        f"(MLLP on {CONNECTIONS} connections / direct = {mllp['rate'] / direct['rate']:.2f}); "
        f"CPU per message {direct['cpu_ms']:.2f} ms in this process (process_time) "
        f"+ {direct['database_cpu_ms']:.2f} ms in its PostgreSQL backend"
    )
    print(
        f"  floor (bare MLLP receiver: one INSERT ... ON CONFLICT, an AA), same feeds: "
        f"{floor['rate']:.0f} msg/s, ACK p95 {floor['p95_ms']:.1f} ms"
    )
    multiple = mllp["cpu_ms"] / max(floor["cpu_ms"], 1e-6)
    for name, figures in (("caregraph", mllp), ("floor", floor)):
        print(
            f"  CPU per message, {name}: {figures['cpu_ms']:.2f} ms "
            f"(server {figures['server_cpu_ms']:.2f} + PostgreSQL {figures['database_cpu_ms']:.2f})"
        )
    print(
        f"  caregraph / floor CPU per message = {multiple:.1f}x "
        f"(target <= {TARGET_CPU_MULTIPLE:.0f}x) "
        f"{'ok' if multiple <= TARGET_CPU_MULTIPLE else 'MISSED'}"
    )
    if sweep is None:
        print("Task sweep: left out (BENCH_SWEEP_TASKS=0)")
        return
    print(
        f"Task sweep: {SWEEP_TASKS:,} open tasks, {SWEEP_DUE:,} coming due "
        f"(tasks seeded/checked in {setup:.1f}s)"
    )
    print(
        f"  sweep {sweep['seconds']:.2f}s (target < {TARGET_SWEEP_SECONDS:.0f} s) "
        f"{'ok' if sweep['seconds'] < TARGET_SWEEP_SECONDS else 'MISSED'}; "
        f"{int(sweep['reminded']):,} reminded"
    )
    per_task = sweep["queries"] / SWEEP_DUE
    print(
        f"  {int(sweep['queries'])} queries for {SWEEP_DUE:,} due tasks = {per_task:.3f} per task "
        f"(target: per batch, not per task) {'ok' if per_task < 0.5 else 'MISSED'}"
    )
    print(
        f"  bare SELECT of the {int(sweep['bare_rows']):,} due rows: {sweep['bare_seconds']:.3f}s "
        f"(sweep / bare = {sweep['seconds'] / max(sweep['bare_seconds'], 1e-6):.0f})"
    )
