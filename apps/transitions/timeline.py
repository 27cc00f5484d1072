"""The patient's handoffs (admissions, transfers, discharges) on the chart's timeline."""

from apps.patients.models import Patient
from apps.patients.timeline import TimelineEvent
from apps.transitions.models import Handoff


def handoff_events(patient: Patient, limit: int) -> list[TimelineEvent]:
    rows = Handoff.objects.filter(episode__patient=patient).order_by("-occurred_at", "-id")[:limit]
    return [
        TimelineEvent(
            kind="transition",
            at=row.occurred_at,
            title=row.get_kind_display() + (" (cancelled)" if row.cancelled_at else ""),
            detail=" → ".join(
                part
                for part in (row.get_from_setting_display(), row.get_to_setting_display())
                if part
            )
            + (f" · {row.facility}" if row.facility else ""),
        )
        for row in rows
    ]
