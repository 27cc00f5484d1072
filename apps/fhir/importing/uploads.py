"""Uploaded FHIR files imported by a worker: submitted, claimed once, reported.

The upload is written to FHIR_IMPORT_DIR in chunks (never held whole), the job
row is created, and the worker is queued after commit with the job's id only.
The worker claims the job (a rerun finds it no longer queued), imports as a job
acting for the uploader, writes progress as it goes, stores the report (counts
and problems with positions, no patient data beyond resource ids) and deletes
the file.
"""

import uuid
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.core.actors import JobActor
from apps.core.audit import audit_record
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.fhir import jobs
from apps.fhir.importing import reader
from apps.fhir.importing.service import IMPORT_JOB, ImportReport, import_path
from apps.fhir.models import FhirImportJob, FhirImportStatus
from apps.patients import permissions as patient_permissions

SUFFIXES = {".json", ".ndjson", ".jsonl"}


def _stored_path(file_name: str) -> Path:
    folder = Path(settings.FHIR_IMPORT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{uuid.uuid4().hex}{Path(file_name).suffix.lower()}"


@transaction.atomic
def fhir_import_submit(
    *,
    actor: User,
    organisation_id: int,
    source: str,
    file_name: str,
    chunks: Iterable[bytes],
    dry_run: bool = False,
) -> FhirImportJob:
    """Stores an uploaded Bundle or NDJSON file and queues its import."""
    patient_permissions.require_can_import_records(actor, organisation_id)
    errors: dict[str, list[str]] = {}
    if Path(file_name).suffix.lower() not in SUFFIXES:
        errors["file"] = ["Upload a .json Bundle or an .ndjson file."]
    if not source.strip():
        errors["source"] = ["Name the system the records come from."]
    if errors:
        raise ApplicationError("Please correct the upload.", field_errors=errors)
    path = _stored_path(file_name)
    size = 0
    with path.open("wb") as out:
        for chunk in chunks:
            size += len(chunk)
            out.write(chunk)
    if size == 0:
        path.unlink(missing_ok=True)
        raise ApplicationError("The file is empty.", field_errors={"file": ["Empty file."]})
    job = FhirImportJob.objects.create(
        organisation_id=organisation_id,
        created_by=actor,
        source=source.strip()[:120],
        file_name=Path(file_name).name[:200],
        stored_path=str(path),
        dry_run=dry_run,
        total_bytes=size,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=FhirImportJob,
        object_id=job.pk,
        detail={"dry_run": dry_run, "bytes": size},
    )
    jobs.fhir_import_enqueue(job.pk)
    return job


def fhir_import_run(*, job_id: int) -> FhirImportJob | None:
    """Runs a queued import; None when another worker has it or it already ran."""
    with transaction.atomic():
        job = (
            FhirImportJob.objects.select_for_update(skip_locked=True)
            .select_related("created_by")
            .filter(pk=job_id, status=FhirImportStatus.QUEUED)
            .first()
        )
        if job is None:
            return None
        job.status, job.started_at = FhirImportStatus.RUNNING, timezone.now()
        job.save(update_fields=["status", "started_at", "updated_at"])
    actor = JobActor(job=IMPORT_JOB, for_user=job.created_by, organisation_id=job.organisation_id)

    def progress(report: ImportReport, read: reader.Progress) -> None:
        if not report.dry_run:
            FhirImportJob.objects.filter(pk=job.pk).update(
                processed_bytes=read.done, processed_resources=report.resources
            )

    try:
        report = import_path(
            actor=actor,
            organisation_id=job.organisation_id,
            source=job.source,
            path=job.stored_path,
            dry_run=job.dry_run,
            on_progress=progress,
        )
    except Exception:
        FhirImportJob.objects.filter(pk=job.pk).update(
            status=FhirImportStatus.FAILED, finished_at=timezone.now()
        )
        raise
    finally:
        Path(job.stored_path).unlink(missing_ok=True)
    job.status = FhirImportStatus.SUCCEEDED
    job.counts = report.counts
    job.errors = report.problems
    job.processed_resources = report.resources
    job.processed_bytes = job.total_bytes
    job.finished_at = timezone.now()
    job.stored_path = ""
    job.save(
        update_fields=[
            "status",
            "counts",
            "errors",
            "processed_resources",
            "processed_bytes",
            "finished_at",
            "stored_path",
            "updated_at",
        ]
    )
    return job
