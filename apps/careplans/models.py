"""The individualized care plan: the patient's voice, goals, interventions, barriers, versions.

An intervention's owner and due time live on its Task (apps.tasks), never in a
second column here, so the two can never disagree whichever door changed them.
"""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_noop

from apps.accounts.models import Organisation, User
from apps.core.models import BaseModel
from apps.patients.models import Patient
from apps.tasks.models import CLOSED_STATUSES, Task, TaskStatus

# The summary prints this one translated (the patient's language); a sentence an
# organisation writes itself is printed as written.
DEFAULT_AFTER_HOURS_ADVICE = gettext_noop("If it is an emergency, call 911.")


class CarePlanSettings(BaseModel):
    """An organisation's review cadence and the contact details printed for patients."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="care_plan_settings"
    )
    unsigned_days = models.PositiveSmallIntegerField(
        default=14,
        help_text="A plan with changes no PCP has signed for this many days is due for review",
    )
    review_interval_days = models.PositiveSmallIntegerField(
        default=90, help_text="Every plan is reviewed and signed at least this often"
    )
    patient_phone = models.CharField(
        max_length=40, blank=True, help_text="The number printed on the patient's summary"
    )
    after_hours_advice = models.CharField(
        max_length=300,
        blank=True,
        default=DEFAULT_AFTER_HOURS_ADVICE,
        help_text="One plain sentence printed under the phone number",
    )

    class Meta:
        verbose_name = "care plan settings"
        verbose_name_plural = "care plan settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(unsigned_days__gte=1) & Q(review_interval_days__gte=1),
                name="care_plan_settings_positive_days",
            ),
        ]

    def __str__(self) -> str:
        return f"Care plan settings of {self.organisation}"


class Pathway(BaseModel):
    """A clinical pathway the organisation follows (a code list entry, linked, never copied)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="care_pathways"
    )
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=160)
    url = models.URLField(blank=True, help_text="Where the pathway document lives")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "code"], name="pathway_code_unique_in_org"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class CarePlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft, never signed"
    ACTIVE = "active", "Active, signed"
    REVISED = "revised", "Revised since last signed"
    RETIRED = "retired", "Retired"


OPEN_PLAN_STATUSES = (CarePlanStatus.DRAFT, CarePlanStatus.ACTIVE, CarePlanStatus.REVISED)


class AgreedBy(models.TextChoices):
    PATIENT = "patient", "The patient"
    CAREGIVER = "caregiver", "A caregiver or family member"


