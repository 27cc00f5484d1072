"""Importing FHIR resources into the chart: matched, mapped, written once, audited.

One resource is one transaction: it is written whole or not at all, and a
problem with it is reported (position, type, id, reason) while the import goes
on. A resource seen before from the same source is recognised by its
`FhirImportRecord`: the same content changes nothing, a newer version updates
the row it became, an older version is left alone. Patients are never created:
a Patient resource is matched to ours by identifier inside the organisation,
and one that matches nobody goes to the match queue, its resources reported as
waiting until a coordinator says who the person is and the import runs again.
"""

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from apps.accounts.models import Actor
from apps.core.actors import person_behind
from apps.core.audit import audit_record
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.fhir import systems
from apps.fhir.importing import mappers, reader
from apps.fhir.models import FhirImportRecord
from apps.interop.models import PatientMatchRequest
from apps.interop.services import patient_match_request_open
from apps.patients import permissions as patient_permissions
from apps.patients.complexity import complexity_recompute
from apps.patients.models import (
    Appointment,
    ClinicalDocument,
    Condition,
    Encounter,
    Patient,
    PatientIdentifier,
    SdohScreen,
)
from apps.patients.services.imported import imported_row_get, imported_row_save
from apps.transitions.services.records import (
    transition_appointment_booked,
    transition_summary_received,
)

IMPORT_JOB = "fhir.import"
OUTCOMES = ("created", "updated", "unchanged", "matched", "waiting", "skipped", "invalid")
# Rows that feed the complex-needs flag: their patients are recomputed after the import.
EVIDENCE = (Condition, Encounter, SdohScreen)
MAX_PROBLEMS = 1000
BATCH = 200
PATIENT_CACHE = 2000


@dataclass
class ImportReport:
    """Counts per resource type and outcome, and each problem with where it is."""

    dry_run: bool = False
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list[dict[str, str]] = field(default_factory=list)
    problems_left_out: int = 0
    resources: int = 0

    def add(self, resource_type: str, outcome: str) -> None:
        per_type = self.counts.setdefault(resource_type or "unknown", {})
        per_type[outcome] = per_type.get(outcome, 0) + 1
        self.resources += 1

    def problem(self, entry: reader.Entry, fhir_id: str, reason: str, kind: str) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.problems_left_out += 1
            return
        self.problems.append(
            {
                "position": entry.position,
                "resource_type": entry.resource_type,
                "id": fhir_id[:64],
                "kind": kind,
                "reason": reason[:300],
            }
        )

    def total(self, outcome: str) -> int:
        return sum(per_type.get(outcome, 0) for per_type in self.counts.values())

    @property
    def invalid(self) -> int:
        return self.total("invalid")

    def as_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "resources": self.resources,
            "counts": self.counts,
            "problems": self.problems,
            "problems_left_out": self.problems_left_out,
        }

    def lines(self) -> list[str]:
        said = ["DRY RUN: nothing was written."] if self.dry_run else []
        said.append(f"{self.resources} resources read.")
        for resource_type in sorted(self.counts):
            parts = ", ".join(
                f"{outcome} {self.counts[resource_type][outcome]}"
                for outcome in OUTCOMES
                if self.counts[resource_type].get(outcome)
            )
            said.append(f"  {resource_type}: {parts}")
        for problem in self.problems:
            where = f"{problem['resource_type'] or '?'}/{problem['id'] or '?'}"
            said.append(
                f"  {problem['kind'].upper()} {problem['position']} {where}: {problem['reason']}"
            )
        if self.problems_left_out:
            said.append(f"  ... and {self.problems_left_out} more problems.")
        return said


class _Invalid(Exception):
    pass


