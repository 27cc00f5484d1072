"""The chart's record: medications, allergies, appointments, documents and the timeline.

Access goes through the patient (`patient_get_for_user` checks the team or a
break-glass and audits the read); another team's patient is "not found".
"""

from collections.abc import Iterable
from dataclasses import dataclass

from apps.accounts.models import User
from apps.patients.models import (
    Allergy,
    AllergyStatus,
    Appointment,
    ClinicalDocument,
    Medication,
    MedicationStatus,
    Patient,
)
from apps.patients.selectors import patient_get_for_user
from apps.patients.timeline import TimelineEvent, patient_timeline

RECENT_DOCUMENTS = 20
RECENT_APPOINTMENTS = 20


@dataclass
class RecordSection:
    patient: Patient
    medications: list[Medication]
    stopped_medications: list[Medication]
    allergies: list[Allergy]
    appointments: list[Appointment]
    documents: list[ClinicalDocument]
    timeline: list[TimelineEvent]


def active_medications(patient: Patient) -> list[Medication]:
    """The chart's active medication list, the "before" list of a new reconciliation."""
    return list(
        Medication.objects.filter(patient=patient, status=MedicationStatus.ACTIVE).order_by(
            "display", "id"
        )
    )


def patient_record_for_user(
    *, user: User, patient_id: int | str, kinds: Iterable[str] = ()
) -> RecordSection:
    patient = patient_get_for_user(user=user, patient_id=patient_id)
    return RecordSection(
        patient=patient,
        medications=active_medications(patient),
        stopped_medications=list(
            Medication.objects.filter(patient=patient, status=MedicationStatus.STOPPED).order_by(
                "-end_date", "display", "id"
            )[:20]
        ),
        allergies=list(
            Allergy.objects.filter(patient=patient).order_by("-status", "substance_display", "id")
        ),
        appointments=list(
            Appointment.objects.filter(patient=patient).order_by("-start", "-id")[
                :RECENT_APPOINTMENTS
            ]
        ),
        documents=list(
            ClinicalDocument.objects.filter(patient=patient).order_by("-document_date", "-id")[
                :RECENT_DOCUMENTS
            ]
        ),
        timeline=patient_timeline(patient, kinds=kinds),
    )


__all__ = ["AllergyStatus", "RecordSection", "active_medications", "patient_record_for_user"]
