from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from apps.accounts.models import Organisation, Role
from apps.core.fields import person_field
from apps.core.models import BaseModel
from apps.patients.models import Patient


class TaskStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    IN_PROGRESS = "in_progress", "In progress"
    ON_HOLD = "on_hold", "On hold"
    AWAITING_VERIFICATION = "awaiting_verification", "Awaiting verification"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"


def task_status_label(value: str) -> str:
    """A task status in words ("In progress"), for history and messages that store the code;
    blank stays blank and an unknown code is shown as it is rather than failing a page."""
    return TaskStatus(value).label if value in TaskStatus.values else value


OPEN_STATUSES = (
    TaskStatus.REQUESTED,
    TaskStatus.IN_PROGRESS,
    TaskStatus.ON_HOLD,
    TaskStatus.AWAITING_VERIFICATION,
)
CLOSED_STATUSES = (TaskStatus.DONE, TaskStatus.CANCELLED, TaskStatus.FAILED)
# Open and waiting on its owner (not on a verifier): what reminders and "My work" are about.
ACTIONABLE_STATUSES = (TaskStatus.REQUESTED, TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD)


class TaskPriority(models.TextChoices):
    """FHIR Task priority codes, most urgent last."""

    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    ASAP = "asap", "As soon as possible"
    STAT = "stat", "Immediately"


class TaskSource(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    CARE_PLAN_INTERVENTION = "care_plan_intervention", "Care plan intervention"
    CARE_PLAN_GOAL = "care_plan_goal", "Care plan goal"
    TRANSITION = "transition", "Transition of care"
    REFERRAL = "referral", "Referral"
    HUDDLE = "huddle", "Huddle decision"
    SOCIAL_TRIAGE = "social_triage", "Urgent social need (same-day triage)"


class TaskType(models.TextChoices):
    """What kind of work a task is; each kind has a sensible default due time
    (TASK_TYPE_DUE_AFTER), used when the task is created without one."""

    PHONE_CALL = "phone_call", "Phone call"
    HOME_VISIT = "home_visit", "Home visit"
    MEDICATION_REVIEW = "medication_review", "Medication review"
    BOOK_APPOINTMENT = "book_appointment", "Book an appointment"
    PAPERWORK = "paperwork", "Forms and benefits paperwork"
    EDUCATION = "education", "Patient education"


TASK_TYPE_DUE_AFTER: dict[str, timedelta] = {
    TaskType.PHONE_CALL: timedelta(days=2),
    TaskType.HOME_VISIT: timedelta(days=7),
    TaskType.MEDICATION_REVIEW: timedelta(days=3),
    TaskType.BOOK_APPOINTMENT: timedelta(days=5),
    TaskType.PAPERWORK: timedelta(days=10),
    TaskType.EDUCATION: timedelta(days=7),
}

# A recurring task repeats every this many days at most (a year).
MAX_RECURRENCE_DAYS = 365


def task_overdue_condition(now: datetime) -> Q:
    """Open and past its due time: the one meaning of "overdue" for tasks, as a condition
    (for `TaskQuerySet.overdue` and for counts that filter an aggregate)."""
    return Q(status__in=OPEN_STATUSES, due_at__lt=now)


def task_is_overdue(*, status: str, due_at: datetime, now: datetime) -> bool:
    """The row form of `task_overdue_condition`, for a task or worklist row already read."""
    return status in OPEN_STATUSES and due_at < now


class TaskQuerySet(models.QuerySet["Task"]):
    def open(self) -> "TaskQuerySet":
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, now: datetime) -> "TaskQuerySet":
        """Open and past its due time: the one meaning of "overdue" for tasks."""
        return self.filter(task_overdue_condition(now))


