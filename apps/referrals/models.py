"""Closed-loop referrals, the resource directory they point at, and their time limits."""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from apps.accounts.models import Organisation
from apps.careplans.models import Goal
from apps.core.models import BaseModel
from apps.patients.models import Patient


def _not_blank(field: str) -> Q:
    """True when the text field holds more than white space (usable in a CheckConstraint)."""
    return Q(GreaterThan(Length(Trim(field)), 0))


class ServiceType(models.TextChoices):
    SPECIALIST = "specialist", "Specialist care"
    BEHAVIORAL_HEALTH = "behavioral_health", "Behavioral health"
    FOOD = "food", "Food"
    HOUSING = "housing", "Housing"
    TRANSPORTATION = "transportation", "Transportation"
    UTILITIES = "utilities", "Utilities"
    LEGAL_AID = "legal_aid", "Legal aid"
    INCOME = "income", "Income and benefits"
    EMPLOYMENT = "employment", "Employment"
    CAREGIVER_SUPPORT = "caregiver_support", "Caregiver support"
    HOME_CARE = "home_care", "Home care"
    OTHER = "other", "Other"


class ResourceOrganisation(BaseModel):
    """A partner outside our organisation: a specialist practice or a community agency.

    Each organisation keeps its own directory; coordinators and admins edit it.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="resource_organisations"
    )
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    address = models.CharField(max_length=255, blank=True)
    notes = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="resource_organisation_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ResourceService(BaseModel):
    """One service a partner offers, with what a coordinator needs to choose it."""

    resource_organisation = models.ForeignKey(
        ResourceOrganisation, on_delete=models.PROTECT, related_name="services"
    )
    name = models.CharField(max_length=200)
    service_type = models.CharField(max_length=32, choices=ServiceType.choices)
    area = models.CharField(
        max_length=200, blank=True, help_text="Where it serves: towns, neighbourhoods, ZIP codes"
    )
    contact_name = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    hours = models.CharField(max_length=200, blank=True, help_text="e.g. Mon-Fri 9-17")
    languages = models.CharField(
        max_length=200, blank=True, help_text="Languages spoken, separated by commas"
    )
    eligibility_notes = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["resource_organisation", "name"], name="resource_service_name_unique"
            ),
        ]
        indexes = [models.Index(fields=["service_type", "is_active"], name="resource_type_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.resource_organisation})"

    @property
    def is_specialist(self) -> bool:
        return self.service_type == ServiceType.SPECIALIST


class ReferralState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    RECEIVED = "received", "Received"
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    CLOSED = "closed", "Closed"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"
    UNABLE_TO_CONTACT = "unable_to_contact", "Unable to contact"


# The loop is open in these states and each of them has time limits.
OPEN_STATES = (
    ReferralState.DRAFT,
    ReferralState.SENT,
    ReferralState.RECEIVED,
    ReferralState.SCHEDULED,
    ReferralState.COMPLETED,
)
FINAL_STATES = (
    ReferralState.CLOSED,
    ReferralState.DECLINED,
    ReferralState.CANCELLED,
    ReferralState.UNABLE_TO_CONTACT,
)
# Ending a referral in one of these needs a reason.
REASON_STATES = (
    ReferralState.DECLINED,
    ReferralState.CANCELLED,
    ReferralState.UNABLE_TO_CONTACT,
)


class ReferralUrgency(models.TextChoices):
    """FHIR ServiceRequest priority codes that apply to referrals, least urgent first."""

    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    ASAP = "asap", "As soon as possible"


class ConsentMethod(models.TextChoices):
    VERBAL = "verbal", "Verbal, noted by staff"
    WRITTEN = "written", "Signed form"
    ELECTRONIC = "electronic", "Electronic signature"


def overdue_condition(now: datetime) -> Q:
    """Open and past its state's first time limit (reminded or not): the one meaning of
    "overdue" for referrals, as a condition for filters, counts and annotations alike.
    `ReferralQuerySet.overdue` and `Referral.is_overdue` say the same."""
    return Q(state__in=OPEN_STATES, remind_at__lte=now)


def escalation_due_condition(now: datetime) -> Q:
    """Open and past its state's second time limit: the escalation is due (or was sent)."""
    return Q(state__in=OPEN_STATES, escalate_at__lte=now)


