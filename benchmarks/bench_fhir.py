"""FHIR R4 in and out at scale: `make bench BENCH=fhir` (needs PostgreSQL).

Sizes come from the environment; the defaults are the issue's targets (a long
wait: the import alone is about half a million resources):

  BENCH_FHIR_IMPORT_PATIENTS   patients of the larger import (default 10,000);
                               the smaller one is a quarter of it
  BENCH_FHIR_PER_PATIENT       resources a patient's record holds (default 50, so
                               10,000 patients are >= 500,000 resources)
  BENCH_FHIR_EXPORT_PATIENTS   patients of the panel searched and exported
                               (default 100,000; `manage.py seed_scale`)

A few minutes' run: BENCH_FHIR_IMPORT_PATIENTS=400 BENCH_FHIR_EXPORT_PATIENTS=5000.

Figures, each with its target, measured side by side in this one run:
  1. import of a Synthea-shaped bulk export (tests/fhir/generate.py, one NDJSON
     file per type) of N/4 and then N patients, each into its own organisation:
     resources/s and the process's peak RSS after each. Memory is flat when the
     peak after N is at most a little above the peak after N/4 (the reader holds
     one line, the importer one batch); the projected time for the issue's size
     follows from the larger run's rate;
  2. GET /fhir/R4/Patient?_count=50 vs GET /api/v1/patients/ for the same RN
     coordinator (API token, Django test client): medians of interleaved runs and
     their ratio (target <= 2x);
  3. Patient/{id}/$everything for a patient with 500 resources (target < 300 ms);
  4. bulk export of the panel (a system client with system/*.read): resources/s,
     peak RSS and its growth during the export, and the projected time for the
     issue's 100,000 patients.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from apps.accounts.models import Organisation, User
from apps.accounts.tokens import api_token_create
from apps.core.actors import JobActor
from apps.core.context import RequestContext, request_context
from apps.core.models import AuditSource
from apps.demo.seeders.scale import (
    _full_rows,
    insert_rows,
    scale_organisation_name,
    scale_username,
)
from apps.fhir.export import fhir_export_run
from apps.fhir.importing.service import IMPORT_JOB, import_path
from apps.fhir.models import ExportStatus, FhirClient, FhirExport
from apps.fhir.systems import ICD10CM
from apps.patients.models import Condition, Encounter, Patient
from apps.teams.models import CareTeam
from tests.fhir import generate

IMPORT_TARGET_PATIENTS = 10_000
IMPORT_TARGET_RESOURCES = 500_000
EXPORT_TARGET_PATIENTS = 100_000
IMPORT_PATIENTS = int(os.environ.get("BENCH_FHIR_IMPORT_PATIENTS", str(IMPORT_TARGET_PATIENTS)))
PER_PATIENT = int(os.environ.get("BENCH_FHIR_PER_PATIENT", "50"))
EXPORT_PATIENTS = int(os.environ.get("BENCH_FHIR_EXPORT_PATIENTS", str(EXPORT_TARGET_PATIENTS)))
# Peak RSS after the larger import may exceed the peak after the smaller by at most this.
FLAT_MEMORY_SLACK = 1.25
TEAM_SIZE = 1_000
RUNS = 31
RATIO_TARGET = 2.0
EVERYTHING_TARGET_MS = 300.0
EVERYTHING_RESOURCES = 500
# COPY skips Django's defaults: every NOT NULL column is given.
ENCOUNTER_FIELDS = [
    "patient",
    "source_system",
    "kind",
    "admit_date",
    "attending_provider",
    "facility",
    "created_at",
    "updated_at",
]
CONDITION_FIELDS = [
    "patient",
    "source_system",
    "code_system",
    "code",
    "title",
    "status",
    "created_at",
    "updated_at",
]


def report(label: str, value: str, target: str = "", ok: bool | None = None) -> None:
    status = "" if ok is None else ("OK" if ok else "MISS")
    print(f"  {label:<58} {value:>16}   {target:<16} {status}".rstrip(), flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def duration(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{seconds:.1f} s"


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


# --- 1. import -------------------------------------------------------------------------------


def _mrns(size: int) -> Iterator[str]:
    return (f"F{number:07d}" for number in range(1, size + 1))


def _import_organisation(size: int) -> tuple[Organisation, User]:
    """An organisation with `size` patients, written by COPY from a generator: the setup
    holds no list of them, so the peak RSS is the import's."""
    stamp = timezone.now().strftime("%H%M%S%f")
    organisation = Organisation.objects.create(name=f"Benchmark: FHIR import {size} {stamp}")
    team = CareTeam.objects.create(organisation=organisation, name="Bench team")
    admin = User.objects.create(
        username=f"bench-fhir-{size}-{stamp}",
        organisation=organisation,
        is_staff=True,
        is_superuser=True,
    )
    fields = ["organisation", "care_team", "mrn", "given_name", "family_name", "date_of_birth"]
    born = date(1950, 1, 1)
    rows = ((organisation.pk, team.pk, mrn, "Given", "Family", born) for mrn in _mrns(size))
    insert_rows(Patient, *_full_rows(Patient, fields, rows))
    return organisation, admin


