"""One chronological timeline of a patient's care, built from every app that keeps a part.

Each app registers, in its AppConfig.ready(), a source for its kind of event
(patients: encounters and screenings; transitions: handoffs; tasks; referrals;
careplans: plan versions). The chart asks here, so this app never imports the
apps above it and every kind is filtered the same way.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone

from apps.patients.models import Encounter, Patient, SdohScreen

DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class TimelineEvent:
    kind: str
    at: datetime
    title: str
    detail: str = ""
    link: str = ""
    source: str = ""


TimelineSource = Callable[[Patient, int], Iterable[TimelineEvent]]

_SOURCES: dict[str, tuple[str, TimelineSource]] = {}


def timeline_source_register(kind: str, label: str, source: TimelineSource) -> None:
    """`source(patient, limit)` gives the patient's `limit` latest events of `kind`."""
    _SOURCES[kind] = (label, source)


def timeline_kinds() -> list[tuple[str, str]]:
    return [(kind, label) for kind, (label, _) in _SOURCES.items()]


def patient_timeline(
    patient: Patient, *, kinds: Iterable[str] = (), limit: int = DEFAULT_LIMIT
) -> list[TimelineEvent]:
    """The latest `limit` events of the chosen kinds (all when none), newest first."""
    wanted = [kind for kind in kinds if kind in _SOURCES] or list(_SOURCES)
    events: list[TimelineEvent] = []
    for kind in wanted:
        events.extend(_SOURCES[kind][1](patient, limit))
    events.sort(key=lambda event: event.at, reverse=True)
    return events[:limit]


def day_start(day: date) -> datetime:
    """A date as the start of that day, local time: dated rows sort among timed ones."""
    return timezone.make_aware(datetime.combine(day, time.min))


def encounter_events(patient: Patient, limit: int) -> list[TimelineEvent]:
    rows = Encounter.objects.filter(patient=patient).order_by("-admit_date", "-id")[:limit]
    return [
        TimelineEvent(
            kind="encounter",
            at=day_start(row.admit_date),
            title=row.get_kind_display(),
            detail=" · ".join(
                part
                for part in (
                    row.facility,
                    f"until {row.discharge_date:%Y-%m-%d}" if row.discharge_date else "",
                )
                if part
            ),
            source=row.source_system,
        )
        for row in rows
    ]


def screening_events(patient: Patient, limit: int) -> list[TimelineEvent]:
    rows = SdohScreen.objects.filter(patient=patient).order_by("-screened_on", "-id")[:limit]
    return [
        TimelineEvent(
            kind="screening",
            at=day_start(row.screened_on),
            title="Social needs screen (AHC HRSN)",
            detail=", ".join(row.positive_domain_labels) or "no positive domain",
            source=row.source_system,
        )
        for row in rows
    ]