class ReferralQuerySet(models.QuerySet["Referral"]):
    def open(self) -> "ReferralQuerySet":
        return self.filter(state__in=OPEN_STATES)

    def overdue(self, now: datetime) -> "ReferralQuerySet":
        return self.filter(overdue_condition(now))

    def escalation_due(self, now: datetime) -> "ReferralQuerySet":
        return self.filter(escalation_due_condition(now))


class Referral(BaseModel):
    """One referral of one patient to a specialist or a community service, followed to closure.

    The state changes only through the transition table in `states.py`. The
    timestamps `remind_at` / `escalate_at` are computed when a state is entered
    (business days, organisation settings), so the reminder sweep is an index
    range scan; `reminder_sent_at` / `escalation_sent_at` mark the steps done.
    The database refuses a closed loop without a documented result.
    """

    objects = ReferralQuerySet.as_manager()

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="referrals")
    service = models.ForeignKey(ResourceService, on_delete=models.PROTECT, related_name="referrals")
    specialist_name = models.CharField(
        max_length=200, blank=True, help_text="A named clinician or contact, if any"
    )
    reason = models.TextField()
    goal = models.ForeignKey(
        Goal,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
        help_text="The care plan goal this referral serves, if any",
    )
    urgency = models.CharField(
        max_length=10, choices=ReferralUrgency.choices, default=ReferralUrgency.ROUTINE
    )
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_referrals"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    consent_given = models.BooleanField(default=False)
    consent_method = models.CharField(max_length=16, choices=ConsentMethod.choices, blank=True)
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    state = models.CharField(
        max_length=20, choices=ReferralState.choices, default=ReferralState.DRAFT
    )
    state_reason = models.TextField(blank=True)
    state_entered_at = models.DateTimeField(default=timezone.now)
    # Counts the states entered so far; part of the reminder keys, so a state
    # entered again later gets fresh reminders while a repeated sweep sends none.
    state_sequence = models.PositiveIntegerField(default=1)
    remind_at = models.DateTimeField(null=True, blank=True)
    escalate_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    escalation_sent_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    snooze_count = models.PositiveSmallIntegerField(default=0)

    appointment_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    result_summary = models.TextField(blank=True, help_text="What happened")
    result_reported_by = models.CharField(
        max_length=200, blank=True, help_text="Who gave the result or feedback"
    )
    result_documented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    result_documented_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=ReferralState.values), name="referral_state_known"
            ),
            models.CheckConstraint(
                condition=Q(urgency__in=ReferralUrgency.values), name="referral_urgency_known"
            ),
            models.CheckConstraint(condition=_not_blank("reason"), name="referral_has_a_reason"),
            models.CheckConstraint(
                condition=~Q(state=ReferralState.CLOSED)
                | (
                    _not_blank("result_summary")
                    & _not_blank("result_reported_by")
                    & Q(result_documented_by__isnull=False)
                    & Q(result_documented_at__isnull=False)
                ),
                name="closed_referral_has_documented_result",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=REASON_STATES) | _not_blank("state_reason"),
                name="ended_referral_has_a_reason",
            ),
            models.CheckConstraint(
                condition=Q(state__in=OPEN_STATES)
                | (Q(remind_at__isnull=True) & Q(escalate_at__isnull=True)),
                name="ended_referral_has_no_timers",
            ),
            models.CheckConstraint(
                condition=Q(consent_given=False)
                | (Q(consent_recorded_at__isnull=False) & ~Q(consent_method="")),
                name="referral_consent_is_documented",
            ),
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True) | Q(consent_given=True),
                name="sent_referral_has_consent",
            ),
        ]
        indexes = [
            # The sweep's two range scans: pending steps only, so the indexes
            # stay as small as the number of open loops.
            models.Index(
                fields=["remind_at"],
                condition=Q(remind_at__isnull=False, reminder_sent_at__isnull=True),
                name="referral_remind_due_idx",
            ),
            models.Index(
                fields=["escalate_at"],
                condition=Q(escalate_at__isnull=False, escalation_sent_at__isnull=True),
                name="referral_escalate_due_idx",
            ),
            models.Index(
                fields=["state", "state_entered_at"],
                condition=Q(state__in=OPEN_STATES),
                name="referral_open_state_idx",
            ),
            models.Index(fields=["patient", "created_at"], name="referral_patient_idx"),
            models.Index(fields=["owner", "state"], name="referral_owner_state_idx"),
            models.Index(fields=["service", "state"], name="referral_service_state_idx"),
        ]

    def __str__(self) -> str:
        return f"Referral #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def target_kind(self) -> str:
        return "specialist" if self.service.is_specialist else "community service"

    def is_overdue(self, now: datetime | None = None) -> bool:
        """The row form of `overdue_condition`: open and past its first time limit."""
        return (
            self.is_open
            and self.remind_at is not None
            and self.remind_at <= (now or timezone.now())
        )

    def is_escalation_due(self, now: datetime | None = None) -> bool:
        """The row form of `escalation_due_condition`."""
        return (
            self.is_open
            and self.escalate_at is not None
            and self.escalate_at <= (now or timezone.now())
        )