def _canonical(resource: dict[str, Any]) -> str:
    return json.dumps(resource, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _validation_reason(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:3]:
        where = ".".join(str(p) for p in item.get("loc", ()) if p != "__root__")
        parts.append(f"{where or 'resource'}: {item.get('msg', '')}")
    more = error.error_count() - 3
    return "Not valid FHIR R4: " + "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def _is_fhir_type(name: str) -> bool:
    try:
        get_fhir_model_class(name)
    except (ValueError, KeyError, AttributeError):
        return False
    return True


def _newer_or_same(incoming: str, stored: str) -> bool:
    """False only when both versions are numbers and the incoming one is older."""
    if incoming.isdigit() and stored.isdigit():
        return int(incoming) >= int(stored)
    return True


class FhirImporter:
    """One import run for one organisation and source; call `run` with the entries."""

    def __init__(
        self,
        *,
        actor: Actor,
        organisation_id: int,
        source: str,
        dry_run: bool = False,
        received_at: datetime | None = None,
        on_progress: Callable[["ImportReport"], None] | None = None,
        keep_outcomes: bool = False,
    ) -> None:
        patient_permissions.require_can_import_records(actor, organisation_id)
        if not source.strip():
            raise ApplicationError(
                "Name the source system.", field_errors={"source": ["Required."]}
            )
        self.actor = actor
        self.organisation_id = organisation_id
        self.source = source.strip()[:120]
        self.received_at = received_at or timezone.now()
        self.report = ImportReport(dry_run=dry_run)
        self.on_progress = on_progress
        self.patient_refs: dict[str, int | None] = {}
        self._patients: dict[int, Patient] = {}
        self.touched: set[int] = set()
        # (entry, resource id, outcome) of each resource, for a transaction-response.
        self.outcomes: list[tuple[reader.Entry, str, str]] | None = [] if keep_outcomes else None

    # --- running ---------------------------------------------------------------------------

    def run(self, entries: Callable[[bool], Iterable[reader.Entry]]) -> ImportReport:
        """`entries(patients)` yields the Patient entries, then (False) all the others."""
        if self.report.dry_run:
            with transaction.atomic():
                self._passes(entries)
                transaction.set_rollback(True)
        else:
            self._passes(entries)
            self._recompute()
        return self.report

    def run_all_or_nothing(self, entries: Callable[[bool], Iterable[reader.Entry]]) -> bool:
        """A transaction Bundle: every resource or none. True when it was written."""
        with transaction.atomic():
            self._passes(entries)
            if self.report.invalid or self.report.dry_run:
                transaction.set_rollback(True)
                return False
            self._recompute()
        return True

    def _passes(self, entries: Callable[[bool], Iterable[reader.Entry]]) -> None:
        """Each resource in its own savepoint; committed a batch at a time (a commit per
        resource would cost the import most of its time)."""
        for patients in (True, False):
            stream = iter(entries(patients))
            while True:
                with transaction.atomic():
                    count = 0
                    for entry in stream:
                        self.import_entry(entry)
                        count += 1
                        if count == BATCH:
                            break
                if self.on_progress:
                    self.on_progress(self.report)
                if count < BATCH:
                    break

    def _recompute(self) -> None:
        touched = sorted(self.touched)
        for start in range(0, len(touched), 500):
            complexity_recompute(
                organisation_id=self.organisation_id,
                patient_ids=touched[start : start + 500],
                actor=self.actor,
            )

    # --- one resource ----------------------------------------------------------------------

    def import_entry(self, entry: reader.Entry) -> str:
        resource_type = entry.resource_type
        fhir_id = ""
        try:
            resource, canonical = self._readable(entry)
            fhir_id = str(resource.get("id") or entry.full_url or "")
            if resource_type != "Patient" and resource_type not in mappers.MAPPERS:
                self.report.add(resource_type, "skipped")
                return "skipped"
            if not fhir_id:
                raise _Invalid("The resource has no id (nor a fullUrl).")
            version = str((resource.get("meta") or {}).get("versionId") or "")[:64]
            content_hash = hashlib.sha256(canonical.encode()).hexdigest()
            with transaction.atomic():
                if resource_type == "Patient":
                    outcome = self._patient(entry, resource, fhir_id, version, content_hash)
                else:
                    outcome = self._chart_row(resource, fhir_id, version, content_hash)
        except (_Invalid, mappers.Unmappable) as error:
            outcome = "invalid"
            self.report.problem(entry, fhir_id, str(error), "invalid")
        except ApplicationError as error:
            outcome = "invalid"
            fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.field_errors.items())
            self.report.problem(entry, fhir_id, fields or error.message, "invalid")
        except mappers.WaitingForMatch as error:
            outcome = "waiting"
            self.report.problem(entry, fhir_id, str(error), "waiting")
        except mappers.NotImported:
            outcome = "skipped"
        except PermissionDenied as error:
            outcome = "invalid"
            self.report.problem(entry, fhir_id, str(error), "invalid")
        except IntegrityError as error:
            # A rule the database keeps (one active condition per code, dates in order).
            outcome = "invalid"
            constraint = getattr(getattr(error, "__cause__", None), "diag", None)
            name = getattr(constraint, "constraint_name", "") or "a database rule"
            self.report.problem(entry, fhir_id, f"Refused by {name}.", "invalid")
        self.report.add(resource_type, outcome)
        if self.outcomes is not None:
            self.outcomes.append((entry, fhir_id, outcome))
        return outcome

    def _readable(self, entry: reader.Entry) -> tuple[dict[str, Any], str]:
        if entry.error or entry.resource is None:
            raise _Invalid(entry.error or "No resource.")
        resource = entry.resource
        resource_type = entry.resource_type
        if not resource_type:
            raise _Invalid("No resourceType.")
        if resource_type != "Patient" and resource_type not in mappers.MAPPERS:
            if not _is_fhir_type(resource_type):
                raise _Invalid(f"{resource_type[:40]!r} is not a FHIR resource type.")
            return resource, ""
        canonical = _canonical(resource)
        limit = reader.max_resource_bytes()
        if len(canonical.encode()) > limit:
            raise _Invalid(f"Resource over {limit} bytes (narrative or attachment too large).")
        try:
            get_fhir_model_class(resource_type).model_validate(resource)
        except ValidationError as error:
            raise _Invalid(_validation_reason(error)) from error
        return resource, canonical

    def _record(self, resource_type: str, fhir_id: str) -> FhirImportRecord | None:
        return (
            FhirImportRecord.objects.select_for_update()
            .filter(
                organisation_id=self.organisation_id,
                source=self.source,
                resource_type=resource_type,
                fhir_id=fhir_id[:64],
            )
            .first()
        )

    def _keep_record(
        self,
        record: FhirImportRecord | None,
        resource_type: str,
        fhir_id: str,
        version: str,
        content_hash: str,
        target: models.Model | None,
        patient_id: int | None,
    ) -> None:
        values = {
            "version_id": version,
            "content_hash": content_hash,
            "target_type": target._meta.label_lower if target is not None else "",
            "target_id": target.pk if target is not None else None,
            "patient_id": patient_id,
            "received_at": self.received_at,
        }
        if record is None:
            FhirImportRecord.objects.create(
                organisation_id=self.organisation_id,
                source=self.source,
                resource_type=resource_type,
                fhir_id=fhir_id[:64],
                **values,
            )
        else:
            for name, value in values.items():
                setattr(record, name, value)
            record.save(update_fields=[*values, "updated_at"])

    # --- patients ----------------------------------------------------------------------------

    def _patient(
        self,
        entry: reader.Entry,
        resource: dict[str, Any],
        fhir_id: str,
        version: str,
        content_hash: str,
    ) -> str:
        identifiers = [
            (str(i.get("system") or ""), str(i.get("value") or ""))
            for i in resource.get("identifier") or []
            if isinstance(i, dict) and i.get("value")
        ]
        if not identifiers:
            raise _Invalid("The Patient has no identifier to match by.")
        record = self._record("Patient", fhir_id)
        patient = self._match(identifiers)
        outcome = "matched"
        if patient is None:
            request = self._queue(resource, identifiers)
            outcome = "waiting"
            self.report.problem(
                entry,
                fhir_id,
                f"No patient here has these identifiers: waiting for match "
                f"(match request {request.pk}).",
                "waiting",
            )
        self._keep_record(
            record,
            "Patient",
            fhir_id,
            version,
            content_hash,
            patient,
            patient.pk if patient else None,
        )
        pk = patient.pk if patient else None
        self.patient_refs[f"Patient/{fhir_id}"] = pk
        if entry.full_url:
            self.patient_refs[entry.full_url] = pk
        if patient is not None:
            self._patients[patient.pk] = patient
        return outcome

    def _match(self, identifiers: list[tuple[str, str]]) -> Patient | None:
        mrn_system = systems.mrn_system(self.organisation_id)
        found: set[int] = set()
        mrns = [value for system, value in identifiers if system == mrn_system]
        if mrns:
            found |= set(
                Patient.objects.filter(
                    organisation_id=self.organisation_id, mrn__in=mrns
                ).values_list("pk", flat=True)
            )
        pairs = set(identifiers)
        if pairs:
            for authority, value, patient_id in PatientIdentifier.objects.filter(
                organisation_id=self.organisation_id,
                assigning_authority__in={a for a, _ in pairs},
                value__in={v for _, v in pairs},
            ).values_list("assigning_authority", "value", "patient_id"):
                if (authority, value) in pairs:
                    found.add(patient_id)
        if len(found) > 1:
            raise _Invalid("The Patient's identifiers belong to different patients here.")
        if not found:
            return None
        return Patient.objects.get(pk=found.pop())

    def _queue(
        self, resource: dict[str, Any], identifiers: list[tuple[str, str]]
    ) -> PatientMatchRequest:
        names = [n for n in resource.get("name") or [] if isinstance(n, dict)]
        name = names[0] if names else {}
        born = None
        try:
            born = mappers._date(resource.get("birthDate"), "birthDate")
        except mappers.Unmappable:
            born = None
        request = patient_match_request_open(
            organisation_id=self.organisation_id,
            identifiers=[f"{system}|{value}" for system, value in identifiers],
            origin=f"FHIR import from {self.source}",
            family_name=str(name.get("family") or ""),
            given_name=" ".join(str(g) for g in name.get("given") or []),
            date_of_birth=born,
            sex=str(resource.get("gender") or ""),
        )
        audit_record(
            actor=self.actor,
            action=AuditAction.CREATE,
            object_type=PatientMatchRequest,
            object_id=request.pk,
            detail={"source": self.source, "queued_by": IMPORT_JOB},
        )
        return request

    def patient_for(self, resource: dict[str, Any], reference: str) -> Patient:
        """The patient a reference names: one of this import's Patients or an earlier one's."""
        if reference.startswith("urn:"):
            key = reference
        else:
            parts = reference.rstrip("/").split("/")
            if len(parts) < 2:
                raise mappers.Unmappable(f"Broken reference {reference[:80]!r}.")
            if parts[-2] != "Patient":
                raise mappers.Unmappable(
                    f"The reference {reference[:80]!r} names a {parts[-2][:40]}, not a Patient."
                )
            key = f"Patient/{parts[-1]}"
        if key in self.patient_refs:
            pk = self.patient_refs[key]
        else:
            record = FhirImportRecord.objects.filter(
                organisation_id=self.organisation_id,
                source=self.source,
                resource_type="Patient",
                fhir_id=key.removeprefix("Patient/")[:64],
            ).first()
            if record is None:
                raise mappers.Unmappable(
                    f"Broken reference {reference[:80]!r}: no such Patient in this import "
                    f"or an earlier one from {self.source}."
                )
            pk = record.target_id
            self.patient_refs[key] = pk
        if pk is None:
            raise mappers.WaitingForMatch(
                "Its patient is waiting for a match; import again once matched."
            )
        patient = self._patients.get(pk)
        if patient is None:
            patient = Patient.objects.filter(pk=pk, organisation_id=self.organisation_id).first()
            if patient is None:
                raise mappers.Unmappable("The matched patient is no longer here.")
            if len(self._patients) >= PATIENT_CACHE:
                self._patients.clear()
            self._patients[pk] = patient
        return patient

    # --- chart rows ------------------------------------------------------------------------

    def _chart_row(
        self, resource: dict[str, Any], fhir_id: str, version: str, content_hash: str
    ) -> str:
        resource_type = str(resource["resourceType"])
        record = self._record(resource_type, fhir_id)
        if record is not None and (
            record.content_hash == content_hash or not _newer_or_same(version, record.version_id)
        ):
            return "unchanged"
        mapped = mappers.MAPPERS[resource_type](resource, self.patient_for)
        values = dict(mapped.values)
        if mapped.model is SdohScreen:
            person = person_behind(self.actor)
            if person is None:
                raise mappers.Unmappable("A screen is recorded as someone's: import as a person.")
            values["screened_by"] = person
        existing = None
        if record is not None and record.target_type == mapped.model._meta.label_lower:
            existing = imported_row_get(mapped.model, record.target_id)
        if existing is None:
            existing = mapped.same_as()
        row, changed = imported_row_save(
            actor=self.actor,
            patient=mapped.patient,
            model=mapped.model,  # type: ignore[arg-type]
            values=values,
            existing=existing,
            source_system=self.source,
            received_at=self.received_at,
        )
        if changed:
            self._follow_on(row)
            if isinstance(row, EVIDENCE):
                self.touched.add(mapped.patient.pk)
        self._keep_record(
            record, resource_type, fhir_id, version, content_hash, row, mapped.patient.pk
        )
        if existing is None:
            return "created"
        return "updated" if changed else "unchanged"

    def _follow_on(self, row: models.Model) -> None:
        """What the row means for a transition (its checklist), as a step of this import."""
        if isinstance(row, Appointment):
            transition_appointment_booked(actor=self.actor, appointment=row)
        elif isinstance(row, ClinicalDocument):
            transition_summary_received(actor=self.actor, document=row)


def import_path(
    *,
    actor: Actor,
    organisation_id: int,
    source: str,
    path: str,
    dry_run: bool = False,
    on_progress: Callable[[ImportReport, reader.Progress], None] | None = None,
) -> ImportReport:
    """Imports a Bundle file, an NDJSON file, or a folder of them (a bulk export)."""
    files = reader.Source(path)
    importer = FhirImporter(
        actor=actor,
        organisation_id=organisation_id,
        source=source,
        dry_run=dry_run,
        on_progress=(lambda report: on_progress(report, files.progress)) if on_progress else None,
    )

    def entries(patients: bool) -> Iterator[reader.Entry]:
        return files.entries(patients=patients)

    return importer.run(entries)
