"""FHIR R4 out: the Patient search page, $everything, and bulk $export at scale.

Needs PostgreSQL. `make bench BENCH=fhir_api` runs it on a throwaway server
(the lead folds it into bench_fhir beside the import figures).

Data: `manage.py seed_scale --patients N` (BENCH_FHIR_PATIENTS, default
100,000), then one condition and one encounter per patient by COPY, and one
patient given 500 resources. Figures, each printed with its target, measured
side by side in this run:
  1. GET /fhir/R4/Patient?_count=50 vs GET /api/v1/patients/ (the internal API
     list) for the same RN coordinator (token auth, Django test client), medians
     of interleaved runs and their ratio (target <= 2x);
  2. Patient/{id}/$everything for the patient with 500 resources (target < 300 ms);
  3. bulk export of every patient (a system client with system/*.read):
     resources per second and peak RSS of the process during the export.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from tempfile import mkdtemp

from django.conf import settings
from django.core.management import call_command
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token

from apps.accounts.models import Organisation, User
from apps.demo.seeders.scale import insert_rows, scale_organisation_name, scale_username
from apps.fhir.export import fhir_export_run
from apps.fhir.models import ExportStatus, FhirClient, FhirExport
from apps.patients.models import Condition, Encounter, Patient

PATIENTS = int(os.environ.get("BENCH_FHIR_PATIENTS", "100000"))
TEAM_SIZE = 1_000
RUNS = 31
RATIO_TARGET = 2.0
EVERYTHING_TARGET_MS = 300.0
EVERYTHING_RESOURCES = 500
ENCOUNTER_FIELDS = [
    "patient",
    "kind",
    "admit_date",
    "attending_provider",
    "facility",
    "created_at",
    "updated_at",
]


def report(label: str, value: str, target: str = "", ok: bool | None = None) -> None:
    status = "" if ok is None else ("OK" if ok else "MISS")
    print(f"  {label:<58} {value:>16}   {target:<16} {status}".rstrip(), flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def seed() -> Organisation:
    name = scale_organisation_name(PATIENTS)
    organisation = Organisation.objects.filter(name=name).first()
    if organisation is None:
        print(f"seeding {PATIENTS} patients (manage.py seed_scale)", flush=True)
        with override_settings(DEBUG=False):
            call_command("seed_scale", patients=PATIENTS, team_size=TEAM_SIZE, stdout=sys.stdout)
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
            ["patient", "code", "title", "status", "created_at", "updated_at"],
            ((pk, "E11.9", "Type 2 diabetes", "active", now, now) for pk in ids),
        )
        insert_rows(
            Encounter,
            ENCOUNTER_FIELDS,
            ((pk, "outpatient", date(2026, 1, 5), "", "", now, now) for pk in ids),
        )
    rich = ids[0]
    now = timezone.now()
    have = (
        Encounter.objects.filter(patient_id=rich).count()
        + Condition.objects.filter(patient_id=rich).count()
    )
    if have < EVERYTHING_RESOURCES:
        insert_rows(
            Encounter,
            ENCOUNTER_FIELDS,
            (
                (rich, "ed", date(2025, 1, 1 + n % 28), "", "", now, now)
                for n in range(EVERYTHING_RESOURCES - have)
            ),
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return organisation


def timed(call) -> float:
    started = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{response.status_code}: {response.content[:200]!r}")
    return elapsed


def search_vs_api(organisation: Organisation) -> None:
    print("1. Patient search page of 50 vs the internal API list", flush=True)
    user = User.objects.get(username=scale_username(organisation.pk, 1, "rn"))
    token, _ = Token.objects.get_or_create(user=user)
    http = Client(headers={"Authorization": f"Token {token.key}"})
    fhir = lambda: http.get("/fhir/R4/Patient", {"_count": 50})  # noqa: E731
    api = lambda: http.get("/api/v1/patients/")  # noqa: E731
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


def everything(organisation: Organisation) -> None:
    print(f"2. $everything for a patient with {EVERYTHING_RESOURCES}+ resources", flush=True)
    user = User.objects.get(username=scale_username(organisation.pk, 1, "rn"))
    token, _ = Token.objects.get_or_create(user=user)
    http = Client(headers={"Authorization": f"Token {token.key}"})
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
    print(f"3. bulk $export of {PATIENTS} patients", flush=True)
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
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    done = fhir_export_run(export_id=export.pk)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if done is None or done.status != ExportStatus.DONE:
        raise RuntimeError("the export did not finish")
    written = sum(item["count"] for item in done.output)
    report("resources written", str(written))
    report("export time", f"{elapsed:.1f} s")
    report("resources per second", f"{written / elapsed:,.0f}")
    report("peak RSS (process, during export)", f"{peak / 1024:.0f} MB")
    report("RSS growth during export", f"{(peak - before) / 1024:.0f} MB")


def main() -> None:
    if connection.vendor != "postgresql":
        raise RuntimeError("bench_fhir_api needs PostgreSQL")
    folder = Path(mkdtemp(prefix="bench-fhir-"))
    try:
        with override_settings(
            DEBUG=False,
            ALLOWED_HOSTS=["testserver", *settings.ALLOWED_HOSTS],
            FHIR_EXPORT_DIR=folder,
        ):
            organisation = seed()
            search_vs_api(organisation)
            everything(organisation)
            bulk_export(organisation)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
