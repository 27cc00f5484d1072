"""What every output mapper shares: the resource-type registry and small FHIR shapes.

A resource type has one or more sources (Task: the task list and the referral
loop); each source says how to find the rows a caller may see, how one row reads
as FHIR, and which field points at the patient (for `patient=`, `_include` and
`$everything`).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet

from apps.fhir.callers import FhirCaller
from apps.patients.models import Patient

Json = dict[str, Any]


@dataclass(frozen=True)
class Source:
    """One table behind a FHIR resource type."""

    model: type[models.Model]
    rows: Callable[[FhirCaller], QuerySet[Any]]
    render: Callable[[Any], Json]
    # The lookup from a row to its patient's id ("patient_id", "plan__patient_id"), or
    # "" when the resource is not about one patient (Practitioner).
    patient_field: str = ""
    # Ids are `<prefix><pk>` so two tables can share one resource type.
    prefix: str = ""
    identifier: Callable[[str | None, str], Q] | None = None
    updated_field: str = "updated_at"

    def pk_of(self, logical_id: str) -> int | None:
        if self.prefix and not logical_id.startswith(self.prefix):
            return None
        rest = logical_id[len(self.prefix) :]
        if not rest.isdigit() or len(rest) > 12:
            return None
        return int(rest)


@dataclass(frozen=True)
class ResourceType:
    name: str
    sources: tuple[Source, ...]
    # `_include` values this type supports: "Task:patient" -> the target type's name.
    includes: dict[str, str] = field(default_factory=dict)
    profile: str = ""


REGISTRY: dict[str, ResourceType] = {}


def patient_condition(source: Source, patient_ids: list[int]) -> Q:
    """Rows about these patients; a care team is about the patients on it."""
    if source.patient_field == "patients":
        return Q(pk__in=Patient.objects.filter(pk__in=patient_ids).values("care_team_id"))
    return Q(**{f"{source.patient_field}__in": patient_ids})


def patient_id_of(row: Any, patient_field: str) -> int | None:
    if patient_field in ("", "patients"):
        return None
    if patient_field == "pk":
        return int(row.pk)
    value = row
    parts = patient_field.split("__")
    for part in parts[:-1]:
        value = getattr(value, part)
    return getattr(value, parts[-1])


def register(resource_type: ResourceType) -> ResourceType:
    REGISTRY[resource_type.name] = resource_type
    return resource_type


def register_about_a_patient(
    name: str,
    *sources: Source,
    model: type[models.Model] | None = None,
    rows: Callable[[FhirCaller], QuerySet[Any]] | None = None,
    render: Callable[[Any], Json] | None = None,
    subject: str = "subject",
) -> ResourceType:
    """A type whose every row is about one patient (`patient_id`): `_include` of
    `<name>:patient` (and of its own reference element, `subject` unless told) gives the
    Patient. One table: `model`, `rows` and `render`; several: pass their sources."""
    if model is not None and rows is not None and render is not None:
        sources = (Source(model=model, rows=rows, render=render, patient_field="patient_id"),)
    includes = {f"{name}:patient": "Patient"}
    if subject:
        includes[f"{name}:{subject}"] = "Patient"
    return register(ResourceType(name=name, sources=sources, includes=includes))


# --- small shapes ---------------------------------------------------------------------------


def instant(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def meta(row: Any, *, version: object = None, profile: str = "") -> Json:
    data: Json = {"lastUpdated": instant(row.updated_at)}
    if version is not None:
        data["versionId"] = str(version)
    if profile:
        data["profile"] = [profile]
    return data


def ref(resource_type: str, pk: object, display: str = "") -> Json:
    data: Json = {"reference": f"{resource_type}/{pk}"}
    if display:
        data["display"] = display
    return data


def coding(system: str, code: str, display: str = "") -> Json:
    data: Json = {"system": system, "code": code}
    if display:
        data["display"] = display
    return data


def concept(system: str, code: str, display: str = "") -> Json:
    return {"coding": [coding(system, code, display)], **({"text": display} if display else {})}


def text_concept(text: str) -> Json:
    return {"text": text}


def drop_empty(data: Json) -> Json:
    """Leaves out keys whose value is None, "" or []: FHIR has no empty elements."""
    return {key: value for key, value in data.items() if value not in (None, "", [], {})}
