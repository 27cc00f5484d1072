"""Importing FHIR resources into the chart: matched, mapped, written once, audited.

One resource is one transaction: it is written whole or not at all, and a
problem with it is reported (position, type, id, reason) while the import goes
on. A resource seen before from the same source is recognised by its
`FhirImportRecord`: the same content changes nothing, a newer version updates
the row it became, an older version is left alone. Patients are never created:
a Patient resource is matched to ours by identifier inside the organisation,
and one that matches nobody goes to the match queue, its resources reported as
waiting until a coordinator says who the person is and the import runs again.

Speed: resources are taken a batch at a time (BATCH). A batch loads its import
records and its patients in a few queries, writes its import records and audit
events in one INSERT each, and runs without a savepoint per resource: a
resource that fails before writing anything needs none. Should a resource fail
after it has written (a database rule refuses a row, a follow-on step fails),
the whole batch is rolled back and run again the careful way, each resource in
its own savepoint, so the rule "a resource is written whole or not at all" holds
either way and the report is the same.
"""

import copy
import hashlib
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from apps.accounts.models import Actor
from apps.core.actors import person_behind
from apps.core.audit import audit_record
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.core.transactions import one_transaction
from apps.fhir import systems
from apps.fhir.importing import mappers, reader
from apps.fhir.models import FhirImportRecord
from apps.interop.models import PatientMatchRequest
from apps.interop.services import patient_match_request_open
from apps.patients import permissions as patient_permissions
from apps.patients.complexity import PARTIAL_LIMIT, complexity_recompute
from apps.patients.models import (
    Appointment,
    ClinicalDocument,
    Condition,
    ConditionStatus,
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
RECORD_FIELDS = (
    "version_id",
    "content_hash",
    "target_type",
    "target_id",
    "patient_id",
    "received_at",
)
MAX_PROBLEMS = 1000
# Resources a batch reads, loads and commits together (lines of NDJSON, entries of a Bundle).
BATCH = 500
PATIENT_CACHE = 2000
RECOMPUTE_CHUNK = PARTIAL_LIMIT
# Statements that change nothing by themselves: a savepoint that is rolled back takes its
# writes with it, and those writes are counted on their own.
_NOT_WRITES = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK TO")


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


class _HalfWritten(Exception):
    """A resource failed after writing in a batch without savepoints: run the batch again
    the careful way."""


class _Writes:
    """Counts the statements that may have written, to tell whether a failing resource
    left anything behind (`connection.execute_wrapper`)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not sql.lstrip()[:11].upper().startswith(_NOT_WRITES):
            self.count += 1
        return execute(sql, params, many, context)


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


def _identifiers(resource: dict[str, Any]) -> list[tuple[str, str]]:
    """A Patient's (system, value) identifiers."""
    return [
        (str(i.get("system") or ""), str(i.get("value") or ""))
        for i in resource.get("identifier") or []
        if isinstance(i, dict) and i.get("value")
    ]


def _patient_references(resource: dict[str, Any]) -> Iterator[str]:
    """The references where a resource the importer maps names its patient."""
    for name in ("subject", "patient"):
        node = resource.get(name)
        if isinstance(node, dict) and isinstance(node.get("reference"), str):
            yield node["reference"]
    for participant in resource.get("participant") or []:
        actor = participant.get("actor") if isinstance(participant, dict) else None
        if isinstance(actor, dict) and isinstance(actor.get("reference"), str):
            yield actor["reference"]


def _patient_key(reference: str) -> str | None:
    """ "Patient/<id>" or the urn a reference names a patient by; None if it names none."""
    if reference.startswith("urn:"):
        return reference
    parts = reference.rstrip("/").split("/")
    if len(parts) < 2 or parts[-2] != "Patient":
        return None
    return f"Patient/{parts[-1]}"


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
        # The batch being imported: its import records by (type, id), the records to write
        # at its end (fast way only), what each entry read as, the patients it touched.
        self._records: dict[tuple[str, str], FhirImportRecord | None] = {}
        self._to_create: list[FhirImportRecord] = []
        self._to_update: dict[int, FhirImportRecord] = {}
        self._read: dict[int, tuple[dict[str, Any], str] | _Invalid] = {}
        self._touched: set[int] = set()
        # Patient identifiers of the batch: MRN -> patient ids, (system, value) -> patient ids.
        self._by_mrn: dict[str, set[int]] = {}
        self._by_identifier: dict[tuple[str, str], set[int]] = {}
        self._identifiers_loaded = False
        # The active conditions of the batch's patients, by (patient, code system, code).
        self._conditions_of: set[int] = set()
        self._active_conditions: dict[tuple[int, str, str], Condition] = {}
        self._careful = True
        self._writes = _Writes()

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
        """Committed a batch at a time (a commit per resource would cost the import most of
        its time); a batch holds BATCH entries, never the whole file."""
        for patients in (True, False):
            stream = iter(entries(patients))
            while True:
                batch = list(itertools.islice(stream, BATCH))
                if batch:
                    self.import_batch(batch)
                if self.on_progress:
                    self.on_progress(self.report)
                if len(batch) < BATCH:
                    break

    def import_batch(self, batch: list[reader.Entry]) -> None:
        """The batch without a savepoint per resource; again with them should one half-write."""
        before = self._report_state()
        try:
            self._careful = False
            with (
                transaction.atomic(),
                one_transaction(),
                connection.execute_wrapper(self._writes),
            ):
                self._batch(batch)
        except (_HalfWritten, DatabaseError):
            # DatabaseError: the batch's own INSERTs refused (another import of the same
            # source got there first); each resource then says so on its own.
            self._report_restore(before)
            self._careful = True
            with transaction.atomic():
                self._batch(batch)
        finally:
            self._careful = True
            self._read.clear()
            self._records.clear()
            self._touched.clear()
            self._by_mrn.clear()
            self._by_identifier.clear()
            self._identifiers_loaded = False
            self._conditions_of = set()
            self._active_conditions = {}

    def _batch(self, batch: list[reader.Entry]) -> None:
        self._to_create, self._to_update, self._touched = [], {}, set()
        self._load(batch)
        for entry in batch:
            self.import_entry(entry)
        if self._to_create:
            FhirImportRecord.objects.bulk_create(self._to_create)
        if self._to_update:
            now = timezone.now()
            for record in self._to_update.values():
                record.updated_at = now
            FhirImportRecord.objects.bulk_update(
                list(self._to_update.values()), [*RECORD_FIELDS, "updated_at"]
            )
        self._to_create, self._to_update = [], {}
        self.touched |= self._touched

    def _report_state(self) -> tuple[Any, ...]:
        report = self.report
        return (
            copy.deepcopy(report.counts),
            len(report.problems),
            report.problems_left_out,
            report.resources,
            len(self.outcomes) if self.outcomes is not None else 0,
        )

    def _report_restore(self, state: tuple[Any, ...]) -> None:
        counts, problems, left_out, resources, outcomes = state
        self.report.counts = counts
        del self.report.problems[problems:]
        self.report.problems_left_out = left_out
        self.report.resources = resources
        if self.outcomes is not None:
            del self.outcomes[outcomes:]

    def _recompute(self) -> None:
        """The complex-needs flag of the patients whose evidence came in, a few at a time:
        a larger chunk would recompute the whole organisation each time (memory and time
        growing with the organisation, not the import)."""
        touched = sorted(self.touched)
        for start in range(0, len(touched), RECOMPUTE_CHUNK):
            complexity_recompute(
                organisation_id=self.organisation_id,
                patient_ids=touched[start : start + RECOMPUTE_CHUNK],
                actor=self.actor,
            )

    # --- loading a batch -------------------------------------------------------------------

    def _load(self, batch: list[reader.Entry]) -> None:
        """What the batch's resources will ask for, in a few queries: their import records
        (locked, as each resource's own lookup would), the patients they name."""
        keys: set[tuple[str, str]] = set()
        for entry in batch:
            read = self._readable_once(entry)
            if isinstance(read, _Invalid):
                continue
            resource = read[0]
            fhir_id = str(resource.get("id") or entry.full_url or "")[:64]
            if fhir_id:
                keys.add((entry.resource_type, fhir_id))
        self._records = dict.fromkeys(keys)
        if keys:
            for record in FhirImportRecord.objects.select_for_update().filter(
                organisation_id=self.organisation_id,
                source=self.source,
                resource_type__in={kind for kind, _ in keys},
                fhir_id__in={fhir_id for _, fhir_id in keys},
            ):
                key = (record.resource_type, record.fhir_id)
                if key in self._records:
                    self._records[key] = record
        if any(entry.resource_type == "Patient" for entry in batch):
            self._load_identifiers(batch)
        if any(entry.resource_type != "Patient" for entry in batch):
            self._load_patients(batch)

    def _load_identifiers(self, batch: list[reader.Entry]) -> None:
        """Who the batch's Patient resources may be: by MRN and by other identifiers."""
        pairs: set[tuple[str, str]] = set()
        for entry in batch:
            if entry.resource_type == "Patient" and isinstance(self._read.get(id(entry)), tuple):
                pairs |= set(_identifiers(entry.resource or {}))
        mrn_system = systems.mrn_system(self.organisation_id)
        mrns = {value for system, value in pairs if system == mrn_system}
        self._by_mrn, self._by_identifier = {}, {}
        if mrns:
            for mrn, pk in Patient.objects.filter(
                organisation_id=self.organisation_id, mrn__in=mrns
            ).values_list("mrn", "pk"):
                self._by_mrn.setdefault(mrn, set()).add(pk)
        if pairs:
            for authority, value, pk in PatientIdentifier.objects.filter(
                organisation_id=self.organisation_id,
                assigning_authority__in={a for a, _ in pairs},
                value__in={v for _, v in pairs},
            ).values_list("assigning_authority", "value", "patient_id"):
                self._by_identifier.setdefault((authority, value), set()).add(pk)
        found = set().union(*self._by_mrn.values(), *self._by_identifier.values())
        self._cache_patients(found)
        self._identifiers_loaded = True

    def _load_patients(self, batch: list[reader.Entry]) -> None:
        """The patients the batch's resources refer to, from this run or an earlier one."""
        unknown: set[str] = set()
        for entry in batch:
            if not isinstance(self._read.get(id(entry)), tuple):
                continue
            for reference in _patient_references(entry.resource or {}):
                key = _patient_key(reference)
                if key is not None and key.startswith("Patient/") and key not in self.patient_refs:
                    unknown.add(key.removeprefix("Patient/")[:64])
        if unknown:
            for fhir_id, target_id in FhirImportRecord.objects.filter(
                organisation_id=self.organisation_id,
                source=self.source,
                resource_type="Patient",
                fhir_id__in=unknown,
            ).values_list("fhir_id", "target_id"):
                self.patient_refs[f"Patient/{fhir_id}"] = target_id
        wanted: set[int] = set()
        for entry in batch:
            if not isinstance(self._read.get(id(entry)), tuple):
                continue
            for reference in _patient_references(entry.resource or {}):
                key = _patient_key(reference)
                pk = self.patient_refs.get(key) if key is not None else None
                if pk is not None:
                    wanted.add(pk)
        self._cache_patients(wanted)
        if any(entry.resource_type == "Condition" for entry in batch) and wanted:
            # An active condition already on the chart is updated, not duplicated: one
            # query for the batch instead of one per condition.
            self._conditions_of = wanted
            self._active_conditions = {
                (row.patient_id, row.code_system, row.code): row
                for row in Condition.objects.filter(
                    patient_id__in=wanted, status=ConditionStatus.ACTIVE
                ).order_by("pk")
            }

    def _cache_patients(self, pks: set[int]) -> None:
        missing = pks - set(self._patients)
        if not missing:
            return
        if len(self._patients) + len(missing) > PATIENT_CACHE:
            self._patients = {pk: p for pk, p in self._patients.items() if pk in pks}
        for patient in Patient.objects.filter(pk__in=missing, organisation_id=self.organisation_id):
            self._patients[patient.pk] = patient

    # --- one resource ----------------------------------------------------------------------

    def import_entry(self, entry: reader.Entry) -> str:
        resource_type = entry.resource_type
        fhir_id = ""
        writes = self._writes.count
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
            with self._one_resource():
                if resource_type == "Patient":
                    outcome = self._patient(entry, resource, fhir_id, version, content_hash)
                else:
                    outcome = self._chart_row(resource, fhir_id, version, content_hash)
        except DatabaseError as error:
            # Without a savepoint the failed statement has spoilt the batch's transaction.
            if not self._careful:
                raise _HalfWritten from error
            if not isinstance(error, IntegrityError):
                raise
            # A rule the database keeps (one active condition per code, dates in order).
            outcome = "invalid"
            self.report.problem(entry, fhir_id, f"Refused by {_rule_name(error)}.", "invalid")
        except (
            _Invalid,
            mappers.Unmappable,
            ApplicationError,
            mappers.WaitingForMatch,
            mappers.NotImported,
            PermissionDenied,
        ) as error:
            if not self._careful and self._writes.count != writes:
                raise _HalfWritten from error
            outcome = self._refused(entry, fhir_id, error)
        self.report.add(resource_type, outcome)
        if self.outcomes is not None:
            self.outcomes.append((entry, fhir_id, outcome))
        return outcome

    def _one_resource(self) -> AbstractContextManager[Any]:
        """A savepoint for the resource only on the careful way."""
        return transaction.atomic() if self._careful else nullcontext()

    def _refused(self, entry: reader.Entry, fhir_id: str, error: Exception) -> str:
        if isinstance(error, mappers.NotImported):
            return "skipped"
        if isinstance(error, mappers.WaitingForMatch):
            self.report.problem(entry, fhir_id, str(error), "waiting")
            return "waiting"
        if isinstance(error, ApplicationError):
            fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.field_errors.items())
            self.report.problem(entry, fhir_id, fields or error.message, "invalid")
            return "invalid"
        self.report.problem(entry, fhir_id, str(error), "invalid")
        return "invalid"

    def _readable(self, entry: reader.Entry) -> tuple[dict[str, Any], str]:
        read = self._readable_once(entry)
        if isinstance(read, _Invalid):
            raise read
        return read

    def _readable_once(self, entry: reader.Entry) -> tuple[dict[str, Any], str] | _Invalid:
        """Validated once per batch, however often the batch runs."""
        key = id(entry)
        if key not in self._read:
            try:
                self._read[key] = self._validated(entry)
            except _Invalid as error:
                self._read[key] = error
        return self._read[key]

    def _validated(self, entry: reader.Entry) -> tuple[dict[str, Any], str]:
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
        key = (resource_type, fhir_id[:64])
        if key in self._records:
            return self._records[key]
        # Not loaded with the batch (import_entry called on its own).
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
        """The import record, written now (careful way) or with the batch (fast way)."""
        values = {
            "version_id": version,
            "content_hash": content_hash,
            "target_type": target._meta.label_lower if target is not None else "",
            "target_id": target.pk if target is not None else None,
            "patient_id": patient_id,
            "received_at": self.received_at,
        }
        if record is None:
            record = FhirImportRecord(
                organisation_id=self.organisation_id,
                source=self.source,
                resource_type=resource_type,
                fhir_id=fhir_id[:64],
                **values,
            )
            if self._careful:
                record.save(force_insert=True)
            else:
                self._to_create.append(record)
        else:
            for name, value in values.items():
                setattr(record, name, value)
            if record.pk is None:
                pass  # still waiting in this batch's INSERT, which takes the new values
            elif self._careful:
                record.save(update_fields=[*values, "updated_at"])
            else:
                self._to_update[record.pk] = record
        # A second copy of the resource later in the batch finds this one.
        self._records[(resource_type, fhir_id[:64])] = record

    # --- patients ----------------------------------------------------------------------------

    def _patient(
        self,
        entry: reader.Entry,
        resource: dict[str, Any],
        fhir_id: str,
        version: str,
        content_hash: str,
    ) -> str:
        identifiers = _identifiers(resource)
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
        return outcome

    def _match(self, identifiers: list[tuple[str, str]]) -> Patient | None:
        if not self._identifiers_loaded:
            # Not loaded with a batch (import_entry called on its own): load this one's.
            probe = reader.Entry(
                "",
                {
                    "resourceType": "Patient",
                    "identifier": [{"system": s, "value": v} for s, v in identifiers],
                },
            )
            self._read[id(probe)] = (probe.resource or {}, "")
            try:
                self._load_identifiers([probe])
                return self._matched(identifiers)
            finally:
                self._read.pop(id(probe), None)
                self._identifiers_loaded = False
        return self._matched(identifiers)

    def _matched(self, identifiers: list[tuple[str, str]]) -> Patient | None:
        mrn_system = systems.mrn_system(self.organisation_id)
        found: set[int] = set()
        for system, value in identifiers:
            if system == mrn_system:
                found |= self._by_mrn.get(value, set())
            found |= self._by_identifier.get((system, value), set())
        if len(found) > 1:
            raise _Invalid("The Patient's identifiers belong to different patients here.")
        if not found:
            return None
        pk = found.pop()
        if pk not in self._patients:
            self._cache_patients({pk})
        return self._patients[pk]

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
        key = _patient_key(reference)
        if key is None:
            parts = reference.rstrip("/").split("/")
            if len(parts) < 2:
                raise mappers.Unmappable(f"Broken reference {reference[:80]!r}.")
            raise mappers.Unmappable(
                f"The reference {reference[:80]!r} names a {parts[-2][:40]}, not a Patient."
            )
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
            existing = self._same_as(mapped)
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
                self._touched.add(mapped.patient.pk)
        self._keep_record(
            record, resource_type, fhir_id, version, content_hash, row, mapped.patient.pk
        )
        if isinstance(row, Condition):
            self._condition_saved(row)
        if existing is None:
            return "created"
        return "updated" if changed else "unchanged"

    def _same_as(self, mapped: mappers.Mapped) -> models.Model | None:
        """The mapper's `same_as`, answered from the batch's active conditions when loaded."""
        key = mapped.same_key
        if (
            mapped.model is Condition
            and key is not None
            and mapped.patient.pk in self._conditions_of
        ):
            return self._active_conditions.get((mapped.patient.pk, *key))
        return mapped.same_as()

    def _condition_saved(self, row: Condition) -> None:
        """Keeps the batch's active conditions as the table now has them."""
        if row.patient_id not in self._conditions_of:
            return
        for key in [k for k, v in self._active_conditions.items() if v.pk == row.pk]:
            del self._active_conditions[key]
        if row.status == ConditionStatus.ACTIVE:
            self._active_conditions[(row.patient_id, row.code_system, row.code)] = row

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


def _rule_name(error: IntegrityError) -> str:
    """The name of the database rule (constraint) that refused a write: PostgreSQL says it
    in the error's diagnostics, SQLite in its message ("CHECK constraint failed: name")."""
    diagnostics = getattr(error.__cause__, "diag", None)
    name = getattr(diagnostics, "constraint_name", "") or ""
    if not name and str(error).startswith("CHECK constraint failed: "):
        name = str(error).removeprefix("CHECK constraint failed: ").strip()
    return name or "a database rule"
