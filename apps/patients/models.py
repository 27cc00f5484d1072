from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

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
    # A death reported by a hospital feed (HL7 PID-30) or entered; the time
    # (PID-29) when it is known.
    deceased = models.BooleanField(default=False)
    deceased_at = models.DateTimeField(null=True, blank=True)
    # The last demographic change a feed made (HL7 A08), shown on the chart
    # so the team sees what changed without being told.
    demographics_updated_at = models.DateTimeField(null=True, blank=True)
    demographics_updated_from = models.CharField(max_length=60, blank=True)
    demographics_updated_fields = models.JSONField(default=list, blank=True)

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

    def clean(self) -> None:
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            raise ValidationError({"date_of_birth": "Date of birth is in the future."})

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def demographics_updated_labels(self) -> list[str]:
        """The fields the last feed update changed, as the chart names them."""
        labels = {field.name: str(field.verbose_name) for field in self._meta.concrete_fields}
        return [labels.get(name, name) for name in self.demographics_updated_fields]


# Room for a FHIR identifier system (a URI or an OID URN) and an HL7 assigning authority,
# and for the identifiers they assign; longer ones are refused at the door, never cut.
IDENTIFIER_AUTHORITY_MAX = 255
IDENTIFIER_VALUE_MAX = 128


class PatientIdentifier(BaseModel):
    """An identifier another system knows the patient by (HL7 PID-3, FHIR identifier)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="identifiers")
    # The patient's organisation, kept here so that an identifier is unique
    # within an organisation only: a hospital's MRN may name a person enrolled
    # with two organisations, and neither may learn of the other's record.
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    assigning_authority = models.CharField(
        max_length=IDENTIFIER_AUTHORITY_MAX,
        help_text="e.g. the hospital's MRN system, or a FHIR identifier system",
    )
    value = models.CharField(max_length=IDENTIFIER_VALUE_MAX)
    type_code = models.CharField(max_length=10, default="MR")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "assigning_authority", "value"],
                name="identifier_unique_per_organisation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assigning_authority}|{self.value}"


class BreakGlassReason(models.TextChoices):
    """Why someone outside the care team opens a record in an emergency."""

    EMERGENCY_CARE = "emergency_care", "Emergency care of the patient"
    URGENT_HANDOFF = "urgent_handoff", "Urgent transition or handoff"
    ON_CALL_COVER = "on_call_cover", "Covering on call for the patient's team"
    PATIENT_SAFETY = "patient_safety", "Patient safety concern"
    OTHER = "other", "Other (explain below)"


class BreakGlassReview(models.TextChoices):
    APPROPRIATE = "appropriate", "Appropriate"
    INAPPROPRIATE = "inappropriate", "Not appropriate"


class BreakGlassAccess(BaseModel):
    """Emergency, time-limited access to one patient outside the user's teams.

    A privacy officer (holding the `review_breakglassaccess` permission) reviews each
    access: appropriate or not, with a note."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="break_glass")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_accesses"
    )
    reason_code = models.CharField(
        max_length=32, choices=BreakGlassReason.choices, default=BreakGlassReason.OTHER
    )
    reason = models.TextField()
    expires_at = models.DateTimeField()
    review_outcome = models.CharField(max_length=16, choices=BreakGlassReview.choices, blank=True)
    review_note = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="break_glass_reviews",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "patient", "expires_at"]),
            models.Index(fields=["reviewed_at", "created_at"], name="break_glass_review_queue"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="break_glass_has_reason"),
            models.CheckConstraint(
                condition=Q(reviewed_at__isnull=True) | ~Q(review_outcome=""),
                name="break_glass_review_has_outcome",
            ),
        ]
        permissions = [
            ("review_breakglassaccess", "Can review emergency (break-the-glass) accesses"),
        ]

    def __str__(self) -> str:
        return f"break-glass #{self.pk}"


# --- complex-needs evidence: conditions, encounters, social needs, deprivation ---


class ImportedRow(models.Model):
    """Where a row of the chart came from: the sending system and when it arrived.

    Blank for rows typed in caregraph; set by the FHIR import (apps.fhir.importing)
    so the chart can say "from <source>, received <when>" beside each one.
    """

    source_system = models.CharField(max_length=120, blank=True)
    source_received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


# The code system a condition's code is in: only ICD-10-CM codes are scored by Charlson.
ICD10_CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"


class ConditionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RESOLVED = "resolved", "Resolved"


