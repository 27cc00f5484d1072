"""Patient visibility at scale: 100,000 patients on 100 teams of 1,000, ten members each.

Needs PostgreSQL. `make bench` (or `make bench BENCH=patients`) runs it on a
throwaway server; by hand, on a database of its own:

    createdb -h 127.0.0.1 -p 55432 -U postgres bench_patients
    export DATABASE_URL=postgres://postgres@127.0.0.1:55432/bench_patients
    .venv/bin/python manage.py migrate
    .venv/bin/python -m benchmarks patients

Data: `manage.py seed_scale --patients 100000` (teams and memberships through
the team services, so the grants are the production guardian ones; patients
and identifiers by COPY). A database that already holds that panel is reused
(then the seed time is not measured; BENCH_PATIENTS picks another size).

Figures, each printed with its target, measured side by side in this run:
  1. the visible-patient list of one RN coordinator (first 50 by name + total)
     through the real selector vs a plain SQL join through active care-team
     memberships: medians and ratio; EXPLAIN (ANALYZE) of both, checking that
     the patient table is read through an index, only for the visible rows;
  2. queries per list request (Django test client) for page size 1 and 50;
  3. requests per second of GET /api/v1/patients/ (token auth) under gunicorn
     with 2 workers on loopback, vs a bare view returning the same rows from a
     raw cursor behind the same token check (benchmarks/urls.py);
  4. p95 server time (gunicorn's own per-request time) of the patient list page
     and the chart under 20 concurrent users;
  5. seed time.
The load tool is wrk when it is installed (apt-get install wrk), otherwise a
bounded Python load generator; every load run is bounded in requests and time.
In-process timings run with DEBUG off (no query log), like the server. Times
are medians of interleaved runs, ratios are of medians (best runs alongside);
the machine's load average is printed, because other work inflates them all.
"""

from __future__ import annotations

import http.client
import itertools
import logging
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from apps.accounts.models import Organisation, User
from apps.accounts.tokens import api_token_create
from apps.demo.seeders.scale import scale_organisation_name, scale_username
from apps.patients.models import Patient, PatientComplexity, PatientIdentifier
from apps.patients.selectors import patient_list_for_user, patient_page_for_user, patient_rows
from benchmarks.urls import raw_page

PATIENTS = int(os.environ.get("BENCH_PATIENTS", "100000"))
TEAM_SIZE = 1_000
PAGE_SIZE = 50
RUNS = 41  # per side, interleaved; the median is reported

SEED_TARGET_S = 120.0
LIST_RATIO_TARGET = 2.0
QUERIES_TARGET = 6
THROUGHPUT_RATIO_TARGET = 0.5
P95_TARGET_MS = 150.0

WORKERS = 2
THROUGHPUT_CONNECTIONS = 8
THROUGHPUT_SECONDS = 4
THROUGHPUT_ROUNDS = 4
USERS = 20
PAGE_LOAD_SECONDS = 12
MAX_REQUESTS = 20_000  # per load run, whatever its duration

BASE_DIR = Path(__file__).resolve().parent.parent


# --- printing -----------------------------------------------------------------


@dataclass
class Figure:
    label: str
    value: str
    target: str
    ok: bool | None  # None: shown for context, no target

    @property
    def status(self) -> str:
        return "" if self.ok is None else ("OK" if self.ok else "MISS")

    def line(self) -> str:
        return f"  {self.label:<58} {self.value:>16}   {self.target:<16} {self.status}".rstrip()


FIGURES: list[Figure] = []


def report(label: str, value: str, target: str = "", ok: bool | None = None) -> None:
    figure = Figure(label, value, f"target {target}" if target else "", ok)
    if ok is not None:
        FIGURES.append(figure)
    print(figure.line(), flush=True)


