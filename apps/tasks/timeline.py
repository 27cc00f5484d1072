"""The patient's tasks on the chart's timeline (apps.patients.timeline)."""

from django.urls import reverse

from apps.patients.models import Patient
from apps.patients.timeline import TimelineEvent
from apps.tasks.models import Task


def task_events(patient: Patient, limit: int) -> list[TimelineEvent]:
    rows = Task.objects.filter(patient=patient).order_by("-created_at", "-id")[:limit]
    return [
        TimelineEvent(
            kind="task",
            at=row.created_at,
            title=row.title,
            detail=f"{row.get_status_display()} · due {row.due_at:%Y-%m-%d}",
            link=reverse("tasks:detail", args=[row.pk]),
        )
        for row in rows
    ]
