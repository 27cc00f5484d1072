from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from apps.accounts.models import Organisation
from apps.core.models import BaseModel
from apps.teams.models import CareTeam


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class Patient(BaseModel):
    """A person the organisation coordinates care for; seen only by their care team."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="patients"
    )
    care_team = models.ForeignKey(CareTeam, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("MRN", max_length=32, help_text="Medical record number")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    preferred_language = models.CharField(max_length=40, blank=True, default="English")
    interpreter_needed = models.BooleanField(default=False)
    race_ethnicity = models.CharField(max_length=80, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=40, blank=True)
    postal_code = models.CharField(max_length=16, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "mrn"], name="mrn_unique_in_org"),
        ]
        indexes = [
            models.Index(
                fields=["care_team", "family_name", "given_name", "id"],
                name="patient_team_name_idx",
            ),
            models.Index(Lower("family_name"), name="patient_family_lower_idx"),
            models.Index(fields=["date_of_birth"], name="patient_dob_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class PatientIdentifier(BaseModel):
    """An identifier another system knows the patient by (HL7 PID-3, FHIR identifier)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="identifiers")
    assigning_authority = models.CharField(
        max_length=64, help_text="e.g. the hospital's MRN system"
    )
    value = models.CharField(max_length=64)
    type_code = models.CharField(max_length=10, default="MR")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assigning_authority", "value"], name="identifier_unique_per_authority"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assigning_authority}|{self.value}"


class BreakGlassAccess(BaseModel):
    """Emergency, time-limited access to one patient outside the user's teams."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="break_glass")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_accesses"
    )
    reason = models.TextField()
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "patient", "expires_at"])]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="break_glass_has_reason"),
        ]

    def __str__(self) -> str:
        return f"break-glass #{self.pk}"