def heading(text: str) -> None:
    print(f"\n{text}", flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


# --- 5. seeding -----------------------------------------------------------------


def seed() -> tuple[Organisation, float | None]:
    """The scale panel, seeded now (with its time) or found from an earlier run."""
    name = scale_organisation_name(PATIENTS)
    organisation = Organisation.objects.filter(name=name).first()
    if organisation is not None:
        count = Patient.objects.filter(organisation=organisation).count()
        if count != PATIENTS:
            raise RuntimeError(
                f"{name} holds {count} patients, not {PATIENTS}: use a fresh database"
            )
        print(f"reusing {name} ({count} patients seeded earlier)", flush=True)
        return organisation, None
    print(f"seeding {PATIENTS} patients (manage.py seed_scale)", flush=True)
    started = time.perf_counter()
    with override_settings(DEBUG=False):  # as in production: no query log
        call_command("seed_scale", patients=PATIENTS, team_size=TEAM_SIZE, stdout=sys.stdout)
    elapsed = time.perf_counter() - started
    reset_queries()
    return Organisation.objects.get(name=name), elapsed


# --- 1. the list through the selector vs a plain join ----------------------------


def _walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _walk(child)


# Tables that grow with the panel: a list must never scan them whole.
PANEL_TABLES = {
    Patient._meta.db_table,
    PatientComplexity._meta.db_table,
    PatientIdentifier._meta.db_table,
}


@dataclass
class PlanSummary:
    rows_read: dict[str, int]  # panel table -> rows read (returned + filtered out, all loops)
    access: list[str]
    seq_scan: bool


def explain(sql: str) -> PlanSummary:
    """EXPLAIN (ANALYZE) of one statement: how much of each panel table it reads, and how."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        (document,) = cursor.fetchone()
    rows: dict[str, int] = {}
    access: list[str] = []
    seq = False
    for node in _walk(document[0]["Plan"]):
        table = node.get("Relation Name")
        if table not in PANEL_TABLES:
            continue
        kind = node["Node Type"]
        seq = seq or kind == "Seq Scan"
        read = node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
        read = int(read * node.get("Actual Loops", 1))
        rows[table] = rows.get(table, 0) + read
        how = f"{kind} on {node['Index Name']}" if "Index Name" in node else kind
        access.append(f"{table} {read} rows by {how}")
    return PlanSummary(rows, access, seq)


def statement_label(sql: str) -> str:
    if "groupobjectpermission" in sql and "patients_patient" not in sql:
        return "rights"
    return "count" if "COUNT(" in sql.upper() else "list"


def replay(statements: Sequence[str]) -> Callable[[], None]:
    """Runs the given SQL as it is, fetching every row: the database's share of a read."""

    def run() -> None:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()

    return run


@dataclass
class Timing:
    median: float
    best: float

    def __str__(self) -> str:
        return f"{self.median * 1000:.2f} ms (min {self.best * 1000:.2f})"

    def ratio(self, other: Timing) -> str:
        return f"{self.median / other.median:.2f}x (min {self.best / other.best:.2f}x)"


def interleaved(sides: dict[str, Callable[[], object]]) -> dict[str, Timing]:
    """RUNS rounds of every side in turn (order alternating), with production's DEBUG off."""
    timings: dict[str, list[float]] = {name: [] for name in sides}
    with override_settings(DEBUG=False):
        for _ in range(3):  # warm caches and connections
            for run in sides.values():
                run()
        for round_number in range(RUNS):
            order = list(sides.items())
            if round_number % 2:
                order.reverse()
            for name, run in order:
                started = time.perf_counter()
                run()
                timings[name].append(time.perf_counter() - started)
    return {name: Timing(statistics.median(runs), min(runs)) for name, runs in timings.items()}


def bench_list(coordinator: User, table_rows: int) -> None:
    heading(
        f"[1] visible-patient list of one RN coordinator: first {PAGE_SIZE} by name + total "
        f"(median of {RUNS} interleaved runs each)"
    )

    def fresh_user() -> User:
        # Each request has its own user object: no rights cached from the last run.
        coordinator.__dict__.pop("_caregraph_team_perms", None)
        return coordinator

    def through_selector() -> tuple[list[int], int]:
        patients = patient_list_for_user(user=fresh_user())
        return [row.pk for row in patient_rows(patients[:PAGE_SIZE])], patients.count()

    def through_page() -> tuple[list[int], int]:
        page = patient_page_for_user(user=fresh_user(), page_size=PAGE_SIZE)
        return [patient.pk for patient in page.patients], page.total

    def through_join() -> tuple[list[int], int]:
        rows, total = raw_page(coordinator.pk, 1, PAGE_SIZE)
        return [row[0] for row in rows], total

    def through_orm_join() -> tuple[list[int], int]:
        # The selector's query with visibility by active membership instead of permissions.
        patients = (
            Patient.objects.filter(
                care_team__memberships__user=coordinator,
                care_team__memberships__ended_at__isnull=True,
                is_active=True,
            )
            .select_related("care_team", "complexity")
            .order_by("family_name", "given_name", "id")
        )
        return [patient.pk for patient in patients[:PAGE_SIZE]], patients.count()

    expected = through_join()
    for name, run in (
        ("selector", through_selector),
        ("page selector", through_page),
        ("membership ORM query", through_orm_join),
    ):
        if run() != expected:
            raise RuntimeError(f"the {name} and the plain join disagree on the rows")
    visible = expected[1]
    statements: dict[str, list[str]] = {}
    for name, run in (("selector", through_selector), ("join", through_join)):
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            run()
        statements[name] = [query["sql"] for query in captured.captured_queries]

    report("visible patients / patients in the table", f"{visible} / {table_rows}")
    whole = interleaved(
        {
            "selector": through_selector,
            "join": through_join,
            "page": through_page,
            "orm join": through_orm_join,
        }
    )
    report("selector: patient_rows(list[:50]) + list.count()", str(whole["selector"]))
    report("plain SQL join through active memberships (cursor)", str(whole["join"]))
    ratio = whole["selector"].median / whole["join"].median
    report(
        "selector / plain join (medians)",
        f"{ratio:.2f}x",
        f"<= {LIST_RATIO_TARGET:g}x",
        ratio <= LIST_RATIO_TARGET,
    )
    report("  the same, best runs", f"{whole['selector'].best / whole['join'].best:.2f}x")
    report(
        "  patient_page_for_user (+ audit row, rights) / plain join",
        whole["page"].ratio(whole["join"]),
    )
    report(
        "  selector / its own ORM query visible by a membership join",
        whole["selector"].ratio(whole["orm join"]),
    )
    sql_only = interleaved({name: replay(sqls) for name, sqls in statements.items()})
    report("  the selector's SQL alone (replayed by a cursor)", str(sql_only["selector"]))
    report("  the plain join's SQL alone", str(sql_only["join"]))
    sql_ratio = sql_only["selector"].median / sql_only["join"].median
    report(
        "  selector SQL / plain join SQL (database side, medians)",
        f"{sql_ratio:.2f}x",
        f"<= {LIST_RATIO_TARGET:g}x",
        sql_ratio <= LIST_RATIO_TARGET,
    )

    for name, sqls in statements.items():
        plans = [explain(sql) for sql in sqls]
        most = max((read for plan in plans for read in plan.rows_read.values()), default=0)
        bounded = not any(plan.seq_scan for plan in plans) and most <= 2 * visible
        report(
            f"{name} EXPLAIN: most rows one statement reads from a panel table",
            str(most),
            f"<= 2 x {visible}, no seq scan",
            bounded,
        )
        for sql, plan in zip(sqls, plans, strict=True):
            reads = "; ".join(plan.access) or "no panel table"
            print(f"      {statement_label(sql)}: {reads}", flush=True)
    reset_queries()


# --- 2. queries per list request ----------------------------------------------------


def count_queries(client: Client, url: str) -> int:
    client.get(url)  # warm: per-process caches are not per-request costs
    # A request starts by emptying the query log: start from an empty one so that the
    # count (log length after minus before) is the request's.
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return len(captured)  # before any reset: captured_queries reads the live log


def bench_queries(coordinator: User, token: str, chart_id: int) -> None:
    heading("[2] queries per list request (Django test client)")
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    one = count_queries(api, "/api/v1/patients/?page_size=1")
    fifty = count_queries(api, "/api/v1/patients/?page_size=50")
    report("GET /api/v1/patients/?page_size=1 (token)", str(one), f"<= {QUERIES_TARGET}", one <= 6)
    report(
        "GET /api/v1/patients/?page_size=50 (token)",
        str(fifty),
        f"<= {QUERIES_TARGET}, = size 1",
        fifty <= QUERIES_TARGET and fifty == one,
    )
    browser = Client()
    browser.force_login(coordinator)
    report("GET /patients/ list page, 25 rows (session)", str(count_queries(browser, "/patients/")))
    report(
        "GET /patients/<id>/ chart (session)",
        str(count_queries(browser, f"/patients/{chart_id}/")),
    )


# --- 3 and 4. gunicorn under load ---------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(access_log: Path) -> Iterator[str]:
    """The app with 2 sync workers on loopback, production-like settings; its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "DJANGO_DEBUG": "0",
        # Sessions made by this process must be valid in the server: same key.
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }
    errors = access_log.with_suffix(".err")
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "caregraph.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        "--access-logfile",
        str(access_log),
        "--access-logformat",
        "%(m)s %(U)s %(s)s %(D)s",
        "--log-level",
        "warning",
    ]
    with errors.open("wb") as stderr:
        server = subprocess.Popen(  # noqa: S603 - our own fixed command line
            command, cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {errors.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base}/accounts/login/", timeout=5) as answer:  # noqa: S310
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer within 60 s")
            time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        problems = errors.read_text().strip()
        if problems:
            print(f"      gunicorn stderr (last lines):\n{problems[-1500:]}", flush=True)


@dataclass
class Load:
    requests: int
    seconds: float
    client_p95_ms: float
    tool: str

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


WRK_SCRIPT = """
local paths = {%(paths)s}
local headers = {%(headers)s}
local limit = %(limit)d
local sent = 0
local answered = 0
function init(args)
  for name, value in pairs(headers) do wrk.headers[name] = value end
end
function request()
  sent = sent + 1
  return wrk.format("GET", paths[(sent - 1) %% #paths + 1])
end
function response(status, response_headers, body)
  answered = answered + 1
  if answered >= limit then wrk.thread:stop() end
end
function done(summary, latency, requests)
  io.write(string.format("BENCH requests=%%d duration_us=%%d p95_us=%%d\\n",
    summary.requests, summary.duration, latency:percentile(95)))
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_wrk(
    base: str, paths: Sequence[str], headers: dict[str, str], connections: int, seconds: int
) -> Load:
    script = WRK_SCRIPT % {
        "paths": ", ".join(_lua_string(path) for path in paths),
        "headers": ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()),
        "limit": MAX_REQUESTS,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        completed = subprocess.run(  # noqa: S603 - our own fixed command line
            [
                shutil.which("wrk") or "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "30s",
                "-s",
                handle.name,
                base + paths[0],
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
    finally:
        os.unlink(handle.name)
    line = next(row for row in completed.stdout.splitlines() if row.startswith("BENCH "))
    values = dict(item.split("=") for item in line.split()[1:])
    return Load(
        requests=int(values["requests"]),
        seconds=int(values["duration_us"]) / 1e6,
        client_p95_ms=int(values["p95_us"]) / 1000,
        tool="wrk",
    )


def run_python_load(
    base: str, paths: Sequence[str], headers: dict[str, str], connections: int, seconds: int
) -> Load:
    """A closed-loop load of `connections` threads, bounded by MAX_REQUESTS and `seconds`."""
    address = urlsplit(base)
    tickets = itertools.count()
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def user() -> None:
        session = http.client.HTTPConnection(
            address.hostname or "127.0.0.1", address.port, timeout=30
        )
        mine = []
        try:
            while time.monotonic() < deadline:
                number = next(tickets)
                if number >= MAX_REQUESTS:
                    break
                started = time.perf_counter()
                session.request("GET", paths[number % len(paths)], headers=headers)
                answer = session.getresponse()
                answer.read()
                if answer.will_close:
                    session.close()
                mine.append(time.perf_counter() - started)
        finally:
            session.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=user) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else 0.0
    return Load(len(latencies), elapsed, p95 * 1000, "python")


def load(
    base: str, paths: Sequence[str], headers: dict[str, str], connections: int, seconds: int
) -> Load:
    runner = run_wrk if shutil.which("wrk") else run_python_load
    return runner(base, paths, headers, connections, seconds)


@dataclass
class ServerTimes:
    count: int
    failures: int
    p50_ms: float
    p95_ms: float


class AccessLog:
    """gunicorn's access log: method, path, status, request time in microseconds."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def mark(self) -> None:
        time.sleep(0.3)  # the last responses' log lines
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def since_mark(self) -> ServerTimes:
        time.sleep(0.3)
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            lines = handle.read().decode().splitlines()
        micros, failures = [], 0
        for line in lines:
            parts = line.split()
            if len(parts) != 4:
                continue
            if parts[2] != "200":
                failures += 1
            micros.append(int(parts[3]))
        if len(micros) < 2:
            raise RuntimeError("no requests reached the server")
        cuts = statistics.quantiles(micros, n=100)
        return ServerTimes(len(micros), failures, cuts[49] / 1000, cuts[94] / 1000)


def bench_server(coordinator: User, token: str, chart_ids: list[int]) -> None:
    browser = Client()
    browser.force_login(coordinator)
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    api_headers = {"Authorization": f"Token {token}"}
    page_headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"}
    pages = range(1, 21)
    api_paths = [f"/api/v1/patients/?page={page}" for page in pages]
    raw_paths = [f"/bench/raw-patients/?page={page}" for page in pages]
    list_paths = [f"/patients/?page={page}" for page in pages]
    chart_paths = [f"/patients/{pk}/" for pk in chart_ids]

    with tempfile.TemporaryDirectory(prefix="bench-patients-") as folder:
        log = AccessLog(Path(folder) / "access.log")
        with gunicorn(log.path) as base:
            tool = "wrk" if shutil.which("wrk") else "a Python load generator (no wrk)"
            heading(
                f"[3] API throughput: gunicorn, {WORKERS} sync workers, loopback, {tool}, "
                f"{THROUGHPUT_CONNECTIONS} connections, {THROUGHPUT_ROUNDS} x "
                f"{THROUGHPUT_SECONDS}s per side, interleaved"
            )
            for paths, headers in (
                (api_paths, api_headers),
                (raw_paths, api_headers),
                (list_paths, page_headers),
                (chart_paths, page_headers),
            ):
                log.mark()
                load(base, paths, headers, 4, 2)
                warm = log.since_mark()
                if warm.failures:
                    raise RuntimeError(f"{paths[0]}: {warm.failures} of {warm.count} not 200")
            totals: dict[str, list[Load]] = {"api": [], "raw": []}
            failures = 0
            for round_number in range(THROUGHPUT_ROUNDS):
                sides = [("api", api_paths), ("raw", raw_paths)]
                if round_number % 2:
                    sides.reverse()
                for name, paths in sides:
                    log.mark()
                    totals[name].append(
                        load(base, paths, api_headers, THROUGHPUT_CONNECTIONS, THROUGHPUT_SECONDS)
                    )
                    failures += log.since_mark().failures
            rates = {
                name: sum(run.requests for run in runs) / sum(run.seconds for run in runs)
                for name, runs in totals.items()
            }
            report("GET /api/v1/patients/ (selector, DRF, audit)", f"{rates['api']:.1f} req/s")
            report("bare view, same rows from a raw cursor", f"{rates['raw']:.1f} req/s")
            ratio = rates["api"] / rates["raw"]
            report(
                "API / bare view",
                f"{ratio:.2f}x",
                f">= {THROUGHPUT_RATIO_TARGET:g}x",
                ratio >= THROUGHPUT_RATIO_TARGET,
            )
            report("responses other than 200", str(failures), "0", failures == 0)

            heading(
                f"[4] server time under {USERS} concurrent users "
                f"({PAGE_LOAD_SECONDS}s or {MAX_REQUESTS} requests each; gunicorn's time per "
                "request, queueing for a worker excluded)"
            )
            for label, paths in (
                ("patient list page /patients/?page=N", list_paths),
                ("chart /patients/<id>/", chart_paths),
            ):
                log.mark()
                run = load(base, paths, page_headers, USERS, PAGE_LOAD_SECONDS)
                times = log.since_mark()
                report(
                    f"{label}: p95 server time",
                    f"{times.p95_ms:.1f} ms",
                    f"<= {P95_TARGET_MS:g} ms",
                    times.p95_ms <= P95_TARGET_MS and times.failures == 0,
                )
                report(
                    f"  p50 server time; {times.count} requests, {times.failures} not 200",
                    f"{times.p50_ms:.1f} ms",
                )
                report(
                    f"  {run.per_second:.1f} req/s; p95 seen by clients (with queueing)",
                    f"{run.client_p95_ms:.1f} ms",
                )


# --- the run ----------------------------------------------------------------------


def load_average() -> str:
    """Other work on the machine inflates every time here: say how busy it was."""
    try:
        one, five, _fifteen = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min)"


def main() -> None:
    if connection.vendor != "postgresql":
        raise RuntimeError("bench_patients needs PostgreSQL (DATABASE_URL=postgres://...)")
    logging.getLogger("axes").setLevel(logging.WARNING)  # force_login would log each login
    print(f"machine: {os.cpu_count()} cores, {load_average()}", flush=True)
    started = time.perf_counter()
    organisation, seed_seconds = seed()
    coordinator = User.objects.get(username=scale_username(organisation.pk, 1, "rn"))
    _token, token_key = api_token_create(actor=coordinator, user=coordinator, name="bench_patients")
    chart_ids = list(
        Patient.objects.filter(care_team__memberships__user=coordinator)
        .order_by("id")
        .values_list("id", flat=True)[:50]
    )
    table_rows = Patient.objects.count()

    bench_list(coordinator, table_rows)
    bench_queries(coordinator, token_key, chart_ids[0])
    bench_server(coordinator, token_key, chart_ids)

    heading(f"[5] seed time, manage.py seed_scale --patients {PATIENTS}")
    if seed_seconds is None:
        report("seed time", "not measured", f"< {SEED_TARGET_S:g} s")
        print("      (the panel was already in the database; use a fresh one to time it)")
    else:
        report(
            "seed time",
            f"{seed_seconds:.1f} s",
            f"< {SEED_TARGET_S:g} s",
            seed_seconds < SEED_TARGET_S,
        )

    heading(f"summary ({time.perf_counter() - started:.0f}s; {load_average()})")
    for figure in FIGURES:
        print(figure.line())
    missed = [figure.label for figure in FIGURES if not figure.ok]
    print(f"  {len(FIGURES) - len(missed)} of {len(FIGURES)} targets met", flush=True)
