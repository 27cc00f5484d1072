"""FHIR R4: importing a population's records streaming (more parts join this file later).

Import: a Synthea-shaped bulk export (tests/fhir/generate.py: 14 resources a
patient, one NDJSON file per type) of N patients, then of 4N patients, each
into its own organisation, in one run. Printed per size: resources, seconds,
resources/s and the process's peak RSS after it (resource.getrusage). Memory is
flat when the peak after 4N is no more than a little above the peak after N
(the reader holds one line, the importer one resource).

BENCH_FHIR_PATIENTS sets N (default 250; the issue's target is 10,000 patients,
>= 500,000 resources with BENCH_FHIR_PATIENTS=10000 and a long wait).
"""

import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from django.utils import timezone

from apps.accounts.models import Organisation, User
from apps.core.actors import JobActor
from apps.core.context import RequestContext, request_context
from apps.core.models import AuditSource
from apps.fhir.importing.service import IMPORT_JOB, import_path
from apps.patients.models import Patient
from apps.teams.models import CareTeam
from tests.fhir import generate

PATIENTS = int(os.environ.get("BENCH_FHIR_PATIENTS", "250"))
# Peak RSS after 4N may exceed the peak after N by at most this much.
FLAT_MEMORY_SLACK = 1.25


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _organisation(size: int) -> tuple[Organisation, User, list[str]]:
    stamp = timezone.now().strftime("%H%M%S%f")
    organisation = Organisation.objects.create(name=f"Benchmark: FHIR import {size} {stamp}")
    team = CareTeam.objects.create(organisation=organisation, name="Bench team")
    admin = User.objects.create(
        username=f"bench-fhir-{size}-{stamp}",
        organisation=organisation,
        is_staff=True,
        is_superuser=True,
    )
    mrns = [f"F{number:07d}" for number in range(1, size + 1)]
    now = timezone.now()
    Patient.objects.bulk_create(
        [
            Patient(
                organisation=organisation,
                care_team=team,
                mrn=mrn,
                given_name="Given",
                family_name="Family",
                date_of_birth=date(1950, 1, 1),
                created_at=now,
                updated_at=now,
            )
            for mrn in mrns
        ],
        batch_size=2000,
    )
    return organisation, admin, mrns


def bench_import(size: int, folder: Path) -> dict[str, float]:
    """Imports `size` generated patients' records; returns its figures."""
    organisation, admin, mrns = _organisation(size)
    written = generate.write_ndjson(folder, mrns, organisation.pk)
    total = sum(written.values())
    actor = JobActor(job=IMPORT_JOB, for_user=admin, organisation_id=organisation.pk)
    started = time.perf_counter()
    with request_context(RequestContext(source=AuditSource.IMPORT)):
        report = import_path(
            actor=actor, organisation_id=organisation.pk, source="bench", path=str(folder)
        )
    seconds = time.perf_counter() - started
    if report.invalid:
        raise SystemExit(
            f"import reported {report.invalid} invalid resources: {report.problems[:3]}"
        )
    return {
        "patients": size,
        "resources": total,
        "seconds": seconds,
        "per_second": total / seconds,
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    from django.db import reset_queries

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for size in (PATIENTS, 4 * PATIENTS):
            reset_queries()
            rows.append(bench_import(size, Path(scratch) / f"export-{size}"))
    for row in rows:
        print(
            f"import {row['patients']:>6} patients: {row['resources']:>8} resources in "
            f"{row['seconds']:.1f}s = {row['per_second']:.0f} resources/s; "
            f"peak RSS {row['peak_rss_mb']:.0f} MB"
        )
    ratio = rows[1]["peak_rss_mb"] / rows[0]["peak_rss_mb"]
    verdict = "flat" if ratio <= FLAT_MEMORY_SLACK else "NOT flat"
    print(f"peak RSS at 4N / at N: {ratio:.2f} (target <= {FLAT_MEMORY_SLACK}: memory {verdict})")
    speed = rows[1]["per_second"] / rows[0]["per_second"]
    print(f"resources/s at 4N / at N: {speed:.2f} (target >= 0.8: throughput holds)")