def rss_mb() -> float:
    """The process's resident memory now (Linux; 0 elsewhere)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0.0
    line = next((item for item in status.splitlines() if item.startswith("VmRSS:")), "")
    return int(line.split()[1]) / 1024 if line else 0.0


def import_once(size: int, folder: Path) -> dict[str, float]:
    """Imports `size` generated patients' records; returns its figures."""
    organisation, admin = _import_organisation(size)
    written = generate.write_ndjson(folder, _mrns(size), organisation.pk, per_patient=PER_PATIENT)
    total = sum(written.values())
    actor = JobActor(job=IMPORT_JOB, for_user=admin, organisation_id=organisation.pk)
    before = rss_mb()
    started = time.perf_counter()
    with request_context(RequestContext(source=AuditSource.IMPORT)):
        result = import_path(
            actor=actor, organisation_id=organisation.pk, source="bench", path=str(folder)
        )
    seconds = time.perf_counter() - started
    shutil.rmtree(folder, ignore_errors=True)
    if result.invalid:
        raise SystemExit(
            f"import reported {result.invalid} invalid resources: {result.problems[:3]}"
        )
    return {
        "patients": size,
        "resources": total,
        "seconds": seconds,
        "per_second": total / seconds,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": before,
        "rss_after_mb": rss_mb(),
    }


