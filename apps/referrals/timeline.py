"""The patient's referrals on the chart's timeline (apps.patients.timeline)."""

from django.urls import reverse

from apps.patients.models import Patient
from apps.patients.timeline import TimelineEvent
from apps.referrals.models import Referral


def referral_events(patient: Patient, limit: int) -> list[TimelineEvent]:
    rows = (
        Referral.objects.filter(patient=patient)
        .select_related("service")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        TimelineEvent(
            kind="referral",
            at=row.created_at,
            title=f"Referral to {row.service.name}",
            detail=row.get_state_display(),
            link=reverse("referrals:detail", args=[row.pk]),
        )
        for row in rows
    ]