class ReferralEventKind(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Details changed"
    CONSENT_RECORDED = "consent_recorded", "Consent recorded"
    STATE_CHANGED = "state_changed", "State changed"
    REASSIGNED = "reassigned", "Owner changed"
    SNOOZED = "snoozed", "Reminder snoozed"
    REMINDED = "reminded", "Reminder sent"
    ESCALATED = "escalated", "Escalated"


class ReferralEvent(models.Model):
    """The referral's timeline: who changed what, when, and why."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=ReferralEventKind.choices)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    # Identifiers and field names only (e.g. {"fields": [...], "recipient_id": 7}).
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["referral", "occurred_at"], name="referral_event_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on referral {self.referral_id}"

    @property
    def from_state_label(self) -> str:
        return ReferralState(self.from_state).label if self.from_state else ""

    @property
    def to_state_label(self) -> str:
        return ReferralState(self.to_state).label if self.to_state else ""


class ReferralSettings(BaseModel):
    """An organisation's referral rules; created with defaults on first use."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="referral_settings"
    )
    max_snooze_business_days = models.PositiveSmallIntegerField(
        default=10, help_text="The furthest a reminder may be snoozed, in business days"
    )

    class Meta:
        verbose_name = "referral settings"
        verbose_name_plural = "referral settings"

    def __str__(self) -> str:
        return f"Referral settings of {self.organisation}"


class ReferralTimeLimit(models.Model):
    """How long a referral may stay in a state, in business days, before a reminder and
    then an escalation. Counted from entering the state (for Scheduled: from the
    appointment, when one is recorded). Changes apply to states entered afterwards."""

    settings = models.ForeignKey(
        ReferralSettings, on_delete=models.CASCADE, related_name="time_limits"
    )
    state = models.CharField(max_length=20, choices=ReferralState.choices)
    urgency = models.CharField(max_length=10, choices=ReferralUrgency.choices)
    remind_after_business_days = models.PositiveSmallIntegerField()
    escalate_after_business_days = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["settings", "state", "urgency"]
        constraints = [
            models.UniqueConstraint(
                fields=["settings", "state", "urgency"], name="one_time_limit_per_state_urgency"
            ),
            models.CheckConstraint(
                condition=Q(state__in=OPEN_STATES), name="time_limit_for_an_open_state"
            ),
            models.CheckConstraint(
                condition=Q(remind_after_business_days__gte=1)
                & Q(escalate_after_business_days__gt=models.F("remind_after_business_days")),
                name="escalation_comes_after_the_reminder",
                violation_error_message=(
                    "The reminder needs at least one business day and the escalation must "
                    "come after it."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_state_display()} / {self.get_urgency_display()}"
