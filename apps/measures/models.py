from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

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


# ==== Time, consent and billing (DOMAIN 9) ================================================
# Migration: 00NN_time_consent_billing.py. Kept together so the risk-tier models of the
# same app merge beside them without touching this block.

# Longest single time entry: a typo (600 for 60) is refused, not billed.
MAX_ENTRY_MINUTES = 480


class Activity(models.TextChoices):
    CARE_PLAN = "care_plan", "Care plan: creating or revising"
    MEDICATIONS = "medications", "Medication management"
    COORDINATION = "coordination", "Coordinating with other providers"
    COMMUNICATION = "communication", "Talking with the patient or caregiver"
    TRANSITION = "transition", "Transition of care follow-up"
    COMMUNITY = "community", "Community resources and referrals"
    OTHER = "other", "Other care management"


class TimeEntryQuerySet(models.QuerySet["TimeEntry"]):
    def running(self) -> "TimeEntryQuerySet":
        return self.filter(minutes__isnull=True)

    def logged(self) -> "TimeEntryQuerySet":
        return self.filter(minutes__isnull=False)


class TimeEntry(BaseModel):
    """Minutes of care management for one patient, by one person.

    A running timer is an entry without minutes (one per person); stopping it
    fills them in. `month` is the first day of the practice's calendar month
    (organisation time zone) in which the work started: the month it bills in.
    """

    objects = TimeEntryQuerySet.as_manager()

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="time_entries")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_entries"
    )
    started_at = models.DateTimeField()
    minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty while the timer runs"
    )
    month = models.DateField(help_text="First day of the practice's month the work counts in")
    activity = models.CharField(max_length=16, choices=Activity.choices)
    clinical_staff_time = models.BooleanField(
        default=True,
        help_text="Clinical staff time (counts for CCM); untick for a physician's own time",
    )
    note = models.CharField(
        max_length=200,
        blank=True,
        help_text="What was done, in a few words; no patient details needed",
    )

    class Meta:
        verbose_name_plural = "time entries"
        indexes = [models.Index(fields=["organisation", "month", "patient"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(minutes__isnull=True), name="one_running_timer"
            ),
            models.CheckConstraint(
                condition=Q(minutes__isnull=True)
                | Q(minutes__gte=1, minutes__lte=MAX_ENTRY_MINUTES),
                name="time_entry_minutes_in_range",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="time_entry_month_is_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.minutes or 'running'} min on {self.started_at:%Y-%m-%d}"


class ConsentMethod(models.TextChoices):
    VERBAL = "verbal", "Verbal (documented in the record)"
    WRITTEN = "written", "Written"


class CcmConsent(BaseModel):
    """A patient's consent to chronic care management; revoking keeps the row.

    A revocation takes effect at the end of its calendar month, so the month
    it was revoked in still counts.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="ccm_consents")
    method = models.CharField(max_length=8, choices=ConsentMethod.choices)
    given_on = models.DateField()
    given_by = models.CharField(
        max_length=120, help_text="Who gave it: the patient, or their representative's role"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    revoked_on = models.DateField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=200, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(revoked_on__isnull=True), name="one_open_consent"
            ),
            models.CheckConstraint(
                condition=Q(revoked_on__isnull=True) | Q(revoked_on__gte=F("given_on")),
                name="consent_revoked_after_given",
            ),
        ]

    def __str__(self) -> str:
        return f"CCM consent of {self.given_on}"


class BillingMonth(BaseModel):
    """A practice's closed month: its report rows are frozen and its time entries locked."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    month = models.DateField()
    closed_at = models.DateTimeField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "month"], name="one_close_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="billing_month_is_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} closed"


class BillingRow(models.Model):
    """One patient's line of a closed month's report, as it stood when the month closed."""

    billing_month = models.ForeignKey(BillingMonth, on_delete=models.CASCADE, related_name="rows")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(CareTeam, on_delete=models.PROTECT, related_name="+")
    staff_minutes = models.PositiveIntegerField()
    practitioner_minutes = models.PositiveIntegerField()
    consent = models.BooleanField()
    chronic_conditions = models.PositiveSmallIntegerField()
    codes = models.JSONField(default=list, help_text='[{"code": "99490", "units": 1}, ...]')
    reasons = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["billing_month", "patient"], name="one_billing_row_per_patient"
            ),
        ]

    def __str__(self) -> str:
        return f"Billing row {self.pk}"


class StoredFigure(models.Model):
    """A figure of the measures page stored by the nightly job, for a team, for a
    coordinator (the patients of the teams they led when it was stored), or, with
    neither, for the whole organisation. Counts of teams add up to the organisation's."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(
        CareTeam, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    code = models.SlugField(max_length=60)
    numerator = models.FloatField()
    denominator = models.FloatField()
    rate = models.FloatField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        abstract = True


def one_row_per_scope(
    period: list[str], *, team: str, organisation: str, coordinator: str, either: str
) -> list[models.BaseConstraint]:
    """A stored figure's constraints: one row per code and period for each team, for the
    whole organisation, and for each coordinator; a row is for a team or a coordinator."""
    return [
        models.UniqueConstraint(fields=["organisation", "team", *period, "code"], name=team),
        models.UniqueConstraint(
            fields=["organisation", *period, "code"],
            condition=Q(team__isnull=True, coordinator__isnull=True),
            name=organisation,
        ),
        models.UniqueConstraint(
            fields=["organisation", "coordinator", *period, "code"],
            condition=Q(coordinator__isnull=False),
            name=coordinator,
        ),
        models.CheckConstraint(
            condition=Q(team__isnull=True) | Q(coordinator__isnull=True), name=either
        ),
    ]


class MeasureSnapshot(StoredFigure):
    """A calendar month's figures, so trends are fast and a month's history does not shift
    once it is over."""

    month = models.DateField()

    class Meta:
        constraints = one_row_per_scope(
            ["month"],
            team="one_team_snapshot_per_month",
            organisation="one_organisation_snapshot_per_month",
            coordinator="one_coordinator_snapshot_per_month",
            either="snapshot_for_a_team_or_a_coordinator",
        )

    def __str__(self) -> str:
        return f"{self.code} {self.month:%Y-%m}"


class PeriodSnapshot(StoredFigure):
    """The figures of the page's default period (the days up to the night it was stored),
    so the page a programme lead opens first is read, not computed. Each night's rows
    replace the night before's; any other period is computed live."""

    start = models.DateField()
    end = models.DateField()

    class Meta:
        constraints = one_row_per_scope(
            ["start", "end"],
            team="one_team_figure_per_period",
            organisation="one_organisation_figure_per_period",
            coordinator="one_coordinator_figure_per_period",
            either="period_figure_for_a_team_or_a_coordinator",
        )

    def __str__(self) -> str:
        return f"{self.code} {self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"


# ==== End of time, consent and billing =====================================================
