"""FHIR search: parameters parsed strictly (a bad one is a 400), rows read page by page.

Supported on every type: `_id`, `_lastUpdated` (eq/ge/le/gt/lt), `_count`,
`_offset` (the paging links carry it), `_include`; `patient` (alias `subject`)
where the resource is about one patient; `identifier` where the type has one.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from apps.fhir.api.outcome import FhirError
from apps.fhir.callers import FhirCaller
from apps.fhir.resources import REGISTRY, ResourceType, Source
from apps.fhir.resources.base import patient_condition, patient_id_of

DEFAULT_COUNT = 50
MAX_COUNT = 200
COMMON = {"_id", "_lastUpdated", "_count", "_offset", "_include", "_format", "_total"}
PREFIXES = ("eq", "ge", "le", "gt", "lt")


def bad_request(message: str) -> FhirError:
    return FhirError(400, message, code="invalid")


@dataclass
class SearchQuery:
    ids: list[str] | None = None
    identifier: tuple[str | None, str] | None = None
    patient_ids: list[int] | None = None
    updated_raw: list[tuple[str, datetime, datetime]] = field(default_factory=list)
    count: int = DEFAULT_COUNT
    offset: int = 0
    includes: list[str] = field(default_factory=list)


def _one(params: QueryDict, name: str) -> str:
    values = params.getlist(name)
    if len(values) > 1:
        raise bad_request(f"Give {name} once.")
    return values[0]


def paging_int(params: QueryDict, name: str, low: int, high: int) -> int:
    raw = _one(params, name)
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise bad_request(f"{name} must be a whole number from {low} to {high}.")
    return int(raw)


def reference_id(value: str, resource_type: str) -> int:
    """`Patient/12` or `12` -> 12; anything else is a 400."""
    if value.startswith(f"{resource_type}/"):
        value = value[len(resource_type) + 1 :]
    if not value.isdigit() or len(value) > 12:
        raise bad_request(f"{value!r} is not a {resource_type} reference.")
    return int(value)


def _moment_range(raw: str) -> tuple[datetime, datetime]:
    """The span a FHIR date or dateTime value names: [start, end)."""
    try:
        moment = parse_datetime(raw) if "T" in raw else None
    except ValueError as error:
        raise bad_request(f"{raw!r} is not a dateTime.") from error
    if moment is not None:
        if timezone.is_naive(moment):
            raise bad_request("_lastUpdated needs a time zone (e.g. Z) when it has a time.")
        return moment, moment + timedelta(seconds=1)
    try:
        day = parse_date(raw)
    except ValueError:
        day = None
    if day is None or not 1900 <= day.year <= 2100:
        raise bad_request(f"{raw!r} is not a date or dateTime.")
    start = datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())
    return start, start + timedelta(days=1)


def _updated_condition(value: str, field_name: str) -> Q:
    prefix = value[:2] if value[:2] in PREFIXES else "eq"
    raw = value[2:] if value[:2] in PREFIXES else value
    start, end = _moment_range(raw)
    lookups = {
        "eq": Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end}),
        "ge": Q(**{f"{field_name}__gte": start}),
        "gt": Q(**{f"{field_name}__gte": end}),
        "le": Q(**{f"{field_name}__lt": end}),
        "lt": Q(**{f"{field_name}__lt": start}),
    }
    return lookups[prefix]


def parse_search(resource_type: ResourceType, params: QueryDict) -> SearchQuery:
    query = SearchQuery()
    about_patients = all(source.patient_field for source in resource_type.sources)
    has_identifier = any(source.identifier for source in resource_type.sources)
    allowed = set(COMMON)
    if about_patients and resource_type.name != "Patient":
        allowed |= {"patient", "subject"}
    if has_identifier:
        allowed.add("identifier")
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise bad_request(
            f"{resource_type.name} does not support the search parameter(s) {', '.join(unknown)}; "
            f"supported: {', '.join(sorted(allowed))}."
        )
    if "_format" in params and _one(params, "_format") not in (
        "json",
        "application/fhir+json",
        "application/json",
    ):
        raise FhirError(406, "Only JSON is served.", code="not-supported")
    if "_id" in params:
        query.ids = [item for item in _one(params, "_id").split(",") if item]
    if "identifier" in params:
        raw = _one(params, "identifier")
        system, bar, value = raw.partition("|")
        query.identifier = (system or None, value) if bar else (None, raw)
        if not query.identifier[1]:
            raise bad_request("identifier needs a value: [system|]value.")
    for name in ("patient", "subject"):
        if name in params:
            query.patient_ids = [
                reference_id(item, "Patient") for item in _one(params, name).split(",") if item
            ]
    for value in params.getlist("_lastUpdated"):
        query.updated_raw.append(
            (value, *_moment_range(value[2:] if value[:2] in PREFIXES else value))
        )
    if "_count" in params:
        query.count = paging_int(params, "_count", 0, MAX_COUNT)
    if "_offset" in params:
        query.offset = paging_int(params, "_offset", 0, 10_000_000)
    for include in params.getlist("_include"):
        if include not in resource_type.includes:
            supported = ", ".join(sorted(resource_type.includes)) or "none"
            raise bad_request(f"_include={include} is not supported here (supported: {supported}).")
        query.includes.append(include)
    return query


def filtered(source: Source, caller: FhirCaller, query: SearchQuery) -> QuerySet[Any]:
    rows = source.rows(caller)
    if query.ids is not None:
        rows = rows.filter(pk__in=[pk for pk in map(source.pk_of, query.ids) if pk is not None])
    if query.identifier is not None:
        assert source.identifier is not None  # noqa: S101 - parse_search checked
        rows = rows.filter(source.identifier(*query.identifier))
    if query.patient_ids is not None:
        rows = rows.filter(patient_condition(source, query.patient_ids))
    for value, _start, _end in query.updated_raw:
        rows = rows.filter(_updated_condition(value, source.updated_field))
    return rows.order_by("pk")


@dataclass
class Page:
    total: int
    rows: list[tuple[Source, Any]]


def search_page(resource_type: ResourceType, caller: FhirCaller, query: SearchQuery) -> Page:
    """One page across the type's sources, in source order then id order: a count and at
    most one page query per source (plus the source's own prefetches)."""
    total = 0
    rows: list[tuple[Source, Any]] = []
    skip, want = query.offset, query.count
    for source in resource_type.sources:
        if query.identifier is not None and source.identifier is None:
            continue
        found = filtered(source, caller, query)
        count = found.count()
        total += count
        if want and skip < count:
            page = list(found[skip : skip + want])
            rows += [(source, row) for row in page]
            want -= len(page)
        skip = max(0, skip - count)
    return Page(total=total, rows=rows)


def includes_for(
    caller: FhirCaller, query: SearchQuery, resource_type: ResourceType, page: Page
) -> list[dict[str, Any]]:
    """The resources `_include` asks for (their patients), each once."""
    if not query.includes:
        return []
    patient_ids = {
        pid for source, row in page.rows if (pid := patient_id_of(row, source.patient_field))
    }
    if not patient_ids:
        return []
    patient_type = REGISTRY["Patient"]
    source = patient_type.sources[0]
    return [
        source.render(row) for row in source.rows(caller).filter(pk__in=patient_ids).order_by("pk")
    ]
