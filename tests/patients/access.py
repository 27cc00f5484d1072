"""What the patient access-matrix tests check after a refused request."""

from typing import Any

from apps.core.models import AuditAction, AuditEvent
from apps.patients.models import (
    AreaDeprivation,
    BreakGlassAccess,
    Condition,
    Encounter,
    Patient,
    SdohScreen,
)


def patient_data_state() -> tuple[Any, ...]:
    """Every row a write on the patient pages or API could touch."""
    return (
        list(Patient.objects.order_by("pk").values()),
        list(Condition.objects.order_by("pk").values()),
        Encounter.objects.count(),
        SdohScreen.objects.count(),
        list(AreaDeprivation.objects.order_by("pk").values()),
        BreakGlassAccess.objects.count(),
    )


def assert_no_patient_field(response: Any, patient: Patient) -> None:
    body = response.content.decode()
    for value in (patient.family_name, patient.given_name, patient.mrn):
        assert value not in body


def denials(user: Any, patient: Patient) -> int:
    """DENIED events the trail holds for this user on this patient."""
    return AuditEvent.objects.filter(
        actor=user, action=AuditAction.DENIED, patient_id=patient.pk
    ).count()
