"""FHIR: system clients (SMART Backend Services), their tokens and bulk exports; and
what the importer has taken in (records and upload jobs)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.accounts.models import Organisation
from apps.core.models import BaseModel
from apps.referrals.models import ResourceOrganisation
from apps.teams.models import CareTeam

# --- SMART Backend Services -------------------------------------------------------------


class FhirClient(BaseModel):
    """A partner system that reads (and, with a write scope, updates) FHIR resources.

    It proves who it is with a JWT signed by the private key whose public half is
    registered here; it sees only its organisation's patients and, when tied to a
    partner in the resource directory, only the referrals sent to that partner.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="fhir_clients"
    )
    resource_organisation = models.ForeignKey(
        ResourceOrganisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fhir_clients",
        help_text="The community partner this client speaks for (Gravity Task updates)",
    )
    name = models.CharField(max_length=200)
    client_id = models.CharField(max_length=100, unique=True)
    jwks = models.JSONField(
        help_text='The client\'s public key(s): a JWK ({"kty": ...}) or a JWKS ({"keys": [...]})'
    )
    scopes = models.CharField(
        max_length=500,
        help_text="Scopes the client may be granted, separated by spaces "
        "(e.g. system/*.read system/Task.write)",
    )
    is_active = models.BooleanField(default=True)
    # The interface account the audit trail names for this client's steps (and that
    # documents a partner's result when it closes a referral loop).
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="fhir_client",
    )

    class Meta:
        verbose_name = "FHIR client"

    def __str__(self) -> str:
        return self.name

    @property
    def allowed_scopes(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class FhirAccessToken(models.Model):
    """A short-lived bearer token; only its SHA-256 is stored."""

    client = models.ForeignKey(FhirClient, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.CharField(max_length=500)
    issued_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"token of {self.client_id}"


class FhirUsedAssertion(models.Model):
    """A client assertion's `jti`, kept until the assertion expires so it cannot be replayed."""

    client = models.ForeignKey(FhirClient, on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=200)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "jti"], name="fhir_assertion_jti_once"),
        ]

    def __str__(self) -> str:
        return self.jti


# --- Bulk data export ---------------------------------------------------------------------


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class FhirExport(BaseModel):
    """One `$export` request: what was asked, by whom, and the NDJSON files it wrote."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    client = models.ForeignKey(
        FhirClient, null=True, blank=True, on_delete=models.CASCADE, related_name="exports"
    )
    team = models.ForeignKey(
        CareTeam, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    request_url = models.CharField(max_length=1000)
    types = models.JSONField(default=list, blank=True)
    since = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    total_patients = models.PositiveIntegerField(default=0)
    processed_patients = models.PositiveIntegerField(default=0)
    output = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=300, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "FHIR bulk export"
        constraints = [
            models.CheckConstraint(
                condition=Q(requested_by__isnull=False) | Q(client__isnull=False),
                name="fhir_export_has_a_requester",
            ),
        ]

    def __str__(self) -> str:
        return f"FHIR export #{self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if not self.total_patients:
            return 100 if self.finished_at else 0
        return min(100, round(100 * self.processed_patients / self.total_patients))


# --- import side: records arriving from other systems (apps.fhir.importing) ----------------


class FhirImportRecord(BaseModel):
    """One FHIR resource caregraph has taken in, and the chart row it became.

    Keyed by (organisation, source, resource type, id): the stored version and
    content hash decide whether a resource seen again changes anything. The
    content itself is not kept: the hash says "same as last time".
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=120)
    resource_type = models.CharField(max_length=40)
    fhir_id = models.CharField(max_length=64)
    version_id = models.CharField(max_length=64, blank=True)
    content_hash = models.CharField(max_length=64)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.BigIntegerField(null=True, blank=True)
    patient_id = models.BigIntegerField(null=True, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "source", "resource_type", "fhir_id"],
                name="fhir_import_once_per_resource",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.fhir_id} from {self.source}"


class FhirImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Finished"
    FAILED = "failed", "Failed"


class FhirImportJob(BaseModel):
    """An uploaded FHIR file imported by a Celery job, with its progress and report.

    The report holds counts and, for each problem, its position, resource type,
    id and reason: no patient data beyond resource ids.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=120)
    file_name = models.CharField(max_length=200, blank=True)
    # Where the upload waits for the worker (under FHIR_IMPORT_DIR); emptied when done.
    stored_path = models.CharField(max_length=300, blank=True)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=FhirImportStatus.choices, default=FhirImportStatus.QUEUED
    )
    total_bytes = models.PositiveBigIntegerField(default=0)
    processed_bytes = models.PositiveBigIntegerField(default=0)
    processed_resources = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "FHIR import"

    def __str__(self) -> str:
        return f"FHIR import #{self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if self.finished_at:
            return 100
        if not self.total_bytes:
            return 0
        return min(99, round(100 * self.processed_bytes / self.total_bytes))


# --- end of the import side ----------------------------------------------------------------
