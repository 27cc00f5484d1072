"""The patient's care plan versions on the chart's timeline (apps.patients.timeline)."""

from django.urls import reverse

from apps.careplans.models import CarePlanVersion
from apps.patients.models import Patient
from apps.patients.timeline import TimelineEvent


def plan_version_events(patient: Patient, limit: int) -> list[TimelineEvent]:
    rows = CarePlanVersion.objects.filter(plan__patient=patient).order_by("-created_at", "-id")[
        :limit
    ]
    link = reverse("careplans:plan", args=[patient.pk])
    return [
        TimelineEvent(
            kind="plan",
            at=row.created_at,
            title=f"Care plan version {row.number}",
            detail=row.summary + (" · signed" if row.signed_at else ""),
            link=link,
        )
        for row in rows
    ]
