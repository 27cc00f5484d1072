from django.db import models
from django.db.models import Q

from apps.accounts.models import Organisation
from apps.core.models import BaseModel
from apps.patients.models import Patient, SdohScreen
from apps.tasks.models import Task

# --- who gets coordination first (DOMAIN 7): triage, enrolment --------------------------
# (this block: same-day triage of urgent social needs, programme enrolment)


class TriageStatus(models.TextChoices):
    OPEN = "open", "Waiting"
    DONE = "done", "Handled"
    CANCELLED = "cancelled", "Cancelled with its task"


class TriageItem(BaseModel):
    """A screen that showed an urgent social need: one per screen, on the same-day queue
    until the lead's task for it is done. Without a live lead the item stays on the queue
    with no task and says why (orphaned work is shown, never hidden)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="triage_items")
    screen = models.OneToOneField(SdohScreen, on_delete=models.CASCADE, related_name="triage_item")
    needs = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=TriageStatus.choices, default=TriageStatus.OPEN
    )
    task = models.OneToOneField(
        Task, null=True, blank=True, on_delete=models.PROTECT, related_name="triage_item"
    )
    unowned_reason = models.CharField(max_length=200, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | (~Q(status="open") & Q(closed_at__isnull=False)),
                name="triage_closed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(task__isnull=False) | ~Q(unowned_reason=""),
                name="triage_task_or_why_not",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status", "created_at"], name="triage_queue_idx")
        ]

    def __str__(self) -> str:
        return f"triage #{self.pk} ({self.status})"


# --- end of the DOMAIN 7 block ------------------------------------------------------------