class Condition(ImportedRow, BaseModel):
    """A coded problem. Only active ICD-10-CM conditions count towards the Charlson index;
    a condition coded in another system (SNOMED CT from a partner's record) is kept and
    shown as "not scored"."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="conditions")
    code_system = models.CharField(max_length=200, default=ICD10_CM_SYSTEM)
    code = models.CharField("code", max_length=32, help_text="ICD-10-CM, e.g. E11.22")
    title = models.CharField(max_length=255, blank=True)
    onset_date = models.DateField(null=True, blank=True)
    resolved_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ConditionStatus.choices, default=ConditionStatus.ACTIVE
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status="active", resolved_date__isnull=True)
                | Q(status="resolved", resolved_date__isnull=False),
                name="condition_resolved_has_date",
            ),
            models.CheckConstraint(
                condition=Q(onset_date__isnull=True)
                | Q(resolved_date__isnull=True)
                | Q(resolved_date__gte=models.F("onset_date")),
                name="condition_resolved_after_onset",
            ),
            models.UniqueConstraint(
                fields=["patient", "code_system", "code"],
                condition=Q(status="active"),
                name="condition_one_active_per_system_code",
            ),
        ]
        indexes = [models.Index(fields=["patient", "status"], name="condition_patient_status_idx")]

    def __str__(self) -> str:
        return f"{self.code} ({self.status})"

    @property
    def is_scored(self) -> bool:
        """Whether the Charlson index reads this condition's code."""
        return self.code_system == ICD10_CM_SYSTEM


class EncounterKind(models.TextChoices):
    ED = "ed", "Emergency department visit"
    INPATIENT = "inpatient", "Inpatient admission"
    OBSERVATION = "observation", "Observation stay"
    SNF = "snf", "Skilled nursing facility stay"
    OUTPATIENT = "outpatient", "Outpatient visit"


class Encounter(ImportedRow, BaseModel):
    """A visit or stay. ED visits, admissions, bed days and cost feed the utilization domain."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="encounters")
    kind = models.CharField(max_length=12, choices=EncounterKind.choices)
    admit_date = models.DateField("admitted or seen on")
    discharge_date = models.DateField("discharged on", null=True, blank=True)
    attending_provider = models.CharField(max_length=120, blank=True)
    facility = models.CharField(max_length=120, blank=True)
    cost = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="Total cost, if known"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(discharge_date__isnull=True)
                | Q(discharge_date__gte=models.F("admit_date")),
                name="encounter_discharge_after_admit",
            ),
            models.CheckConstraint(
                condition=Q(cost__isnull=True) | Q(cost__gte=0), name="encounter_cost_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "admit_date"], name="encounter_patient_admit_idx"),
            # The measures' set-wise counts (ED visits, continuity) read a period's visits of
            # one kind from this index alone: it carries the patient and the provider.
            models.Index(
                fields=["kind", "admit_date"],
                include=["patient", "attending_provider"],
                name="encounter_kind_admit_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.admit_date}"


class SdohScreenQuerySet(models.QuerySet["SdohScreen"]):
    def urgent(self) -> "SdohScreenQuerySet":
        """Screens showing a need that cannot wait (apps.patients.hrsn.urgent_needs)."""
        from apps.patients.hrsn import URGENT_ANSWERS

        condition = Q(safety_positive=True)
        for field, answer in URGENT_ANSWERS.values():
            condition |= Q(**{field: answer})
        return self.filter(condition)


class SdohScreen(ImportedRow, BaseModel):
    """One AHC HRSN screen (10 core items) with its scored domains, kept as answered."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="sdoh_screens")
    screened_on = models.DateField()
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    living_situation = models.CharField(max_length=12)
    housing_problems = models.JSONField(default=list)
    food_worry = models.CharField(max_length=10)
    food_ran_out = models.CharField(max_length=10)
    transportation = models.CharField(max_length=4)
    utilities = models.CharField(max_length=20)
    safety_hurt = models.PositiveSmallIntegerField()
    safety_insult = models.PositiveSmallIntegerField()
    safety_threaten = models.PositiveSmallIntegerField()
    safety_scream = models.PositiveSmallIntegerField()
    housing_positive = models.BooleanField()
    food_positive = models.BooleanField()
    transportation_positive = models.BooleanField()
    utilities_positive = models.BooleanField()
    safety_positive = models.BooleanField()
    safety_score = models.PositiveSmallIntegerField()

    objects = SdohScreenQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(safety_score__gte=4, safety_score__lte=20),
                name="sdoh_safety_score_range",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "screened_on"], name="sdoh_patient_date_idx"),
        ]

    def __str__(self) -> str:
        return f"HRSN screen {self.screened_on}"

    @property
    def positive_domains(self) -> list[str]:
        from apps.patients.hrsn import DOMAINS

        return [domain for domain in DOMAINS if getattr(self, f"{domain}_positive")]

    @property
    def positive_domain_labels(self) -> list[str]:
        from apps.patients.hrsn import DOMAIN_LABELS

        return [DOMAIN_LABELS[domain] for domain in self.positive_domains]

    @property
    def urgent_needs(self) -> list[str]:
        from apps.patients.hrsn import URGENT_ANSWERS, urgent_needs

        answers = {field: getattr(self, field) for field, _ in URGENT_ANSWERS.values()}
        return urgent_needs(answers, safety_positive=self.safety_positive)