class AgreementMethod(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    PHONE = "phone", "By phone"
    VIDEO = "video", "By video"
    WRITTEN = "written", "In writing"
    PORTAL = "portal", "Through the patient portal"


class CarePlan(BaseModel):
    """One patient's living plan. Every change is kept as a CarePlanVersion.

    The database allows one plan per patient that is not retired.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="care_plans")
    status = models.CharField(
        max_length=10, choices=CarePlanStatus.choices, default=CarePlanStatus.DRAFT
    )
    what_matters = models.TextField(
        "What matters most to the patient", blank=True, help_text="In the patient's own words"
    )
    priorities = models.TextField(
        blank=True, help_text="The patient's priorities, most important first, one per line"
    )
    agreed_by = models.CharField(max_length=10, choices=AgreedBy.choices, blank=True)
    agreement_method = models.CharField(max_length=10, choices=AgreementMethod.choices, blank=True)
    agreed_at = models.DateTimeField(null=True, blank=True)
    caregiver_name = models.CharField(max_length=120, blank=True)
    pam_level = models.PositiveSmallIntegerField(
        "Patient activation level (PAM)", null=True, blank=True
    )
    health_literacy_limited = models.BooleanField(
        default=False, help_text="Use plain language and teach-back"
    )
    pathways = models.ManyToManyField(Pathway, blank=True, related_name="care_plans")
    advance_directive_reference = models.CharField(
        max_length=300, blank=True, help_text="Where the advance directive is filed (URL or id)"
    )
    advance_directive_date = models.DateField(null=True, blank=True)
    # Bookkeeping for versions, sign-off and the review worklist.
    version_count = models.PositiveIntegerField(default=0)
    unsigned_since = models.DateTimeField(null=True, blank=True)
    last_signed_at = models.DateTimeField(null=True, blank=True)
    review_requested_at = models.DateTimeField(null=True, blank=True)
    review_request_reason = models.CharField(max_length=200, blank=True)
    review_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who sent the plan for sign-off (empty: a transition of care or an admin)",
    )
    returned_at = models.DateTimeField(null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    return_comments = models.TextField(
        blank=True, help_text="What the PCP asked to change before signing"
    )
    retired_at = models.DateTimeField(null=True, blank=True)
    retired_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=~Q(status=CarePlanStatus.RETIRED),
                name="one_active_care_plan_per_patient",
            ),
            models.CheckConstraint(
                condition=Q(pam_level__isnull=True) | Q(pam_level__gte=1, pam_level__lte=4),
                name="care_plan_pam_level_1_to_4",
            ),
            models.CheckConstraint(
                condition=~Q(status=CarePlanStatus.RETIRED) | Q(retired_at__isnull=False),
                name="retired_care_plan_has_a_date",
            ),
        ]
        indexes = [
            models.Index(
                fields=["unsigned_since"],
                condition=~Q(status=CarePlanStatus.RETIRED),
                name="careplan_open_unsigned_idx",
            ),
            models.Index(
                fields=["last_signed_at"],
                condition=~Q(status=CarePlanStatus.RETIRED),
                name="careplan_open_signed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Care plan #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status != CarePlanStatus.RETIRED

    @property
    def priority_list(self) -> list[str]:
        return [line.strip() for line in self.priorities.splitlines() if line.strip()]


class GoalDomain(models.TextChoices):
    MEDICAL = "medical", "Medical"
    BEHAVIORAL = "behavioral", "Behavioral"
    SOCIAL = "social", "Social"
    FUNCTIONAL = "functional", "Functional"


class GoalStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    ACHIEVED = "achieved", "Achieved"
    NOT_ACHIEVED = "not_achieved", "Not achieved"
    CANCELLED = "cancelled", "Cancelled"


class Goal(BaseModel):
    """A goal with a measurable target, a date and exactly one owner on the patient's team."""

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="goals")
    domain = models.CharField(max_length=12, choices=GoalDomain.choices)
    description = models.CharField(max_length=300, help_text="The goal, in the patient's words")
    target = models.CharField(max_length=300, help_text="How we will know it is reached")
    target_date = models.DateField()
    status = models.CharField(
        max_length=14, choices=GoalStatus.choices, default=GoalStatus.PROPOSED
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_plan_goals"
    )
    patient_steps = models.TextField(
        "What the patient will do", blank=True, help_text="Plain words, for the patient's summary"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["plan", "domain", "target_date", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(target=""), name="goal_has_a_target"),
        ]

    def __str__(self) -> str:
        return f"Goal #{self.pk}"


class InterventionState(models.TextChoices):
    """What the plan shows for an intervention, read from its task."""

    PLANNED = "planned", "Planned"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"
    NOT_DONE = "not_done", "Could not be done"


def intervention_state_of(task_status: str) -> InterventionState:
    if task_status == TaskStatus.DONE:
        return InterventionState.DONE
    if task_status == TaskStatus.CANCELLED:
        return InterventionState.CANCELLED
    if task_status == TaskStatus.FAILED:
        return InterventionState.NOT_DONE
    return InterventionState.PLANNED