class Task(BaseModel):
    """One piece of work for one patient, owned by exactly one person on their team.

    The database refuses an open task without an owner, and a verification by
    the person who did the work.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="tasks")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    due_at = models.DateTimeField(db_index=True)
    priority = models.CharField(
        max_length=10, choices=TaskPriority.choices, default=TaskPriority.ROUTINE
    )
    status = models.CharField(
        max_length=24, choices=TaskStatus.choices, default=TaskStatus.REQUESTED
    )
    status_reason = models.TextField(blank=True)
    owner = person_field(related_name="owned_tasks")
    created_by = person_field()
    source_type = models.CharField(
        max_length=32, choices=TaskSource.choices, default=TaskSource.MANUAL
    )
    source_id = models.BigIntegerField(null=True, blank=True)
    task_type = models.CharField(max_length=24, choices=TaskType.choices, blank=True)
    # Every this many days: completing the task creates the next one (services.recurrence).
    recurrence_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # Hidden from the owner's default My work until this date, unless it is overdue.
    snoozed_until = models.DateField(null=True, blank=True)
    snooze_reason = models.TextField(blank=True)
    # A job that creates a task names it, so a rerun finds it instead of making a twin.
    idempotency_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    verification_role = models.CharField(
        max_length=32,
        choices=Role.choices,
        blank=True,
        help_text="When set, a second person in this role must verify the work",
    )
    performed_by = person_field()
    performed_at = models.DateTimeField(null=True, blank=True)
    verified_by = person_field()
    verified_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Set by the reminder sweep: each step happens once per task.
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CLOSED_STATUSES) | Q(owner__isnull=False),
                name="open_task_has_an_owner",
            ),
            models.CheckConstraint(
                condition=Q(recurrence_days__isnull=True)
                | Q(recurrence_days__gte=1, recurrence_days__lte=MAX_RECURRENCE_DAYS),
                name="task_recurrence_between_a_day_and_a_year",
            ),
            models.CheckConstraint(
                condition=Q(snoozed_until__isnull=True) | ~Q(snooze_reason=""),
                name="snoozed_task_has_a_reason",
            ),
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True)
                | Q(performed_by__isnull=True)
                | ~Q(verified_by=F("performed_by")),
                name="verifier_is_not_the_performer",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=(TaskStatus.FAILED, TaskStatus.CANCELLED))
                | ~Q(status_reason=""),
                name="failed_or_cancelled_task_has_a_reason",
            ),
            # Without a performer the check above would pass vacuously.
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True) | Q(performed_by__isnull=False),
                name="verified_task_was_performed",
            ),
            # A task that needs a second person is not done until that person verified it.
            models.CheckConstraint(
                condition=~Q(status=TaskStatus.DONE)
                | Q(verification_role="")
                | Q(verified_by__isnull=False),
                name="done_task_needing_verification_is_verified",
            ),
        ]
        indexes = [
            models.Index(
                fields=["owner", "due_at"],
                condition=Q(status__in=OPEN_STATUSES),
                name="task_open_by_owner_due_idx",
            ),
            models.Index(
                fields=["due_at"],
                condition=Q(status__in=OPEN_STATUSES),
                name="task_open_due_idx",
            ),
            models.Index(fields=["patient", "status"], name="task_patient_status_idx"),
            # Team worklists group a team's open tasks by owner from this index alone.
            models.Index(
                fields=["patient", "owner", "due_at"],
                condition=Q(status__in=OPEN_STATUSES),
                name="task_open_by_patient_idx",
            ),
            # The reminder sweep reads only rows still waiting for their reminder/escalation,
            # in its claim order (due_at, id): a batch is the index's next entries, with no
            # sort of everything due (many tasks share a due time, e.g. 9:00 follow-ups).
            models.Index(
                fields=["due_at", "id"],
                condition=Q(status__in=ACTIONABLE_STATUSES, reminded_at__isnull=True),
                name="task_unreminded_due_id_idx",
            ),
            models.Index(
                fields=["due_at", "id"],
                condition=Q(status__in=ACTIONABLE_STATUSES, escalated_at__isnull=True),
                name="task_unescalated_due_id_idx",
            ),
            models.Index(
                fields=["patient"],
                condition=Q(status=TaskStatus.AWAITING_VERIFICATION),
                name="task_awaiting_verification_idx",
            ),
            models.Index(fields=["source_type", "source_id"], name="task_source_idx"),
        ]

    def __str__(self) -> str:
        return f"Task #{self.pk}: {self.title}"

    def is_snoozed_on(self, day: date) -> bool:
        return self.snoozed_until is not None and self.snoozed_until > day

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def team_id(self) -> int:
        """The care team the task's patient belongs to (rights follow this team)."""
        return self.patient.care_team_id


DEFAULT_REMINDER_LEAD_HOURS = 24
DEFAULT_ESCALATION_DELAY_HOURS = 0


class TaskSettings(BaseModel):
    """An organisation's reminder timing; created with the defaults on first use."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="task_settings"
    )
    reminder_lead_hours = models.PositiveSmallIntegerField(
        default=DEFAULT_REMINDER_LEAD_HOURS,
        help_text="Remind the owner this many hours before a task is due",
    )
    escalation_delay_hours = models.PositiveSmallIntegerField(
        default=DEFAULT_ESCALATION_DELAY_HOURS,
        help_text="Tell the lead coordinator once a task is this many hours overdue",
    )

    class Meta:
        verbose_name = "task settings"
        verbose_name_plural = "task settings"

    def __str__(self) -> str:
        return f"Task settings of organisation {self.organisation_id}"


class TaskEventKind(models.TextChoices):
    CREATED = "created", "Created"
    STATUS_CHANGED = "status_changed", "Status changed"
    REASSIGNED = "reassigned", "Reassigned"
    PERFORMED = "performed", "Work done, awaiting verification"
    VERIFIED = "verified", "Verified"
    UPDATED = "updated", "Details changed"
    REMINDED = "reminded", "Reminder sent"
    ESCALATED = "escalated", "Escalated"
    SNOOZED = "snoozed", "Snoozed"
    RECURRED = "recurred", "Next occurrence created"


class TaskEvent(models.Model):
    """The task's history: who did what and why, including every reassignment."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField(auto_now_add=True)
    actor = person_field()
    kind = models.CharField(max_length=20, choices=TaskEventKind.choices)
    from_owner = person_field()
    to_owner = person_field()
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    reason = models.TextField(blank=True)
    # For "Details changed": each changed field's label with its value before and after,
    # in words, so the history reads "Due: Mar 3, 09:00 -> Mar 5, 09:00".
    changes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on task {self.task_id}"

    @property
    def from_status_label(self) -> str:
        return task_status_label(self.from_status)

    @property
    def to_status_label(self) -> str:
        return task_status_label(self.to_status)