def bench_import(scratch: Path) -> None:
    small, large = max(1, IMPORT_PATIENTS // 4), IMPORT_PATIENTS
    print(
        f"1. import of a bulk export: {small} then {large} patients, {PER_PATIENT} resources each",
        flush=True,
    )
    rows = []
    for size in (small, large):
        reset_queries()
        rows.append(import_once(size, scratch / f"export-{size}"))
    for row in rows:
        report(
            f"{row['patients']:.0f} patients, {row['resources']:.0f} resources",
            f"{row['per_second']:,.0f} res/s",
            f"{duration(row['seconds'])}, peak RSS {row['peak_rss_mb']:.0f} MB",
        )
        report(
            "  RSS before / after the import",
            f"{row['rss_before_mb']:.0f} / {row['rss_after_mb']:.0f} MB",
        )
    ratio = rows[1]["peak_rss_mb"] / rows[0]["peak_rss_mb"]
    report(
        "peak RSS after the larger / after the smaller",
        f"{ratio:.2f}",
        f"<= {FLAT_MEMORY_SLACK} (flat)",
        ratio <= FLAT_MEMORY_SLACK,
    )
    speed = rows[1]["per_second"] / rows[0]["per_second"]
    report("resources/s larger / smaller", f"{speed:.2f}", ">= 0.8 (holds)", speed >= 0.8)
    full = max(IMPORT_TARGET_RESOURCES, IMPORT_TARGET_PATIENTS * PER_PATIENT)
    report(
        f"projected import of {IMPORT_TARGET_PATIENTS:,} patients ({full:,} resources)",
        duration(full / rows[1]["per_second"]),
    )


# --- 2-4. out: search, $everything, bulk export -----------------------------------------------


def seed_panel() -> Organisation:
    name = scale_organisation_name(EXPORT_PATIENTS)
    organisation = Organisation.objects.filter(name=name).first()
    if organisation is None:
        print(f"seeding {EXPORT_PATIENTS} patients (manage.py seed_scale)", flush=True)
        with override_settings(DEBUG=False):
            call_command(
                "seed_scale", patients=EXPORT_PATIENTS, team_size=TEAM_SIZE, stdout=sys.stdout
            )
        organisation = Organisation.objects.get(name=name)
    ids = list(
        Patient.objects.filter(organisation=organisation)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    now = timezone.now()
    if not Condition.objects.filter(patient_id=ids[0]).exists():
        print("adding a condition and an encounter per patient (COPY)", flush=True)
        insert_rows(
            Condition,
            CONDITION_FIELDS,
            ((pk, "", ICD10CM, "E11.9", "Type 2 diabetes", "active", now, now) for pk in ids),
        )
        insert_rows(
            Encounter,
            ENCOUNTER_FIELDS,
            ((pk, "", "outpatient", date(2026, 1, 5), "", "", now, now) for pk in ids),
        )
    rich = ids[0]
    have = (
        Encounter.objects.filter(patient_id=rich).count()
        + Condition.objects.filter(patient_id=rich).count()
    )
    if have < EVERYTHING_RESOURCES:
        insert_rows(
            Encounter,
            ENCOUNTER_FIELDS,
            (
                (rich, "", "ed", date(2025, 1, 1 + n % 28), "", "", now, now)
                for n in range(EVERYTHING_RESOURCES - have)
            ),
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return organisation


def coordinator_client(organisation: Organisation) -> Client:
    user = User.objects.get(username=scale_username(organisation.pk, 1, "rn"))
    _, secret = api_token_create(actor=user, user=user, name="bench fhir")
    return Client(headers={"Authorization": f"Token {secret}"})


def timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{response.status_code}: {response.content[:200]!r}")
    return elapsed


def search_vs_api(http: Client) -> None:
    print("2. Patient search page of 50 vs the internal API list", flush=True)

    def fhir() -> Any:
        return http.get("/fhir/R4/Patient", {"_count": 50})

    def api() -> Any:
        return http.get("/api/v1/patients/")

    fhir_times, api_times = [], []
    for _ in range(3):
        timed(fhir), timed(api)
    for _ in range(RUNS):
        fhir_times.append(timed(fhir))
        api_times.append(timed(api))
        reset_queries()
    fhir_median, api_median = statistics.median(fhir_times), statistics.median(api_times)
    ratio = fhir_median / api_median
    report("FHIR Patient?_count=50 (median)", ms(fhir_median))
    report("internal /api/v1/patients/ (median)", ms(api_median))
    report("ratio FHIR / internal", f"{ratio:.2f}x", f"<= {RATIO_TARGET}x", ratio <= RATIO_TARGET)


def everything(http: Client, organisation: Organisation) -> None:
    print(f"3. $everything for a patient with {EVERYTHING_RESOURCES}+ resources", flush=True)
    rich = Patient.objects.filter(organisation=organisation).order_by("pk").first()
    assert rich is not None
    url = f"/fhir/R4/Patient/{rich.pk}/$everything"
    count = len(http.get(url).json()["entry"])
    times = [timed(lambda: http.get(url)) for _ in range(11)]
    median = statistics.median(times)
    report("resources in the Bundle", str(count))
    report(
        "$everything (median)",
        ms(median),
        f"< {EVERYTHING_TARGET_MS:.0f} ms",
        median * 1000 < EVERYTHING_TARGET_MS,
    )


def bulk_export(organisation: Organisation) -> None:
    print(f"4. bulk $export of {EXPORT_PATIENTS} patients", flush=True)
    client, _ = FhirClient.objects.get_or_create(
        client_id=f"bench-{organisation.pk}",
        defaults={
            "organisation": organisation,
            "name": "Bench export client",
            "jwks": {"keys": []},
            "scopes": "system/*.read",
        },
    )
    export = FhirExport.objects.create(
        organisation=organisation,
        client=client,
        request_url="bench",
        types=["Patient", "Condition", "Encounter"],
    )
    before = peak_rss_mb()
    started = time.perf_counter()
    done = fhir_export_run(export_id=export.pk)
    elapsed = time.perf_counter() - started
    peak = peak_rss_mb()
    if done is None or done.status != ExportStatus.DONE:
        raise RuntimeError("the export did not finish")
    written = sum(item["count"] for item in done.output)
    rate = written / elapsed
    report("resources written", f"{written:,}")
    report("export time", duration(elapsed))
    report("resources per second", f"{rate:,.0f}")
    report("peak RSS (process, after the export)", f"{peak:.0f} MB")
    report("RSS growth during the export", f"{peak - before:.0f} MB")
    full = written / EXPORT_PATIENTS * EXPORT_TARGET_PATIENTS
    report(f"projected export of {EXPORT_TARGET_PATIENTS:,} patients", duration(full / rate))


def main() -> None:
    if connection.vendor != "postgresql":
        raise RuntimeError("bench_fhir needs PostgreSQL")
    scratch = Path(tempfile.mkdtemp(prefix="bench-fhir-"))
    try:
        with override_settings(
            DEBUG=False,
            ALLOWED_HOSTS=["testserver", *settings.ALLOWED_HOSTS],
            FHIR_EXPORT_DIR=scratch / "export",
        ):
            bench_import(scratch)
            organisation = seed_panel()
            http = coordinator_client(organisation)
            search_vs_api(http)
            everything(http, organisation)
            bulk_export(organisation)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
