from collections.abc import Iterable
from typing import Any, ClassVar, NoReturn

from django.conf import settings
from django.db import connections, models
from django.db.models.expressions import RawSQL
from django.utils import timezone


class BaseModel(models.Model):
    """Every domain row knows when it was created and last changed."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AuditAction(models.TextChoices):
    VIEW = "view", "Viewed a record"
    LIST = "list", "Listed records"
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    DELETE = "delete", "Deleted"
    EXPORT = "export", "Exported"
    BREAK_GLASS = "break_glass", "Emergency access granted"
    DENIED = "denied", "Access denied"


class AuditSource(models.TextChoices):
    UI = "ui", "Web UI"
    API = "api", "REST API"
    ADMIN = "admin", "Django admin"
    TASK = "task", "Scheduled job"
    HL7 = "hl7", "HL7 v2 interface"
    FHIR = "fhir", "FHIR interface"
    IMPORT = "import", "File import"
    SYSTEM = "system", "System"


class AppendOnlyQuerySet(models.QuerySet["AuditEvent"]):
    def about_patients(self, patient_ids: Iterable[int]) -> "AppendOnlyQuerySet":
        """Events about any of these patients: naming one as their patient, or a list page
        or export that showed one (in `patient_ids`). JSON containment on PostgreSQL (its
        GIN index), SQLite's json_each on the embedded default: the same events on both."""
        ids = sorted(set(patient_ids))
        about = models.Q(patient_id__in=ids)
        if not ids:
            return self.filter(about)
        if connections[self.db].vendor == "postgresql":
            for patient_id in ids:
                about |= models.Q(patient_ids__contains=[patient_id])
        else:
            table = self.model._meta.db_table
            placeholders = ", ".join(["%s"] * len(ids))
            # The table's name comes from the model, the ids go as parameters.
            sql = (
                f"EXISTS (SELECT 1 FROM json_each({table}.patient_ids) "  # noqa: S608
                f"WHERE json_each.value IN ({placeholders}))"
            )
            listed = RawSQL(sql, ids, output_field=models.BooleanField())  # noqa: S611
            about |= models.Q(listed)
        return self.filter(about)

    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError("audit events are append-only")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise PermissionError("audit events are append-only")


class AuditEvent(models.Model):
    """One read or write of patient data: who, when, what, which patient, from where.

    Rows are append-only: the model refuses to save an existing row or delete
    one, and on PostgreSQL a trigger refuses UPDATE and DELETE for every role.
    Only identifiers and field names are stored here, never clinical values.
    """

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    # No database FK: deleting a user must neither cascade into nor update the trail.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    source = models.CharField(max_length=16, choices=AuditSource.choices)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, blank=True)
    patient_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    patient_ids = models.JSONField(default=list, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=255, blank=True)
    break_glass = models.BooleanField(default=False)
    detail = models.JSONField(default=dict, blank=True)

    objects: ClassVar[models.Manager["AuditEvent"]] = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        # And, on PostgreSQL, a GIN index on patient_ids (migration 0003).
        indexes = [
            models.Index(fields=["actor", "occurred_at"]),
            models.Index(fields=["patient_id", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_username} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("audit events are append-only")


class JobRun(models.Model):
    """When a scheduled job last started, succeeded and failed: one row per job.

    Written by every beat job (`apps.core.jobruns.recorded_job`), by the beat
    itself ("core.beat") and by the worker heartbeat, so `check_jobs` and the
    admin home page can say which job has not succeeded for too long.
    """

    name = models.CharField(max_length=200, unique=True)
    # When the beat first scheduled the job: a job that never ran is late only
    # once twice its interval has passed since then.
    registered_at = models.DateTimeField(default=timezone.now)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failed_at = models.DateTimeField(null=True, blank=True)
    # The error's kind (and a refusal's own words): never patient values.
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
