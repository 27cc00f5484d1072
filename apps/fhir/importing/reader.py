"""Reading FHIR resources from files without holding a big file in memory.

Three shapes arrive: a Bundle (collection, transaction, batch, searchset) in one
JSON file, read whole up to a size limit; NDJSON (one resource a line, as a
bulk `$export` writes), read line by line; and a folder of either. Every
resource comes with its position ("Condition.ndjson line 12", "bundle.json
entry 3") so a report can say where a problem is.

Imports read twice: Patients first (so references to them resolve), then the
rest. A pass yields only what it asks for, so the second pass skips Patient
lines cheaply and neither pass keeps what it has read.
"""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings

BUNDLE_TYPES = {"collection", "transaction", "batch", "searchset"}


@dataclass
class Entry:
    """One resource as read, or why it could not be read."""

    position: str
    resource: dict[str, Any] | None
    full_url: str = ""
    size: int = 0
    error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def resource_type(self) -> str:
        if isinstance(self.resource, dict):
            return str(self.resource.get("resourceType") or "")
        return ""


def max_bundle_bytes() -> int:
    return int(settings.FHIR_IMPORT_MAX_BUNDLE_BYTES)


def max_resource_bytes() -> int:
    return int(settings.FHIR_IMPORT_MAX_RESOURCE_BYTES)


def _wanted(resource_type: str, patients: bool) -> bool:
    return (resource_type == "Patient") == patients


@dataclass
class Progress:
    """Bytes read so far across the files of one import, for a progress bar."""

    total: int = 0
    done: int = 0


class Source:
    """A file or folder to import, read in passes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.progress = Progress(total=sum(f.stat().st_size for f in self.files()))

    def files(self) -> list[Path]:
        if self.path.is_dir():
            found = [
                child
                for child in self.path.iterdir()
                if child.is_file() and child.suffix.lower() in {".json", ".ndjson", ".jsonl"}
            ]
            # Patients first: a bulk export names files by type.
            return sorted(found, key=lambda f: (not f.name.startswith("Patient"), f.name))
        return [self.path]

    def entries(self, *, patients: bool) -> Iterator[Entry]:
        for path in self.files():
            with path.open("rb") as stream:
                if path.suffix.lower() == ".json":
                    yield from _json_file(stream, path.name, patients=patients)
                    if not patients:
                        self.progress.done += path.stat().st_size
                else:
                    yield from ndjson_entries(
                        stream, path.name, patients=patients, progress=self.progress
                    )


def ndjson_entries(
    stream: BinaryIO, name: str, *, patients: bool, progress: Progress | None = None
) -> Iterator[Entry]:
    """One entry per non-blank line; a line too long is refused unread."""
    limit = max_resource_bytes()
    number = 0
    while True:
        line = stream.readline(limit + 2)
        if not line:
            return
        number += 1
        if progress is not None and not patients:
            progress.done += len(line)
        position = f"{name} line {number}"
        if len(line.rstrip(b"\r\n")) > limit:
            # Skip the rest of the long line without holding it.
            while line and not line.endswith(b"\n"):
                line = stream.readline(1 << 20)
                if progress is not None and not patients:
                    progress.done += len(line)
            if not patients:
                yield Entry(position, None, error=f"Resource over {limit} bytes; not read.")
            continue
        if not line.strip():
            continue
        # A cheap look before parsing: the Patient pass skips other lines unparsed.
        maybe_patient = b'"Patient"' in line
        if patients and not maybe_patient:
            continue
        try:
            resource = json.loads(line)
        except ValueError:
            if not patients:
                yield Entry(position, None, error="Not valid JSON.")
            continue
        if not isinstance(resource, dict):
            if not patients:
                yield Entry(position, None, error="Not a JSON object.")
            continue
        if _wanted(str(resource.get("resourceType") or ""), patients):
            yield Entry(position, resource, size=len(line))


def _json_file(stream: BinaryIO, name: str, *, patients: bool) -> Iterator[Entry]:
    limit = max_bundle_bytes()
    data = stream.read(limit + 1)
    if len(data) > limit:
        if not patients:
            yield Entry(
                name,
                None,
                error=f"File over {limit} bytes: send large imports as NDJSON, one per line.",
            )
        return
    try:
        document = json.loads(data)
    except ValueError:
        if not patients:
            yield Entry(name, None, error="Not valid JSON.")
        return
    yield from document_entries(document, name, patients=patients)


def document_entries(document: Any, name: str, *, patients: bool) -> Iterator[Entry]:
    """The resources of a parsed JSON document: a Bundle's entries, or one resource."""
    if not isinstance(document, dict):
        if not patients:
            yield Entry(name, None, error="Not a JSON object.")
        return
    if document.get("resourceType") != "Bundle":
        if _wanted(str(document.get("resourceType") or ""), patients):
            yield Entry(name, document)
        return
    kind = document.get("type")
    if kind not in BUNDLE_TYPES:
        if not patients:
            yield Entry(name, None, error=f"A Bundle of type {kind!r} is not imported.")
        return
    entries = document.get("entry") or []
    if not isinstance(entries, list):
        if not patients:
            yield Entry(name, None, error="Bundle.entry is not a list.")
        return
    yield from bundle_entries(entries, name, patients=patients)


def bundle_entries(entries: Iterable[Any], name: str, *, patients: bool) -> Iterator[Entry]:
    for index, item in enumerate(entries):
        position = f"{name} entry {index}"
        resource = item.get("resource") if isinstance(item, dict) else None
        if not isinstance(resource, dict):
            if not patients:
                yield Entry(position, None, error="Entry without a resource.")
            continue
        if _wanted(str(resource.get("resourceType") or ""), patients):
            request = item.get("request") if isinstance(item.get("request"), dict) else {}
            yield Entry(
                position,
                resource,
                full_url=str(item.get("fullUrl") or ""),
                extra={"index": index, "method": str((request or {}).get("method") or "")},
            )
