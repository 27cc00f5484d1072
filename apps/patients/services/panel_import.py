"""Importing a panel from CSV: patients, their conditions and encounters, all or nothing.

One file, one row per record, with a header. The `record` column says what a
row is; the other columns used depend on it:

    record     columns
    patient    mrn, care_team (team name), given_name, family_name, date_of_birth, sex
    condition  mrn, code, onset_date
    encounter  mrn, kind, admit_date, discharge_date, attending_provider, facility, cost

Dates are YYYY-MM-DD. A condition or encounter names its patient by MRN: a
patient of the organisation or one created earlier in the same file.

Every row is validated first, with the same rules as the services, and every
bad row is reported by its line number (the header is line 1). If any row is
bad, or the job is a dry run, nothing is written. Otherwise everything is
written in one transaction and the organisation's complexity is recomputed
set-wise in it. Progress is written to the job row from a second database
connection (PostgreSQL), so a page polling the job sees it move while the
import transaction is still open.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import connection, connections, transaction
from django.utils import timezone

from apps.accounts.models import Actor, Organisation
from apps.core.actors import person_behind
from apps.core.audit import audit_event, audit_record, audit_record_many
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditSource
from apps.patients import permissions
from apps.patients.complexity import complexity_recompute
from apps.patients.jobs import panel_import_enqueue
from apps.patients.models import (
    Condition,
    ConditionStatus,
    Encounter,
    ImportStatus,
    PanelImportJob,
    Patient,
    Sex,
)
from apps.patients.services import patient_create
from apps.patients.services.clinical import ENCOUNTER_FIELDS, condition_build, encounter_build
from apps.teams.models import CareTeam

MAX_BYTES = 20 * 1024 * 1024
PROGRESS_EVERY = 500
COLUMNS = (
    "record",
    "mrn",
    "care_team",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "code",
    "onset_date",
    *ENCOUNTER_FIELDS,
)
RECORDS = ("patient", "condition", "encounter")


@transaction.atomic
def panel_import_submit(
    *,
    actor: Actor,
    organisation: Organisation,
    file_name: str,
    content: bytes | str,
    dry_run: bool,
    enqueue: bool = True,
) -> PanelImportJob:
    """Stores the upload as a job and queues it after commit (the job's id is all it passes)."""
    permissions.require_can_import_panels(actor, organisation.pk)
    if isinstance(content, bytes):
        if len(content) > MAX_BYTES:
            raise ApplicationError(
                "The file is too large.", field_errors={"file": ["At most 20 MB."]}
            )
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ApplicationError(
                "The file is not UTF-8 text.", field_errors={"file": ["Save it as UTF-8 CSV."]}
            ) from error
    header = next(csv.reader(io.StringIO(content)), [])
    missing = [name for name in ("record", "mrn") if name not in [h.strip() for h in header]]
    if missing:
        raise ApplicationError(
            "The file has no usable header.",
            field_errors={"file": [f"The header needs the columns: {', '.join(COLUMNS)}."]},
        )
    job = PanelImportJob.objects.create(
        organisation=organisation,
        created_by=person_behind(actor),
        file_name=file_name[:200],
        content=content,
        dry_run=dry_run,
        total_rows=max(0, content.count("\n") - 1 + (0 if content.endswith("\n") else 1)),
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=PanelImportJob,
        object_id=job.pk,
        detail={"dry_run": dry_run},
    )
    if enqueue:
        panel_import_enqueue(job.pk)
    return job


# --- validation --------------------------------------------------------------------------


@dataclass
class Plan:
    patients: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    conditions: list[tuple[int, str, Condition]] = field(default_factory=list)
    encounters: list[tuple[int, str, Encounter]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0


def _date(value: str, name: str, errors: dict[str, list[str]]) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()  # noqa: DTZ007 - a calendar date
    except ValueError:
        errors[name] = [f"“{value}” is not a date (YYYY-MM-DD)."]
        return None


def _plan(
    job: PanelImportJob, content: str, progress: Callable[[int, str], None]
) -> tuple[Plan, dict[str, Patient]]:
    organisation_id = job.organisation_id
    teams = {
        team.name.strip().lower(): team
        for team in CareTeam.objects.filter(organisation_id=organisation_id)
    }
    existing = {
        patient.mrn: patient
        for patient in Patient.objects.filter(organisation_id=organisation_id).only(
            "id", "mrn", "organisation_id", "care_team_id"
        )
    }
    active_codes = set(
        Condition.objects.filter(
            patient__organisation_id=organisation_id, status=ConditionStatus.ACTIVE
        ).values_list("patient__mrn", "code")
    )
    plan = Plan()
    new_patients: dict[str, Patient] = {}
    today = timezone.localdate()
    reader = csv.DictReader(io.StringIO(content))
    reader.fieldnames = [name.strip() for name in reader.fieldnames or []]
    for row in reader:
        plan.rows += 1
        line = reader.line_num
        values = {key: (value or "").strip() for key, value in row.items() if key}
        errors: dict[str, list[str]] = {}
        record = values.get("record", "").lower()
        mrn = values.get("mrn", "")
        if record not in RECORDS:
            errors["record"] = [f"Use one of: {', '.join(RECORDS)}."]
        if not mrn:
            errors["mrn"] = ["Give the patient's MRN."]
        elif len(mrn) > 32:
            errors["mrn"] = ["At most 32 characters."]
        if record == "patient" and not errors:
            details = _patient_row(values, teams, errors, today)
            if mrn in existing or mrn in new_patients:
                errors["mrn"] = [f"A patient with MRN {mrn} already exists."]
            if not errors:
                new_patients[mrn] = Patient(mrn=mrn, organisation_id=organisation_id)
                plan.patients.append((line, {"mrn": mrn, **details}))
        elif record in ("condition", "encounter") and not errors:
            patient = existing.get(mrn) or new_patients.get(mrn)
            if patient is None:
                errors["mrn"] = [f"No patient with MRN {mrn} in the organisation or above."]
            elif record == "condition":
                onset = _date(values.get("onset_date", ""), "onset_date", errors)
                try:
                    condition = condition_build(
                        patient=patient, code=values.get("code", ""), onset_date=onset
                    )
                except ApplicationError as error:
                    errors.update(error.field_errors)
                else:
                    if not errors and (mrn, condition.code) in active_codes:
                        errors["code"] = [f"{condition.code} is already active for {mrn}."]
                    if not errors:
                        active_codes.add((mrn, condition.code))
                        plan.conditions.append((line, mrn, condition))
            else:
                admitted = _date(values.get("admit_date", ""), "admit_date", errors)
                discharged = _date(values.get("discharge_date", ""), "discharge_date", errors)
                try:
                    encounter = encounter_build(
                        patient=patient,
                        kind=values.get("kind", "").lower(),
                        admit_date=admitted,
                        discharge_date=discharged,
                        attending_provider=values.get("attending_provider", ""),
                        facility=values.get("facility", ""),
                        cost=values.get("cost") or None,
                    )
                except ApplicationError as error:
                    for name, messages in error.field_errors.items():
                        errors.setdefault(name, messages)
                else:
                    if not errors:
                        plan.encounters.append((line, mrn, encounter))
        if errors:
            plan.errors.append({"line": line, "record": record or "?", "errors": errors})
        if plan.rows % PROGRESS_EVERY == 0:
            progress(plan.rows, "validating")
    return plan, existing


def _patient_row(
    values: dict[str, str],
    teams: dict[str, CareTeam],
    errors: dict[str, list[str]],
    today: date,
) -> dict[str, Any]:
    details: dict[str, Any] = {}
    team = teams.get(values.get("care_team", "").lower())
    if team is None:
        errors["care_team"] = [f"No care team named “{values.get('care_team', '')}”."]
    details["care_team"] = team
    for name in ("given_name", "family_name"):
        text = values.get(name, "")
        if not text:
            errors[name] = ["This field is required."]
        elif len(text) > 100:
            errors[name] = ["At most 100 characters."]
        details[name] = text
    born = _date(values.get("date_of_birth", ""), "date_of_birth", errors)
    if born is None and "date_of_birth" not in errors:
        errors["date_of_birth"] = ["This field is required."]
    elif born and born > today:
        errors["date_of_birth"] = ["Date of birth is in the future."]
    details["date_of_birth"] = born
    sex = values.get("sex", "").lower() or Sex.UNKNOWN
    if sex not in Sex.values:
        errors["sex"] = [f"Use one of: {', '.join(Sex.values)}."]
    details["sex"] = sex
    return details


# --- running -----------------------------------------------------------------------------


class _Progress:
    """Writes progress to the job row on its own connection, outside the import transaction."""

    def __init__(self, job: PanelImportJob) -> None:
        self.job = job
        self.table = PanelImportJob._meta.db_table
        self.side = (
            connections.create_connection("default") if connection.vendor == "postgresql" else None
        )

    def __call__(self, processed: int, phase: str) -> None:
        if connection.in_atomic_block and self.side is None:
            return  # SQLite: a second writer would wait for the import; skip until it ends
        sql = f"UPDATE {self.table} SET processed_rows = %s, phase = %s WHERE id = %s"  # noqa: S608
        if self.side is not None:
            with self.side.cursor() as cursor:
                cursor.execute(sql, [processed, phase, self.job.pk])
        else:
            PanelImportJob.objects.filter(pk=self.job.pk).update(
                processed_rows=processed, phase=phase
            )

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def _write(
    job: PanelImportJob, plan: Plan, existing: dict[str, Patient], progress: _Progress
) -> dict[str, int]:
    actor = job.created_by
    by_mrn = dict(existing)
    for done, (_line, values) in enumerate(plan.patients, start=1):
        details = dict(values)
        by_mrn[values["mrn"]] = patient_create(
            actor=actor,
            care_team=details.pop("care_team"),
            mrn=details.pop("mrn"),
            given_name=details.pop("given_name"),
            family_name=details.pop("family_name"),
            date_of_birth=details.pop("date_of_birth"),
            **details,
        )
        if done % PROGRESS_EVERY == 0:
            progress(done, "writing")
    for _line, mrn, condition in plan.conditions:
        condition.patient = by_mrn[mrn]
        condition.recorded_by = actor
    for _line, mrn, encounter in plan.encounters:
        encounter.patient = by_mrn[mrn]
        encounter.recorded_by = actor
    conditions = Condition.objects.bulk_create(
        [item for _, _, item in plan.conditions], batch_size=2_000
    )
    encounters = Encounter.objects.bulk_create(
        [item for _, _, item in plan.encounters], batch_size=2_000
    )
    rows: list[Condition | Encounter] = [*conditions, *encounters]
    audit_record_many(
        audit_event(
            actor=actor,
            action=AuditAction.CREATE,
            source=AuditSource.IMPORT,
            object_type=row,
            object_id=row.pk,
            patient_id=row.patient_id,
            detail={"import_job": job.pk},
        )
        for row in rows
    )
    progress(plan.rows, "scoring")
    complexity_recompute(organisation_id=job.organisation_id, actor=actor)
    return {
        "patients": len(plan.patients),
        "conditions": len(conditions),
        "encounters": len(encounters),
    }


def panel_import_run(*, job_id: int) -> PanelImportJob | None:
    """Validates and (unless a dry run or a bad row) imports; safe to call twice."""
    with transaction.atomic():
        job = (
            PanelImportJob.objects.select_for_update(skip_locked=True)
            .select_related("created_by")
            .filter(pk=job_id, status=ImportStatus.QUEUED)
            .first()
        )
        if job is None:
            return None
        job.status, job.started_at, job.phase = ImportStatus.RUNNING, timezone.now(), "validating"
        job.save(update_fields=["status", "started_at", "phase", "updated_at"])
    progress = _Progress(job)
    counts: dict[str, int] = {}
    try:
        plan, existing = _plan(job, job.content, progress)
        if plan.errors:
            status = ImportStatus.REJECTED
        elif job.dry_run:
            status = ImportStatus.SUCCEEDED
            counts = {
                "patients": len(plan.patients),
                "conditions": len(plan.conditions),
                "encounters": len(plan.encounters),
            }
        else:
            with transaction.atomic():
                counts = _write(job, plan, existing, progress)
            status = ImportStatus.SUCCEEDED
    except Exception:
        PanelImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, finished_at=timezone.now(), content="", phase="failed"
        )
        raise
    finally:
        progress.close()
    job.status = status
    job.errors = plan.errors
    job.counts = counts
    job.total_rows = plan.rows
    job.processed_rows = plan.rows
    job.phase = "done"
    job.finished_at = timezone.now()
    job.content = ""  # the upload holds patient details: keep it no longer than needed
    job.save(
        update_fields=[
            "status",
            "errors",
            "counts",
            "total_rows",
            "processed_rows",
            "phase",
            "finished_at",
            "content",
            "updated_at",
        ]
    )
    return job
