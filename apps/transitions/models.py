"""Transitions of care: an episode is a chain of handoffs between settings.

An episode starts when a patient leaves the community (an admission, an ED
registration) and ends 30 days after they are back home (the readmission
watch) or when the chain ends otherwise (death, cancellation). Every handoff
that moves care to another setting carries a checklist; the discharge of a
patient to home or the community starts the post-discharge follow-up.
"""

from datetime import time
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from apps.accounts.models import Organisation
from apps.core.models import BaseModel
from apps.patients.models import Appointment, ContactLog, Patient
from apps.tasks.models import Task


def _probability(default: str, help_text: str) -> models.DecimalField:
    return models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("0.999"))],
        help_text=help_text,
    )


PROBABILITY_FIELDS = (
    "base_handoff_failure",
    "weight_summary_missing",
    "weight_reconciliation_missing",
    "weight_verification_missing",
    "weight_follow_up_not_booked",
    "weight_teach_back_missing",
    "weight_plan_review_missing",
)


class Complexity(models.TextChoices):
    """Medical decision-making complexity of the transition (TCM 99496 vs 99495)."""

    HIGH = "high", "High"
    MODERATE = "moderate", "Moderate"


class TransitionSettings(BaseModel):
    """An organisation's follow-up rules and chain-risk estimates, editable in the admin.

    Chain risk: a handoff fails (the patient is harmed or readmitted because
    something fell through) with probability
        p = 1 - (1 - base) * product over missing checklist items of (1 - weight)
    and the journey is clean with probability product over handoffs of (1 - p).
    The defaults are planning estimates chosen so that the items literature and
    practice rank highest (reconciliation, the summary reaching the PCP, a
    booked visit) weigh most; each organisation should replace them with its
    own audited rates.
    """

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="transition_settings"
    )
    contact_business_days = models.PositiveSmallIntegerField(
        default=2, help_text="Interactive contact due this many business days after discharge"
    )
    visit_days_high = models.PositiveSmallIntegerField(
        default=7, help_text="Face-to-face visit due this many days after discharge (high)"
    )
    visit_days_moderate = models.PositiveSmallIntegerField(
        default=14, help_text="Face-to-face visit due this many days after discharge (moderate)"
    )
    readmission_window_days = models.PositiveSmallIntegerField(
        default=30, help_text="An admission this many days after a discharge home is a readmission"
    )
    due_time = models.TimeField(
        default=time(17, 0), help_text="Local time of day follow-up tasks fall due"
    )
    default_complexity = models.CharField(
        max_length=10,
        choices=Complexity.choices,
        default=Complexity.HIGH,
        help_text=(
            "Used when neither the episode nor the patient's complexity flag says; "
            "high is the safer default (the visit falls due sooner)"
        ),
    )
    base_handoff_failure = _probability(
        "0.020", "Failure probability of a handoff whose checklist is complete"
    )
    weight_summary_missing = _probability(
        "0.120", "Added risk when the PCP has not received the discharge summary"
    )
    weight_reconciliation_missing = _probability(
        "0.150", "Added risk when medication reconciliation is not done"
    )
    weight_verification_missing = _probability(
        "0.060", "Added risk when the reconciliation is not pharmacist-verified"
    )
    weight_follow_up_not_booked = _probability(
        "0.100", "Added risk when no follow-up appointment was booked before discharge"
    )
    weight_teach_back_missing = _probability(
        "0.080", "Added risk when warning signs were not taught back"
    )
    weight_plan_review_missing = _probability(
        "0.040", "Added risk when no care plan review was triggered"
    )

    class Meta:
        verbose_name = "transition settings"
        verbose_name_plural = "transition settings"
        # A probability of 1 or more would make every journey certain to fail (and a
        # negative one would raise the clean chance above 1): refused below any door.
        constraints = [
            models.CheckConstraint(
                condition=Q(**{f"{name}__gte": 0}) & Q(**{f"{name}__lt": 1}),
                name=f"transitions_{name}_in_0_1",
            )
            for name in PROBABILITY_FIELDS
        ]

    def __str__(self) -> str:
        return f"Transition settings of organisation {self.organisation_id}"


