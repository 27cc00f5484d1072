"""FHIR models."""

from django.conf import settings
from django.db import models

from apps.accounts.models import Organisation
from apps.core.models import BaseModel

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
