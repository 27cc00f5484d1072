"""Huddles: scheduled team meetings, their self-building agenda, attendance and decisions.

Decisions turn into tasks through the tasks app (source_type HUDDLE, source_id =
the agenda item), so every action leaving a huddle has exactly one owner.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.accounts.models import Organisation, Role
from apps.core.models import BaseModel
from apps.patients.models import Patient
from apps.teams.models import CareTeam


class HuddleSettings(BaseModel):
    """An organisation's huddle defaults, created with these values on first use."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="huddle_settings"
    )
    default_duration_minutes = models.PositiveSmallIntegerField(
        default=30, help_text="Time box of a new huddle"
    )
    max_agenda_items = models.PositiveSmallIntegerField(
        default=30,
        help_text="The agenda keeps the most urgent items up to this number "
        "(items carried over from the last huddle always stay)",
    )
    first_lookback_days = models.PositiveSmallIntegerField(
        default=7,
        help_text="For a team's first huddle, how far back 'since the last huddle' reaches",
    )
    task_due_hour = models.PositiveSmallIntegerField(
        default=17, help_text="Hour of the day (local time) a task created in a huddle falls due"
    )

    class Meta:
        verbose_name_plural = "huddle settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(default_duration_minutes__gte=5, default_duration_minutes__lte=240),
                name="huddle_settings_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(max_agenda_items__gte=1, max_agenda_items__lte=200),
                name="huddle_settings_max_items_range",
            ),
            models.CheckConstraint(
                condition=Q(task_due_hour__lte=23), name="huddle_settings_due_hour_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Huddle settings of {self.organisation}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class HuddleSeries(BaseModel):
    """A recurring huddle: every `interval_weeks` weeks on `weekday` at `start_time` (local).

    Occurrences are Huddle rows made ahead of time by a daily sweep, so each
    one can be opened, cancelled or moved on its own.
    """

    team = models.ForeignKey(CareTeam, on_delete=models.PROTECT, related_name="huddle_series")
    title = models.CharField(max_length=120)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    duration_minutes = models.PositiveSmallIntegerField()
    interval_weeks = models.PositiveSmallIntegerField(default=1)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name_plural = "huddle series"
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_weeks__gte=1, interval_weeks__lte=4),
                name="huddle_series_interval_range",
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5, duration_minutes__lte=240),
                name="huddle_series_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="huddle_series_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def rule_display(self) -> str:
        every = "Every" if self.interval_weeks == 1 else f"Every {self.interval_weeks} weeks on"
        return f"{every} {Weekday(self.weekday).label} at {self.start_time:%H:%M}"


class HuddleStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    OPEN = "open", "In progress"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class Huddle(BaseModel):
    """One meeting of a care team. Its agenda is built when it opens."""

    team = models.ForeignKey(CareTeam, on_delete=models.PROTECT, related_name="huddles")
    series = models.ForeignKey(
        HuddleSeries, null=True, blank=True, on_delete=models.PROTECT, related_name="huddles"
    )
    # The series date this huddle stands for; moving the huddle does not change it,
    # so the series sweep never makes a second huddle for the same occurrence.
    occurrence_on = models.DateField(null=True, blank=True)
    title = models.CharField(max_length=120)
    scheduled_start = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(help_text="The time box")
    status = models.CharField(
        max_length=12, choices=HuddleStatus.choices, default=HuddleStatus.SCHEDULED
    )
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_reason = models.TextField(blank=True)
    # The huddle whose unfinished items this one carried over (set when it opens).
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Agenda candidates beyond the organisation's item limit when the agenda was built,
    # and the keys of the events among them (the next huddle looks at those again).
    candidates_left_out = models.PositiveIntegerField(default=0)
    left_out_keys = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-scheduled_start", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "occurrence_on"],
                condition=Q(series__isnull=False),
                name="one_huddle_per_series_occurrence",
            ),
            models.UniqueConstraint(
                fields=["team"],
                condition=Q(status="open"),
                name="one_open_huddle_per_team",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancelled_reason=""),
                name="cancelled_huddle_has_a_reason",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "cancelled"]) | Q(opened_at__isnull=False),
                name="run_huddle_has_an_opening_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="closed_huddle_has_a_closing_time",
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5, duration_minutes__lte=240),
                name="huddle_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(series__isnull=True) | Q(occurrence_on__isnull=False),
                name="series_huddle_has_an_occurrence_date",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "scheduled_start"], name="huddle_team_start_idx"),
            models.Index(fields=["team", "status", "closed_at"], name="huddle_team_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.scheduled_start:%Y-%m-%d %H:%M})"

    @property
    def is_open(self) -> bool:
        return self.status == HuddleStatus.OPEN

    @property
    def is_editable(self) -> bool:
        """Items can be added and ordered before and during the meeting, not after."""
        return self.status in (HuddleStatus.SCHEDULED, HuddleStatus.OPEN)


class HuddleAttendance(BaseModel):
    """Whether a team member attended, with the role they held on the team that day."""

    huddle = models.ForeignKey(Huddle, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=32, choices=Role.choices)
    is_lead = models.BooleanField(default=False)
    present = models.BooleanField(default=False)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-is_lead", "role", "user__last_name", "user__first_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["huddle", "user"], name="one_attendance_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.user} at huddle {self.huddle_id}"


class ItemSource(models.TextChoices):
    """Where an agenda item came from; each automatic source is one function in agenda/."""

    URGENT_SOCIAL_NEED = "urgent_social_need", "Urgent social need"
    READMISSION = "readmission", "Readmission"
    DISCHARGE = "discharge", "Discharge since the last huddle"
    ORPHANED_TASKS = "orphaned_tasks", "Orphaned work"
    OVERDUE_TASKS = "overdue_tasks", "Overdue tasks"
    REFERRAL_OVERDUE = "referral_overdue", "Referral past its time limit"
    NEWLY_COMPLEX = "newly_complex", "Newly flagged complex"
    CARE_PLAN_REVIEW = "care_plan_review", "Care plan due for review or unsigned"
    MANUAL = "manual", "Added by the coordinator"


class ItemStatus(models.TextChoices):
    PENDING = "pending", "Not yet discussed"
    DISCUSSED = "discussed", "Discussed"
    SKIPPED = "skipped", "Skipped"
    RESOLVED = "resolved", "Resolved before discussion"


class AgendaItem(BaseModel):
    """One patient matter on a huddle's agenda, with the evidence that put it there.

    `key` is stable across huddles (e.g. "overdue_tasks:p42"): a matter that is
    resolved stops producing its key and drops off; one left pending is carried
    into the team's next huddle under the same key.
    """

    huddle = models.ForeignKey(Huddle, on_delete=models.CASCADE, related_name="items")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="huddle_items")
    source = models.CharField(max_length=32, choices=ItemSource.choices)
    key = models.CharField(max_length=120)
    title = models.CharField(max_length=200)
    # [{"label": ..., "detail": ..., "object_type": ..., "object_id": ...}, ...]
    evidence = models.JSONField(default=list, blank=True)
    urgency = models.PositiveSmallIntegerField(default=50)
    position = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=ItemStatus.choices, default=ItemStatus.PENDING)
    decision = models.TextField(blank=True)
    reason = models.TextField(
        blank=True, help_text="Why it was skipped, or closed without a decision"
    )
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="carried_into"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    seconds_spent = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["huddle", "key"], name="one_item_per_key_per_huddle"),
            models.CheckConstraint(
                condition=~Q(status="discussed") | ~Q(decision="") | ~Q(reason=""),
                name="discussed_item_has_a_decision_or_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="skipped") | ~Q(reason=""),
                name="skipped_item_has_a_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["huddle", "position"], name="huddle_item_position_idx"),
            models.Index(fields=["patient", "huddle"], name="huddle_item_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"Item #{self.pk}: {self.title}"

    @property
    def is_pending(self) -> bool:
        return self.status == ItemStatus.PENDING