class Setting(models.TextChoices):
    """Where the patient is: the links of an episode's chain."""

    HOME = "home", "Home"
    COMMUNITY = "community", "Community (assisted living, shelter, other residence)"
    HOME_HEALTH = "home_health", "Home with home health"
    EMERGENCY = "emergency", "Emergency department"
    HOSPITAL = "hospital", "Hospital"
    SNF = "snf", "Skilled nursing facility"
    REHAB = "rehab", "Rehabilitation facility"
    LONG_TERM_CARE = "long_term_care", "Long-term care hospital"
    PSYCHIATRIC = "psychiatric", "Psychiatric facility"
    HOSPICE = "hospice", "Hospice facility"
    EXPIRED = "expired", "Died"
    UNKNOWN = "unknown", "Unknown"


# Settings in which the patient is back in the community: discharge to one of
# them starts the post-discharge follow-up.
COMMUNITY_SETTINGS = frozenset({Setting.HOME, Setting.COMMUNITY, Setting.HOME_HEALTH})
FACILITY_SETTINGS = frozenset(
    {
        Setting.EMERGENCY,
        Setting.HOSPITAL,
        Setting.SNF,
        Setting.REHAB,
        Setting.LONG_TERM_CARE,
        Setting.PSYCHIATRIC,
        Setting.HOSPICE,
    }
)


class EpisodeStatus(models.TextChoices):
    IN_CARE = "in_care", "In a facility"
    IN_TRANSIT = "in_transit", "Discharged to another facility, arrival not yet recorded"
    FOLLOW_UP = "follow_up", "Home; follow-up and readmission watch running"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_EPISODE_STATUSES = (EpisodeStatus.IN_CARE, EpisodeStatus.IN_TRANSIT)


class Episode(BaseModel):
    """One journey away from home and back: a chain of handoffs between settings."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="episodes")
    status = models.CharField(
        max_length=12, choices=EpisodeStatus.choices, default=EpisodeStatus.IN_CARE
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    complexity = models.CharField(
        max_length=10,
        choices=Complexity.choices,
        blank=True,
        help_text=(
            "Decision-making complexity for the follow-up visit (7 days high, 14 moderate); "
            "blank: the patient's complexity flag, else the organisation default"
        ),
    )
    # Set on discharge home: until then an admission counts as a readmission.
    watch_until = models.DateTimeField(null=True, blank=True)
    readmission_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="readmissions",
        help_text="The episode this one re-admits the patient from, within the watch window",
    )
    readmitted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the patient was readmitted inside the watch"
    )

    class Meta:
        indexes = [
            models.Index(fields=["patient", "status"], name="episode_patient_status_idx"),
            models.Index(
                fields=["watch_until"],
                condition=Q(status="follow_up"),
                name="episode_watch_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Episode #{self.pk}"


class HandoffKind(models.TextChoices):
    ADMISSION = "admission", "Admission"
    REGISTRATION = "registration", "Registration (ED or outpatient)"
    TRANSFER = "transfer", "Transfer within the facility"
    DISCHARGE = "discharge", "Discharge"


class HandoffSource(models.TextChoices):
    HL7 = "hl7", "HL7 ADT message"
    PHONE = "phone", "Phone call"
    FAX = "fax", "Fax"
    MANUAL = "manual", "Entered by hand"


class Handoff(BaseModel):
    """One link of the chain: care moves into, within, or out of a setting.

    Discharges carry a checklist (care changes hands there); admissions and
    transfers within a facility are recorded to show the chain and to match
    later messages by visit number.
    """

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="handoffs")
    sequence = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=HandoffKind.choices)
    occurred_at = models.DateTimeField()
    from_setting = models.CharField(max_length=16, choices=Setting.choices)
    to_setting = models.CharField(max_length=16, choices=Setting.choices)
    facility = models.CharField(max_length=120, blank=True, help_text="The facility involved")
    location = models.CharField(max_length=120, blank=True, help_text="Unit, room, bed")
    visit_number = models.CharField(max_length=64, blank=True)
    patient_class = models.CharField(max_length=4, blank=True, help_text="HL7 PV1-2")
    disposition = models.CharField(
        max_length=20, blank=True, help_text="Discharge disposition code (PV1-36)"
    )
    discharged_to = models.CharField(
        max_length=120, blank=True, help_text="Discharged-to location (PV1-37)"
    )
    source = models.CharField(max_length=8, choices=HandoffSource.choices)
    source_reference = models.CharField(
        max_length=120, blank=True, help_text="Message control id or who phoned/faxed"
    )
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    inferred = models.BooleanField(
        default=False, help_text="Implied by a later message (the original was never received)"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["episode_id", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "sequence"], name="handoff_sequence_unique_in_episode"
            ),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | ~Q(cancel_reason=""),
                name="cancelled_handoff_has_a_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["visit_number"], name="handoff_visit_idx"),
            models.Index(
                fields=["kind", "occurred_at"],
                condition=Q(cancelled_at__isnull=True),
                name="handoff_live_kind_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_live(self) -> bool:
        return self.cancelled_at is None

    @property
    def has_checklist(self) -> bool:
        return self.kind == HandoffKind.DISCHARGE


class ChecklistItemCode(models.TextChoices):
    SUMMARY_RECEIVED = "summary_received", "Discharge summary received by the PCP"
    RECONCILIATION_DONE = "reconciliation_done", "Medication reconciliation done"
    RECONCILIATION_VERIFIED = "reconciliation_verified", "Reconciliation verified by a pharmacist"
    FOLLOW_UP_BOOKED = "follow_up_booked", "Follow-up appointment booked before discharge"
    WARNING_SIGNS_TAUGHT_BACK = "warning_signs_taught_back", "Warning signs taught back"
    PLAN_REVIEW_TRIGGERED = "plan_review_triggered", "Care plan review triggered"


# Items kept by the system from the reconciliation's state; never ticked by hand.
DERIVED_ITEMS = frozenset(
    {ChecklistItemCode.RECONCILIATION_DONE, ChecklistItemCode.RECONCILIATION_VERIFIED}
)


class ChecklistItem(BaseModel):
    """One step of a handoff's checklist, done (with when and by whom) or not."""

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="checklist")
    code = models.CharField(max_length=32, choices=ChecklistItemCode.choices)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["handoff", "code"], name="one_item_per_code"),
        ]

    def __str__(self) -> str:
        return f"{self.get_code_display()} ({'done' if self.done_at else 'open'})"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def booked_after_discharge(self) -> bool:
        """A follow-up booked only once the patient had left: done, but not as the item asks."""
        return (
            self.code == ChecklistItemCode.FOLLOW_UP_BOOKED
            and self.done_at is not None
            and self.done_at > self.handoff.occurred_at
        )


class ReconciliationStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    AWAITING_VERIFICATION = "awaiting_verification", "Done, awaiting pharmacist verification"
    VERIFIED = "verified", "Verified"


class MedicationReconciliation(BaseModel):
    """The pre-admission medication list against the discharge list, for one discharge.

    Verification is a Task with verification_role pharmacist; the tasks app
    refuses a verifier who performed the work.
    """

    handoff = models.OneToOneField(Handoff, on_delete=models.CASCADE, related_name="reconciliation")
    status = models.CharField(
        max_length=24,
        choices=ReconciliationStatus.choices,
        default=ReconciliationStatus.IN_PROGRESS,
    )
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    performed_at = models.DateTimeField(null=True, blank=True)
    verification_task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True)
                | Q(performed_by__isnull=True)
                | ~Q(verified_by=models.F("performed_by")),
                name="reconciliation_verifier_is_not_the_performer",
            ),
        ]

    def __str__(self) -> str:
        return f"Reconciliation #{self.pk}"


class MedicationClass(models.TextChoices):
    CONTINUED = "continued", "Continued"
    CHANGED = "changed", "Changed"
    NEW = "new", "New"
    STOPPED = "stopped", "Stopped"
    OMISSION = "omission", "Unexplained omission"


class MedicationLine(BaseModel):
    """One medication on the pre-admission list, the discharge list, or both.

    The classification follows from the two sides: on both and the same is
    continued, on both and different in dose, route or frequency is changed,
    only at discharge is new, only before admission is stopped when a reason
    is given and an unexplained omission otherwise. Omissions and changes
    without a reason are discrepancies that block completion.
    """

    reconciliation = models.ForeignKey(
        MedicationReconciliation, on_delete=models.CASCADE, related_name="lines"
    )
    name = models.CharField(max_length=120)
    on_pre_admission = models.BooleanField(default=False)
    pre_dose = models.CharField(max_length=60, blank=True)
    pre_route = models.CharField(max_length=30, blank=True)
    pre_frequency = models.CharField(max_length=60, blank=True)
    on_discharge = models.BooleanField(default=False)
    discharge_dose = models.CharField(max_length=60, blank=True)
    discharge_route = models.CharField(max_length=30, blank=True)
    discharge_frequency = models.CharField(max_length=60, blank=True)
    classification = models.CharField(max_length=10, choices=MedicationClass.choices)
    reason = models.CharField(
        max_length=300, blank=True, help_text="Why it changed or stopped (resolves a discrepancy)"
    )

    class Meta:
        ordering = ["reconciliation_id", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(on_pre_admission=True) | Q(on_discharge=True),
                name="medication_on_at_least_one_list",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.classification})"

    @property
    def changed_attributes(self) -> list[str]:
        if not (self.on_pre_admission and self.on_discharge):
            return []
        pairs = (
            ("dose", self.pre_dose, self.discharge_dose),
            ("route", self.pre_route, self.discharge_route),
            ("frequency", self.pre_frequency, self.discharge_frequency),
        )
        return [name for name, before, after in pairs if _norm(before) != _norm(after)]

    @property
    def is_discrepancy(self) -> bool:
        return self.classification == MedicationClass.OMISSION or (
            self.classification == MedicationClass.CHANGED and not self.reason.strip()
        )


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


class FollowUpStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the follow-up job"
    SCHEDULED = "scheduled", "Follow-up tasks created"
    UNASSIGNED = "unassigned", "No one on the team can own the tasks"
    ERROR = "error", "Could not be scheduled (see the error)"
    CANCELLED = "cancelled", "Cancelled (discharge cancelled or readmitted)"


# Follow-ups that wait for someone to fix their team before the sweep can schedule them.
FOLLOW_UP_PROBLEM_STATUSES = (FollowUpStatus.UNASSIGNED, FollowUpStatus.ERROR)


class OwnerRule(models.TextChoices):
    LEAD = "lead", "Team lead coordinator"
    FALLBACK = "fallback", "Fallback: no lead coordinator, first coordinating member"
    NONE = "none", "Nobody available"


class FollowUp(BaseModel):
    """The post-discharge follow-up of one discharge home: the due times are data.

    Created with the discharge; a Celery job (enqueued after commit, retried by
    the periodic sweep) creates the contact and visit Tasks exactly once.
    """

    handoff = models.OneToOneField(Handoff, on_delete=models.CASCADE, related_name="follow_up")
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="follow_ups")
    status = models.CharField(
        max_length=12, choices=FollowUpStatus.choices, default=FollowUpStatus.PENDING
    )
    discharged_at = models.DateTimeField()
    complexity = models.CharField(max_length=10, choices=Complexity.choices)
    contact_due_at = models.DateTimeField()
    visit_due_at = models.DateTimeField()
    contact_task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    visit_task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The booked visit that fulfils the face-to-face follow-up (an imported Appointment).
    visit_appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner_rule = models.CharField(max_length=10, choices=OwnerRule.choices, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # Why the last attempt failed, for the board: the error's kind and the refusal's own
    # words (never patient values); empty once scheduled.
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(status__in=["pending", "unassigned", "error"]),
                name="followup_waiting_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Follow-up #{self.pk}"


class ContactKind(models.TextChoices):
    CONTACT = "contact", "Interactive contact"
    VISIT = "visit", "Face-to-face visit"


class ContactOutcome(models.TextChoices):
    REACHED = "reached", "Reached the patient or caregiver"
    NOT_REACHED = "not_reached", "Not reached after repeated attempts"
    DECLINED = "declined", "Patient declined"


class FollowUpContact(BaseModel):
    """How a post-discharge contact or visit was done: when, by whom, with what outcome.

    A follow-up task is done only with one of these; measures count only the
    documented ones.
    """

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="contacts")
    task = models.OneToOneField(Task, on_delete=models.PROTECT, related_name="follow_up_contact")
    kind = models.CharField(max_length=8, choices=ContactKind.choices)
    contact_at = models.DateTimeField(help_text="When the contact or visit happened")
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=12, choices=ContactOutcome.choices)
    attempts = models.PositiveSmallIntegerField(
        default=1, help_text="Attempts made, this one included"
    )
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The chart's entry for this contact (the one general record of it); empty only on
    # follow-ups documented before the contact log existed.
    contact_log = models.OneToOneField(
        ContactLog,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_up_contact",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(attempts__gte=1), name="follow_up_contact_has_an_attempt"
            ),
            models.UniqueConstraint(
                fields=["follow_up", "kind"], name="one_documented_contact_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of follow-up {self.follow_up_id}"