# --- the medication list, allergies, appointments and documents (mostly from FHIR) ---


class MedicationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    STOPPED = "stopped", "Stopped"


class Medication(ImportedRow, BaseModel):
    """A medication on the patient's list (RxNorm-coded when the source codes it).

    The chart's active list is the "before" list a new medication reconciliation starts from.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="medications")
    rxnorm_code = models.CharField("RxNorm code", max_length=20, blank=True)
    display = models.CharField(max_length=255)
    dose_text = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=10, choices=MedicationStatus.choices, default=MedicationStatus.ACTIVE
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="medication_end_after_start",
            ),
            models.CheckConstraint(condition=~Q(display=""), name="medication_has_name"),
        ]
        indexes = [models.Index(fields=["patient", "status"], name="medication_patient_idx")]

    def __str__(self) -> str:
        return f"medication #{self.pk} ({self.status})"


class AllergyCriticality(models.TextChoices):
    LOW = "low", "Low risk"
    HIGH = "high", "High risk"
    UNABLE = "unable-to-assess", "Unable to assess"


class AllergyStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    RESOLVED = "resolved", "Resolved"


class Allergy(ImportedRow, BaseModel):
    """An allergy or intolerance to a substance, with how dangerous it is."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="allergies")
    substance_system = models.CharField(max_length=200, blank=True)
    substance_code = models.CharField(max_length=40, blank=True)
    substance_display = models.CharField(max_length=255)
    criticality = models.CharField(max_length=20, choices=AllergyCriticality.choices, blank=True)
    reaction_text = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=10, choices=AllergyStatus.choices, default=AllergyStatus.ACTIVE
    )

    class Meta:
        verbose_name_plural = "allergies"
        constraints = [
            models.CheckConstraint(
                condition=~Q(substance_display=""), name="allergy_has_substance"
            ),
        ]
        indexes = [models.Index(fields=["patient", "status"], name="allergy_patient_idx")]

    def __str__(self) -> str:
        return f"allergy #{self.pk}"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    FULFILLED = "fulfilled", "Attended"
    CANCELLED = "cancelled", "Cancelled"
    NOSHOW = "noshow", "Did not attend"


class Appointment(ImportedRow, BaseModel):
    """A visit booked with a practitioner; a booked visit after a discharge is the follow-up."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="appointments")
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    description = models.CharField(max_length=255, blank=True)
    practitioner = models.CharField(max_length=120, blank=True)
    location = models.CharField(max_length=120, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="appointment_end_after_start",
            ),
        ]
        indexes = [models.Index(fields=["patient", "start"], name="appointment_patient_idx")]

    def __str__(self) -> str:
        return f"appointment #{self.pk} ({self.status})"


class ClinicalDocument(ImportedRow, BaseModel):
    """A document about the patient held elsewhere: its type, date, title and where it lives.

    No content is stored: the attachment's title and address only.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="documents")
    type_code = models.CharField(max_length=40, blank=True)
    type_display = models.CharField(max_length=255, blank=True)
    document_date = models.DateTimeField()
    title = models.CharField(max_length=255, blank=True)
    url = models.URLField(max_length=500, blank=True)
    is_discharge_summary = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["patient", "document_date"], name="document_patient_idx")]

    def __str__(self) -> str:
        return f"document #{self.pk}"


class AdiSuppression(models.TextChoices):
    PH = "PH", "PH: low population or housing"
    GQ = "GQ", "GQ: high group-quarters population"
    PH_GQ = "PH-GQ", "PH-GQ: both"
    QDI = "QDI", "QDI: questionable data integrity"


