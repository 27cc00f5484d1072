from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.accounts.models import Organisation
from apps.core.models import BaseModel
from apps.patients.models import Patient, RiskTier, SdohScreen
from apps.tasks.models import Task
from apps.teams.models import CareTeam, TeamMembership

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


class EnrolmentStatus(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    ENROLLED = "enrolled", "Enrolled"
    DECLINED = "declined", "Declined"
    DISENROLLED = "disenrolled", "Disenrolled"


class Enrolment(BaseModel):
    """A patient's place in their care team's proactive coordination programme: eligible,
    enrolled (with a coordinator), declined or disenrolled, each with its date and reason.
    Moves follow apps.measures.enrolment.ENROLMENT_STATES."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="enrolments")
    team = models.ForeignKey(
        CareTeam, on_delete=models.PROTECT, related_name="enrolments", verbose_name="programme"
    )
    status = models.CharField(
        max_length=12, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ELIGIBLE
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enrolled_patients",
    )
    eligible_on = models.DateField()
    enrolled_on = models.DateField(null=True, blank=True)
    declined_on = models.DateField(null=True, blank=True)
    disenrolled_on = models.DateField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why the patient declined or left")
    # The risk and predicted benefit when the decision was made (the worklist's figures).
    risk_probability = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    benefit = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "team"], name="one_enrolment_per_programme"),
            models.CheckConstraint(
                condition=~Q(status="enrolled")
                | Q(enrolled_on__isnull=False, coordinator__isnull=False),
                name="enrolled_has_date_and_coordinator",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["declined", "disenrolled"]) | ~Q(reason=""),
                name="declined_or_disenrolled_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "status"], name="enrolment_team_status_idx"),
            models.Index(fields=["coordinator", "status"], name="enrolment_coordinator_idx"),
        ]

    def __str__(self) -> str:
        return f"enrolment #{self.pk} ({self.status})"


class PrioritySettings(BaseModel):
    """How an organisation prioritises enrolment: the relative risk reduction expected from
    enrolment in each risk-tier segment, which tiers are eligible, and the default panel
    size of a coordinator. The reductions are illustrative defaults to set locally from the
    programme's own evaluation (see apps.measures.enrolment)."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="priority_settings"
    )
    reduction_low = models.DecimalField(
        "relative risk reduction if enrolled: low tier",
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.050"),
    )
    reduction_rising = models.DecimalField(
        "relative risk reduction if enrolled: rising tier",
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.250"),
    )
    reduction_high = models.DecimalField(
        "relative risk reduction if enrolled: high tier",
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.200"),
    )
    reduction_very_high = models.DecimalField(
        "relative risk reduction if enrolled: very high tier",
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.100"),
    )
    eligible_from = models.CharField(
        "eligible from the tier",
        max_length=10,
        choices=RiskTier.choices,
        default=RiskTier.RISING,
    )
    default_panel_size = models.PositiveSmallIntegerField(
        default=50, help_text="Enrolled patients per coordinator unless set on their membership"
    )

    class Meta:
        verbose_name = "enrolment priority settings"
        verbose_name_plural = "enrolment priority settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(reduction_low__gte=0, reduction_low__lte=1)
                & Q(reduction_rising__gte=0, reduction_rising__lte=1)
                & Q(reduction_high__gte=0, reduction_high__lte=1)
                & Q(reduction_very_high__gte=0, reduction_very_high__lte=1),
                name="priority_reductions_are_fractions",
                violation_error_message="A relative risk reduction is a fraction from 0 to 1.",
            ),
        ]

    def __str__(self) -> str:
        return f"Enrolment priorities of {self.organisation}"


class CoordinatorPanel(BaseModel):
    """A coordinator's own panel size on one team (else the organisation's default)."""

    membership = models.OneToOneField(
        TeamMembership, on_delete=models.CASCADE, related_name="panel"
    )
    panel_size = models.PositiveSmallIntegerField()

    def __str__(self) -> str:
        return f"panel of {self.panel_size}"


# --- end of the DOMAIN 7 block ------------------------------------------------------------