class NotificationKind(models.TextChoices):
    """What a notification is about, in words. Every workflow's kinds are named here, by
    the app that owns notifications, so a page, an email or the API never shows a code."""

    TASK_ASSIGNED = "task_assigned", "Task handed to you"
    TASK_DUE = "task_due", "Task due soon"
    TASK_OVERDUE = "task_overdue", "Task overdue"
    TASK_ORPHANED = "task_orphaned", "Orphaned task"
    REFERRAL_REMINDER = "referral_reminder", "Referral needs follow-up"
    REFERRAL_ESCALATION = "referral_escalation", "Referral escalated"
    REFERRAL_RESULT = "referral_result", "Referral result back"
    TRANSITION_FOLLOW_UP = "transition_follow_up", "Follow-up after discharge"
    TRANSITION_FOLLOW_UP_PROBLEM = "transition_follow_up_problem", "Follow-up needs attention"


class NotificationDelivery(models.TextChoices):
    """How a person hears of one kind of notification (NotificationPreference)."""

    EMAIL = "email", "In caregraph, and by email at once"
    DIGEST = "digest", "In caregraph, and in one email a day"
    IN_APP = "in_app", "In caregraph only"
    OFF = "off", "Off"


# Warnings that work is slipping: a person may move them to the digest or keep them in
# caregraph only, never switch them off.
ALWAYS_DELIVERED_KINDS = frozenset(
    {
        NotificationKind.TASK_OVERDUE,
        NotificationKind.TASK_ORPHANED,
        NotificationKind.REFERRAL_ESCALATION,
        NotificationKind.TRANSITION_FOLLOW_UP_PROBLEM,
    }
)


def notification_kind_label(kind: str) -> str:
    if kind in NotificationKind.values:
        return NotificationKind(kind).label
    return kind.replace("_", " ").capitalize()


class Notification(models.Model):
    """An in-app message to one person, sent at most once per idempotency key.

    Reminders and escalations from every workflow land here; the key (for
    example "referral:42:sent:reminder") makes a repeated sweep a no-op.
    `about` names the event the message tells of (e.g. "task:7:due", shared by
    the owner's reminder and the lead's escalation): one person hears of one
    event once, so an owner who is also the lead is not told twice.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=160, unique=True)
    about = models.CharField(max_length=160, blank=True)
    # How the recipient wanted this kind delivered when it was made: only "email" is
    # emailed on its own; "digest" waits for the daily digest.
    delivery = models.CharField(
        max_length=10, choices=NotificationDelivery.choices, default=NotificationDelivery.EMAIL
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # Failed sends of this email: the requeue gives up after MAX_EMAIL_ATTEMPTS.
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_failed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "about"],
                condition=~models.Q(about=""),
                name="notification_one_per_event_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for user {self.recipient_id}"

    @property
    def kind_label(self) -> str:
        return notification_kind_label(self.kind)


# A notification's email is tried this many times (each with its own retries) at most.
MAX_EMAIL_ATTEMPTS = 5
# An address the mail server refused this many times in a row is marked as failing.
EMAIL_REFUSALS_FAILING = 3


class EmailAddressStatus(BaseModel):
    """How mail to one person's address is going: refusals in a row, failing after a few.

    Kept per person and address: once the address is changed (Django admin),
    the old refusals no longer count. A failing address gets no more emails
    (in-app notifications still arrive) and is listed for the organisation's
    administrator, on the admin home page and under "Email addresses".
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_status"
    )
    address = models.EmailField()
    refusals = models.PositiveIntegerField(default=0)
    last_refused_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "email address"
        verbose_name_plural = "email addresses"

    def __str__(self) -> str:
        return f"email of user {self.user_id}"


class NotificationPreference(BaseModel):
    """One person's choice for one kind of notification; without a row, the kind is
    delivered in caregraph and by email at once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=40, choices=NotificationKind.choices)
    delivery = models.CharField(max_length=10, choices=NotificationDelivery.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind"),
            models.CheckConstraint(
                condition=~Q(delivery="off")
                | ~Q(kind__in=sorted(kind.value for kind in ALWAYS_DELIVERED_KINDS)),
                name="warnings_are_never_switched_off",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for user {self.user_id}: {self.delivery}"
