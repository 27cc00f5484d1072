"""Bulk data `$export`: NDJSON files per resource type, written by a Celery job.

A request names what (the organisation's patients the caller may see, or one
team's), which types (`_type`) and since when (`_since`); the job writes one
file per type into `FHIR_EXPORT_DIR/<export id>/`, streaming rows in chunks so
memory stays flat, and re-reads the export's status between chunks so DELETE
stops it. Files expire `FHIR_EXPORT_TTL_HOURS` after the export finishes.
"""

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.audit import audit_record
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditSource
from apps.fhir.callers import FhirCaller
from apps.fhir.jobs import fhir_export_enqueue
from apps.fhir.models import ExportStatus, FhirExport
from apps.fhir.permissions import can_access_type, fhir_visible_patients
from apps.fhir.resources import REGISTRY
from apps.fhir.resources.base import patient_condition
from apps.patients.models import Patient
from apps.teams.models import CareTeam

CHUNK = 2000
# What an export holds: the patient-centred types (people and teams are not in it).
EXPORT_TYPES = (
    "Patient",
    "Condition",
    "Encounter",
    "MedicationStatement",
    "AllergyIntolerance",
    "QuestionnaireResponse",
    "Observation",
    "CarePlan",
    "Goal",
    "Task",
    "ServiceRequest",
    "Consent",
)


def export_folder(export_id: int) -> Path:
    return Path(settings.FHIR_EXPORT_DIR) / str(export_id)


def export_types(caller: FhirCaller, requested: list[str]) -> list[str]:
    """The `_type` list checked against what exports hold and the caller's scopes."""
    unknown = [name for name in requested if name not in EXPORT_TYPES]
    if unknown:
        raise ApplicationError(
            f"_type names types an export does not hold: {', '.join(unknown)}.",
            field_errors={"_type": [f"Choose from {', '.join(EXPORT_TYPES)}."]},
        )
    return requested or [name for name in EXPORT_TYPES if can_access_type(caller, name)]


@transaction.atomic
def fhir_export_start(
    *,
    caller: FhirCaller,
    request_url: str,
    types: list[str],
    since: datetime | None,
    team: CareTeam | None = None,
) -> FhirExport:
    """Records an export request and queues its job after commit."""
    organisation_id = caller.organisation_id
    if organisation_id is None:
        raise ApplicationError("Only members of an organisation may export its data.")
    export = FhirExport.objects.create(
        organisation_id=organisation_id,
        requested_by=caller.user,
        client=caller.client,
        team=team,
        request_url=request_url[:1000],
        types=types,
        since=since,
    )
    fhir_export_enqueue(export.pk)
    return export


def _caller_of(export: FhirExport) -> FhirCaller:
    if export.client is not None:
        scopes = frozenset(f"system/{name}.read" for name in export.types)
        return FhirCaller(client=export.client, scopes=scopes)
    return FhirCaller(user=export.requested_by)


def _cancelled(export_id: int) -> bool:
    return FhirExport.objects.filter(pk=export_id, status=ExportStatus.CANCELLED).exists()


def fhir_export_run(*, export_id: int) -> FhirExport | None:
    """Runs a queued export; a rerun (or a cancelled one) finds it not queued and stops."""
    fhir_export_cleanup()
    with transaction.atomic():
        export = (
            FhirExport.objects.select_for_update(of=("self",))
            .select_related("client__account", "requested_by")
            .filter(pk=export_id, status=ExportStatus.QUEUED)
            .first()
        )
        if export is None:
            return None
        export.status = ExportStatus.RUNNING
        export.save(update_fields=["status", "updated_at"])
    caller = _caller_of(export)
    patients = fhir_visible_patients(caller).filter(organisation_id=export.organisation_id)
    if export.team_id is not None:
        patients = patients.filter(care_team_id=export.team_id)
    patient_ids = list(patients.order_by("pk").values_list("pk", flat=True))
    FhirExport.objects.filter(pk=export.pk).update(total_patients=len(patient_ids))
    folder = export_folder(export.pk)
    folder.mkdir(parents=True, exist_ok=True)
    output = []
    try:
        for name in export.types:
            count = _write_type(export, caller, name, patient_ids, folder / f"{name}.ndjson")
            if count is None:
                return None
            if count:
                output.append({"type": name, "file": f"{name}.ndjson", "count": count})
    except Exception as error:
        FhirExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.FAILED, error=type(error).__name__, finished_at=timezone.now()
        )
        shutil.rmtree(folder, ignore_errors=True)
        raise
    now = timezone.now()
    with transaction.atomic():
        updated = FhirExport.objects.filter(pk=export.pk, status=ExportStatus.RUNNING).update(
            status=ExportStatus.DONE,
            output=output,
            processed_patients=len(patient_ids),
            finished_at=now,
            expires_at=now + timedelta(hours=settings.FHIR_EXPORT_TTL_HOURS),
            updated_at=now,
        )
        if updated:
            audit_record(
                actor=caller.actor,
                action=AuditAction.EXPORT,
                object_type=Patient,
                patient_ids=patient_ids,
                source=AuditSource.FHIR,
                detail={**caller.detail, "export_id": export.pk, "types": export.types},
            )
    export.refresh_from_db()
    return export


def _write_type(
    export: FhirExport, caller: FhirCaller, name: str, patient_ids: list[int], path: Path
) -> int | None:
    """Writes one type's NDJSON; None when the export was cancelled meanwhile."""
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for source in REGISTRY[name].sources:
            for start in range(0, len(patient_ids), CHUNK):
                if _cancelled(export.pk):
                    return None
                chunk = patient_ids[start : start + CHUNK]
                rows = source.rows(caller).filter(patient_condition(source, chunk))
                if export.since is not None:
                    rows = rows.filter(**{f"{source.updated_field}__gt": export.since})
                for row in rows.order_by("pk").iterator(chunk_size=CHUNK):
                    handle.write(json.dumps(source.render(row), separators=(",", ":")))
                    handle.write("\n")
                    count += 1
                if name == "Patient":
                    FhirExport.objects.filter(pk=export.pk).update(
                        processed_patients=min(len(patient_ids), start + CHUNK)
                    )
    if not count:
        path.unlink(missing_ok=True)
    return count


def fhir_export_cancel(*, export: FhirExport) -> None:
    """DELETE on the status URL: stops a running job and removes what it wrote."""
    FhirExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.CANCELLED, output=[], finished_at=timezone.now()
    )
    shutil.rmtree(export_folder(export.pk), ignore_errors=True)


def fhir_export_cleanup(now: datetime | None = None) -> int:
    """Deletes the files of exports past their expiry; their status answers 404 after."""
    now = now or timezone.now()
    expired = list(
        FhirExport.objects.filter(expires_at__lte=now)
        .exclude(output=[])
        .values_list("pk", flat=True)
    )
    for export_id in expired:
        shutil.rmtree(export_folder(export_id), ignore_errors=True)
    FhirExport.objects.filter(pk__in=expired).update(output=[])
    return len(expired)