class Intervention(BaseModel):
    """Something the team does towards a goal, carried out as one Task with one owner."""

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="interventions")
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="interventions")
    description = models.CharField(max_length=200, help_text="What will be done (the task title)")
    details = models.TextField(blank=True)
    # Set in the same transaction as the row (the task needs the intervention's id as its
    # source); the services never leave it empty.
    task = models.OneToOneField(
        Task,
        null=True,
        on_delete=models.PROTECT,
        related_name="care_plan_intervention",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["goal", "id"]

    def __str__(self) -> str:
        return f"Intervention #{self.pk}"

    @property
    def owner(self) -> User | None:
        return self.task.owner if self.task else None

    @property
    def owner_id(self) -> int | None:
        return self.task.owner_id if self.task else None

    @property
    def due_at(self) -> datetime | None:
        return self.task.due_at if self.task else None

    @property
    def state(self) -> InterventionState:
        return intervention_state_of(self.task.status if self.task else TaskStatus.CANCELLED)

    @property
    def is_open(self) -> bool:
        return self.task is not None and self.task.status not in CLOSED_STATUSES


class ComB(models.TextChoices):
    """COM-B: what stands between a person and a behaviour."""

    CAPABILITY = "capability", "Capability"
    OPPORTUNITY = "opportunity", "Opportunity"
    MOTIVATION = "motivation", "Motivation"


class ComBSubComponent(models.TextChoices):
    PHYSICAL_CAPABILITY = "physical_capability", "Physical capability"
    PSYCHOLOGICAL_CAPABILITY = "psychological_capability", "Psychological capability"
    SOCIAL_OPPORTUNITY = "social_opportunity", "Social opportunity"
    PHYSICAL_OPPORTUNITY = "physical_opportunity", "Physical opportunity"
    REFLECTIVE_MOTIVATION = "reflective_motivation", "Reflective motivation"
    AUTOMATIC_MOTIVATION = "automatic_motivation", "Automatic motivation"


SUB_COMPONENTS: dict[str, tuple[str, str]] = {
    ComB.CAPABILITY: (
        ComBSubComponent.PHYSICAL_CAPABILITY,
        ComBSubComponent.PSYCHOLOGICAL_CAPABILITY,
    ),
    ComB.OPPORTUNITY: (
        ComBSubComponent.SOCIAL_OPPORTUNITY,
        ComBSubComponent.PHYSICAL_OPPORTUNITY,
    ),
    ComB.MOTIVATION: (
        ComBSubComponent.REFLECTIVE_MOTIVATION,
        ComBSubComponent.AUTOMATIC_MOTIVATION,
    ),
}


def _sub_component_matches() -> Q:
    condition = Q(sub_component="")
    for component, subs in SUB_COMPONENTS.items():
        condition |= Q(component=component, sub_component__in=subs)
    return condition


class Barrier(BaseModel):
    """Something in the way of the plan, classified by COM-B, with the intervention against it."""

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="barriers")
    component = models.CharField(max_length=12, choices=ComB.choices)
    sub_component = models.CharField(max_length=24, choices=ComBSubComponent.choices, blank=True)
    description = models.CharField(max_length=300)
    intervention = models.ForeignKey(
        Intervention,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="barriers",
        help_text="The intervention that addresses this barrier",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["plan", "component", "id"]
        constraints = [
            models.CheckConstraint(
                condition=_sub_component_matches(), name="barrier_sub_component_matches"
            ),
        ]

    def __str__(self) -> str:
        return f"Barrier #{self.pk}"


class CarePlanVersion(models.Model):
    """The plan as it stood after one change: who, when, what, and a PCP's signature."""

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.CharField(max_length=200, help_text="What changed, in a few words")
    snapshot = models.JSONField()
    fingerprint = models.CharField(max_length=64)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="care_plan_version_number"),
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True, signed_by__isnull=True)
                | Q(signed_at__isnull=False, signed_by__isnull=False),
                name="care_plan_version_signature_complete",
            ),
        ]
        indexes = [
            models.Index(
                fields=["plan", "-number"],
                condition=Q(signed_at__isnull=False),
                name="careplanversion_signed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Care plan #{self.plan_id} version {self.number}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None
