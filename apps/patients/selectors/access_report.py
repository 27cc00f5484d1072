"""Who saw a patient's record, when, and through which door: the privacy officer's report.

Read from the audit trail: every read of the record (the chart, a list or export that
showed the patient, an emergency access), by person and door (web, API, admin, FHIR,
HL7 v2, a scheduled job). Producing the report is itself audited by the caller's door.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from apps.core.models import AuditAction, AuditEvent, AuditSource
from apps.patients.models import Patient

READS = (
    AuditAction.VIEW,
    AuditAction.LIST,
    AuditAction.EXPORT,
    AuditAction.BREAK_GLASS,
)
ACCESS_REPORT_LIMIT = 5000


@dataclass(frozen=True)
class AccessRow:
    occurred_at: datetime
    person: str
    action: str
    door: str
    what: str
    break_glass: bool
    address: str

    def cells(self) -> list[object]:
        return [
            self.occurred_at.isoformat(),
            self.person,
            self.action,
            self.door,
            self.what,
            "yes" if self.break_glass else "",
            self.address,
        ]


ACCESS_REPORT_COLUMNS = ["When", "Who", "What they did", "Door", "Record", "Emergency", "Address"]


def _reads_of(patient: Patient) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.about_patients([patient.pk]).filter(action__in=READS)


def patient_access_report(
    *, patient: Patient, since: datetime | None = None, until: datetime | None = None
) -> list[AccessRow]:
    """The reads of one patient's record, newest first (at most ACCESS_REPORT_LIMIT).

    The caller has checked that the reader may see this patient's organisation's
    trail (the admin door: its own organisation's patients only).
    """
    events = _reads_of(patient)
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    if until is not None:
        events = events.filter(occurred_at__lt=until)
    doors = dict(AuditSource.choices)
    actions = dict(AuditAction.choices)
    return [
        AccessRow(
            occurred_at=event.occurred_at,
            person=event.actor_username or "(system)",
            action=actions.get(event.action, event.action),
            door=doors.get(event.source, event.source),
            what=f"{event.object_type} {event.object_id}".strip(),
            break_glass=event.break_glass,
            address=event.ip_address or "",
        )
        for event in events.order_by("-occurred_at", "-id")[:ACCESS_REPORT_LIMIT]
    ]
