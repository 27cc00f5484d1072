from django.conf import settings
from django.db import models
from django.db.models import F, Q

from apps.accounts.models import Organisation
from apps.core.models import BaseModel
from apps.patients.models import Patient
from apps.teams.models import CareTeam

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


class MeasureSnapshot(models.Model):
    """A figure of the measures page for one calendar month, stored by the nightly job so
    trends are fast and a month's history does not shift once it is over. `team` empty:
    the whole organisation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(
        CareTeam, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    month = models.DateField()
    code = models.SlugField(max_length=60)
    numerator = models.FloatField()
    denominator = models.FloatField()
    rate = models.FloatField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "team", "month", "code"],
                name="one_team_snapshot_per_month",
            ),
            models.UniqueConstraint(
                fields=["organisation", "month", "code"],
                condition=Q(team__isnull=True),
                name="one_organisation_snapshot_per_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.month:%Y-%m}"


# ==== End of time, consent and billing =====================================================
