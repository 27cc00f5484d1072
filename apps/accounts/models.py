from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from apps.core.actors import JobActor
from apps.core.models import BaseModel


class Role(models.TextChoices):
    """The roles a person holds on a care team."""

    PCP = "pcp", "Primary care physician"
    SPECIALIST = "specialist", "Specialist"
    RN_CARE_COORDINATOR = "rn_care_coordinator", "RN care coordinator"
    PHARMACIST = "pharmacist", "Pharmacist"
    SOCIAL_WORKER = "social_worker", "Social worker"
    CHW = "chw", "Community health worker"
    NAVIGATOR = "navigator", "Patient navigator"
    CASE_MANAGER = "case_manager", "Case manager"
    BEHAVIORAL_HEALTH = "behavioral_health", "Behavioral health clinician"
    ADMIN = "admin", "Administrator"


def validate_time_zone(value: str) -> None:
    if value and value not in available_timezones():
        raise ValidationError("Not a known time zone (use a name such as America/Chicago).")


class Organisation(BaseModel):
    """A practice or health system; business days follow its country and closures, and
    its calendar months (billing, time logged) follow its time zone."""

    name = models.CharField(max_length=200, unique=True)
    country = models.CharField(max_length=2, default="US", help_text="ISO 3166 country code")
    subdivision = models.CharField(
        max_length=10, blank=True, help_text="State or province code for public holidays"
    )
    # Federal (national) holidays and the organisation's closures always count;
    # the state's own (e.g. Lincoln's Birthday in Illinois) only when turned on.
    observe_subdivision_holidays = models.BooleanField(
        default=False,
        help_text=(
            "Also skip the state's or province's own public holidays when counting "
            "business days (national holidays and closure days always count)."
        ),
    )
    require_mfa = models.BooleanField(
        default=False,
        help_text=(
            "Every member signs in with a second factor (an authenticator app), not only "
            "staff and superusers."
        ),
    )

    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=(
            "IANA time zone of the practice (e.g. America/Chicago); its calendar months "
            "for time logging and billing. Blank: the site's time zone."
        ),
    )

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        """The practice's time zone: where its days and months begin."""
        return ZoneInfo(self.time_zone or settings.TIME_ZONE)


class OrganisationClosure(BaseModel):
    """A day the organisation is closed beyond public holidays; not a business day."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="closures"
    )
    date = models.DateField()
    name = models.CharField(max_length=120)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "date"], name="one_closure_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.name}"


class User(AbstractUser):
    """A member of staff. What they may see follows the care teams they are on."""

    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    profession = models.CharField(
        max_length=32,
        choices=Role.choices,
        blank=True,
        help_text="The role this person usually holds on a team",
    )
    is_interface = models.BooleanField(
        default=False, help_text="A system account used by an HL7/FHIR interface, not a person"
    )

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        swappable = "AUTH_USER_MODEL"

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


# Who a service acts as: a person or interface account (a User), or a job
# acting for a named person or organisation. Never None.
Actor = User | JobActor


def actor_checked(actor: object) -> Actor:
    """The actor, if it says who acts: a person (or interface account) or a job.

    Nothing ("None") is refused outright, so no door can skip a rights check or
    leave the audit trail without a name by leaving the actor out; a job passes a
    `JobActor` naming itself (and the person behind it, when there is one).
    """
    if not isinstance(actor, User | JobActor):
        raise TypeError(
            f"a service needs an actor (a User or a JobActor), not {type(actor).__name__}"
        )
    return actor


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self, now: datetime) -> "ApiTokenQuerySet":
        """Tokens that still open the API: not revoked, not expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ApiToken(BaseModel):
    """A named key for the REST API. Only a SHA-256 hash of the secret is kept: the
    secret is shown once, when the token is made, and nobody can read it again."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for")
    prefix = models.CharField(
        max_length=12, help_text="The first characters of the secret, to tell tokens apart"
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    allowed_source_cidrs = models.TextField(
        blank=True,
        help_text=(
            "Interface accounts only: the networks (CIDR, one a line or comma separated) "
            "the token may be used from; empty allows any address."
        ),
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="api_token_has_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