class AreaDeprivation(BaseModel):
    """The Area Deprivation Index of the patient's census block group, or why there is none."""

    patient = models.OneToOneField(
        Patient, on_delete=models.CASCADE, related_name="area_deprivation"
    )
    national_percentile = models.PositiveSmallIntegerField(null=True, blank=True)
    state_decile = models.PositiveSmallIntegerField(null=True, blank=True)
    suppression_code = models.CharField(max_length=5, choices=AdiSuppression.choices, blank=True)
    block_group = models.CharField(
        max_length=12, blank=True, help_text="12-digit census block group (FIPS)"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    national_percentile__gte=1,
                    national_percentile__lte=100,
                    state_decile__gte=1,
                    state_decile__lte=10,
                    suppression_code="",
                )
                | Q(
                    national_percentile__isnull=True,
                    state_decile__isnull=True,
                    suppression_code__in=["PH", "GQ", "PH-GQ", "QDI"],
                ),
                name="adi_value_or_suppression",
            ),
        ]

    def __str__(self) -> str:
        return self.suppression_code or f"ADI {self.national_percentile}"


class ComplexityThresholds(BaseModel):
    """An organisation's thresholds: a patient is complex when all three domains cross them.

    A blank threshold switches that piece of evidence off.
    """

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="complexity_thresholds"
    )
    cci_min = models.PositiveSmallIntegerField(
        "Charlson index at least", default=3, help_text="Clinical domain"
    )
    acute_events_min = models.PositiveSmallIntegerField(
        "ED visits + admissions in 12 months at least",
        null=True,
        blank=True,
        default=2,
        help_text="Utilization domain",
    )
    cost_percentile_min = models.PositiveSmallIntegerField(
        "cost percentile at least",
        null=True,
        blank=True,
        default=95,
        help_text="Utilization domain: 95 means the top 5 % of the organisation's 12-month cost",
    )
    adi_percentile_min = models.PositiveSmallIntegerField(
        "ADI national percentile at least",
        null=True,
        blank=True,
        default=80,
        help_text="Social domain",
    )
    hrsn_domains_min = models.PositiveSmallIntegerField(
        "positive HRSN domains at least",
        null=True,
        blank=True,
        default=1,
        help_text="Social domain: from the latest screen of the last 12 months",
    )

    class Meta:
        verbose_name = "complex-needs thresholds"
        verbose_name_plural = "complex-needs thresholds"
        constraints = [
            models.CheckConstraint(
                condition=Q(cost_percentile_min__isnull=True) | Q(cost_percentile_min__lte=99),
                name="thresholds_cost_percentile_range",
            ),
            models.CheckConstraint(
                condition=Q(adi_percentile_min__isnull=True)
                | Q(adi_percentile_min__gte=1, adi_percentile_min__lte=100),
                name="thresholds_adi_range",
            ),
            models.CheckConstraint(
                condition=Q(hrsn_domains_min__isnull=True)
                | Q(hrsn_domains_min__gte=1, hrsn_domains_min__lte=5),
                name="thresholds_hrsn_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Thresholds of {self.organisation}"


class RiskTier(models.TextChoices):
    LOW = "low", "Low"
    RISING = "rising", "Rising"
    HIGH = "high", "High"
    VERY_HIGH = "very_high", "Very high"


class RiskModel(BaseModel):
    """An organisation's admission-risk model: a logistic model over five factors.

    p = 1 / (1 + exp(-(intercept + sum of coefficient x value))). The defaults are
    illustrative, to be calibrated on the organisation's own admissions (see
    apps.patients.risk); an organisation admin sees and sets them in the admin.
    """

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="risk_model"
    )
    intercept = models.DecimalField(max_digits=6, decimal_places=3, default=Decimal("-3.000"))
    charlson_coefficient = models.DecimalField(
        "per Charlson point", max_digits=6, decimal_places=3, default=Decimal("0.250")
    )
    ed_visit_coefficient = models.DecimalField(
        "per ED visit in 12 months", max_digits=6, decimal_places=3, default=Decimal("0.200")
    )
    admission_coefficient = models.DecimalField(
        "per admission in 12 months", max_digits=6, decimal_places=3, default=Decimal("0.450")
    )
    hrsn_coefficient = models.DecimalField(
        "per positive HRSN domain", max_digits=6, decimal_places=3, default=Decimal("0.150")
    )
    adi_coefficient = models.DecimalField(
        "per ADI national decile above the first",
        max_digits=6,
        decimal_places=3,
        default=Decimal("0.050"),
    )
    rising_from = models.PositiveSmallIntegerField(
        "rising from (% probability)", default=10, help_text="Tier cut point"
    )
    high_from = models.PositiveSmallIntegerField(
        "high from (% probability)", default=20, help_text="Tier cut point"
    )
    very_high_from = models.PositiveSmallIntegerField(
        "very high from (% probability)", default=40, help_text="Tier cut point"
    )

    class Meta:
        verbose_name = "admission risk model"
        verbose_name_plural = "admission risk models"
        constraints = [
            models.CheckConstraint(
                condition=Q(rising_from__gte=1)
                & Q(rising_from__lt=models.F("high_from"))
                & Q(high_from__lt=models.F("very_high_from"))
                & Q(very_high_from__lte=99),
                name="risk_model_cut_points_ascending",
                violation_error_message="The cut points must rise: rising < high < very high.",
            ),
        ]

    def __str__(self) -> str:
        return f"Admission risk model of {self.organisation}"


class PatientComplexity(models.Model):
    """The latest complex-needs computation for a patient: evidence, domains, flag and why.

    Derived data, rewritten by apps.patients.complexity; the list filters and sorts on it.
    """

    patient = models.OneToOneField(
        Patient, on_delete=models.CASCADE, primary_key=True, related_name="complexity"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    cci = models.PositiveSmallIntegerField(default=0)
    charlson_categories = models.JSONField(default=list)
    ed_visits_12m = models.PositiveIntegerField(default=0)
    admissions_12m = models.PositiveIntegerField(default=0)
    acute_events_12m = models.PositiveIntegerField(default=0)
    bed_days_12m = models.PositiveIntegerField(default=0)
    cost_12m = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    cost_percentile = models.PositiveSmallIntegerField(default=0)
    hrsn_positive_domains = models.JSONField(default=list)
    hrsn_positive_count = models.PositiveSmallIntegerField(default=0)
    hrsn_screened_on = models.DateField(null=True, blank=True)
    adi_percentile = models.PositiveSmallIntegerField(null=True, blank=True)
    adi_suppression = models.CharField(max_length=5, blank=True)
    clinical_met = models.BooleanField(default=False)
    utilization_met = models.BooleanField(default=False)
    social_met = models.BooleanField(default=False)
    is_complex = models.BooleanField(default=False)
    reasons = models.JSONField(default=dict)
    summary = models.TextField(blank=True)
    as_of = models.DateField()
    computed_at = models.DateTimeField()
    # Admission risk in the next 12 months (apps.patients.risk): the probability, its
    # tier and each factor's value, coefficient and points, as shown on the chart.
    risk_probability = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    risk_tier = models.CharField(max_length=10, choices=RiskTier.choices, default=RiskTier.LOW)
    risk_parts = models.JSONField(default=list)
    # When the flag last turned on (kept while it stays on, empty while off):
    # "newly complex" means this, not a recomputation with fresh evidence.
    flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "patient complexities"
        indexes = [
            models.Index(fields=["organisation", "is_complex"], name="complexity_org_flag_idx"),
            models.Index(fields=["organisation", "cost_12m"], name="complexity_org_cost_idx"),
            models.Index(
                fields=["organisation", "risk_tier", "risk_probability"],
                name="complexity_org_risk_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"complexity of patient {self.patient_id}"

    @property
    def risk_percent(self) -> str:
        """The admission probability as the chart says it, e.g. "12.3 %"."""
        return f"{Decimal(self.risk_probability) * 100:.1f} %"


class ContactLogKind(models.TextChoices):
    CALL = "call", "Phone call"
    VISIT = "visit", "Visit"
    MESSAGE = "message", "Message"


class ContactLogOutcome(models.TextChoices):
    REACHED = "reached", "Reached"
    NO_ANSWER = "no_answer", "No answer"
    LEFT_MESSAGE = "left_message", "Left a message"
    WRONG_NUMBER = "wrong_number", "Wrong number"


class ContactLog(BaseModel):
    """One contact (or try) with a patient or their caregiver: the chart's contact log.

    The one record of a contact: a post-discharge follow-up documented from the
    chart or from the follow-up page points to its entry here
    (transitions.FollowUpContact.contact_log).
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(max_length=8, choices=ContactLogKind.choices)
    outcome = models.CharField(max_length=12, choices=ContactLogOutcome.choices)
    contact_at = models.DateTimeField(help_text="When the contact happened")
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["patient", "-contact_at"], name="contact_log_newest_first")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with patient {self.patient_id}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    REJECTED = "rejected", "Rejected: bad rows"
    FAILED = "failed", "Failed"


class PanelImportJob(BaseModel):
    """A CSV panel upload (patients, conditions, encounters), validated whole before any write.

    The file's text is kept only until the job finishes.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(max_length=200, blank=True)
    content = models.TextField(blank=True)
    dry_run = models.BooleanField(default=True)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    phase = models.CharField(max_length=20, blank=True)
    errors = models.JSONField(default=list, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "panel import"

    def __str__(self) -> str:
        return f"panel import #{self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.finished_at else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))
