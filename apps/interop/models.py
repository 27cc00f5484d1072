"""Messages from other systems, kept as received for audit and replay."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.accounts.models import Organisation
from apps.core.models import BaseModel
from apps.patients.models import Patient
from apps.transitions.models import Handoff


class AdtStatus(models.TextChoices):
    APPLIED = "applied", "Applied"
    IGNORED = "ignored", "Accepted, nothing to do"
    UNMATCHED = "unmatched", "Waiting for a coordinator to match the patient"
    ERROR = "error", "Refused (AE): content error, nothing changed"
    REJECTED = "rejected", "Rejected (AR): not a message we take, nothing changed"
    CLASH = "clash", "Control id clash (AE): MSH-10 already used for another message"
    DISMISSED = "dismissed", "Dismissed by an admin, never applied"
    REVIEW = "review", "Accepted; queued for a person to review (merge, class change)"
    BUSY = "busy", "Not processed (AR): records busy or intake failed; the sender resends"
    RESENT = "resent", "Not processed here: resent by the sender and processed then"


class AdtChannel(models.TextChoices):
    HTTP = "http", "HTTP"
    MLLP = "mllp", "MLLP"
    REPLAY = "replay", "Replay"


class AdtMessage(BaseModel):
    """One HL7 v2 ADT message as received, with the acknowledgement we answered.

    A message is identified by its sender (MSH-3, MSH-4), control id
    (MSH-10) and content (`content_hash`, the message without MSH-7): the same
    message delivered twice is answered with the stored acknowledgement and
    changes nothing. Senders reuse and restart control ids, so a different
    message under a used control id is no repeat: it is kept as a clash
    (`clash_of` names the first one), answered AE and left for an admin to
    replay or dismiss. The raw text holds patient data: read it only through
    the selector that audits the read.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="adt_messages"
    )
    channel = models.CharField(max_length=8, choices=AdtChannel.choices)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sending_application = models.CharField(max_length=180, blank=True)
    sending_facility = models.CharField(max_length=180, blank=True)
    control_id = models.CharField(max_length=199, blank=True, help_text="MSH-10")
    message_type = models.CharField(max_length=20, blank=True)
    event_code = models.CharField(max_length=8, blank=True)
    version = models.CharField(max_length=12, blank=True)
    raw = models.TextField()
    # The bytes as received, kept only when the text above cannot hold them
    # faithfully (invalid UTF-8, NUL and other control characters).
    raw_bytes = models.BinaryField(null=True, blank=True)
    content_hash = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the message without MSH-7"
    )
    clash_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clashes",
        help_text="The earlier message of this sender under the same control id",
    )
    status = models.CharField(max_length=10, choices=AdtStatus.choices)
    ack_code = models.CharField(max_length=2)
    ack_text = models.CharField(max_length=200, blank=True)
    ack = models.TextField()
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handoff = models.ForeignKey(
        Handoff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "sending_application", "sending_facility", "control_id"],
                # A message refused for contention does not hold its control id:
                # the sender's resend is processed afresh, not answered from it.
                condition=~Q(control_id="")
                & Q(clash_of__isnull=True)
                & ~Q(status__in=["busy", "resent"]),
                name="adt_message_once_per_sender",
            ),
            models.UniqueConstraint(
                fields=[
                    "organisation",
                    "sending_application",
                    "sending_facility",
                    "control_id",
                    "content_hash",
                ],
                condition=~Q(control_id="") & Q(clash_of__isnull=False),
                name="adt_clash_once_per_content",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status"], name="adt_org_status_idx"),
        ]

    def __str__(self) -> str:
        return f"ADT {self.event_code or '?'} #{self.pk}"

    def received_text(self) -> str:
        """The message as it arrived, bad bytes included, for hashing and replay."""
        if self.raw_bytes is not None:
            return bytes(self.raw_bytes).decode("utf-8", errors="surrogateescape")
        return self.raw


class MatchStatus(models.TextChoices):
    OPEN = "open", "Open"
    MATCHED = "matched", "Matched and applied"
    DISMISSED = "dismissed", "Dismissed (not our patient)"
    REVIEWED = "reviewed", "Reviewed and closed"


class MatchKind(models.TextChoices):
    MATCH = "match", "Who is the patient?"
    MERGE = "merge", "Merge of two records (A40)"
    CLASS_CHANGE = "class_change", "Patient class change (A06/A07)"


class PatientMatchRequest(BaseModel):
    """The review queue: a message whose identifiers match none of our patients, or an
    event a person must review (a merge, a class change) before anything changes.

    The message is neither dropped nor guessed: a coordinator picks the patient
    (never by name alone; the identifiers are shown) and the message is then
    applied, together with any later messages for the same identifiers.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="patient_match_requests"
    )
    # The ADT message waiting; empty for a FHIR Patient from a record import, whose
    # resources wait in their source and are imported again once the patient is matched.
    message = models.OneToOneField(
        AdtMessage, null=True, blank=True, on_delete=models.CASCADE, related_name="match_request"
    )
    origin = models.CharField(
        max_length=200, blank=True, help_text="Where a request without a message came from"
    )
    status = models.CharField(max_length=10, choices=MatchStatus.choices, default=MatchStatus.OPEN)
    kind = models.CharField(max_length=12, choices=MatchKind.choices, default=MatchKind.MATCH)
    # For a review: what the message says beside what we hold, row by row
    # ({"columns": [left, right], "rows": [[label, left, right], ...]}).
    review = models.JSONField(default=dict, blank=True)
    other_patient = models.ForeignKey(
        Patient,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="A40: our patient holding the identifiers of the record merged away",
    )
    # "authority|value" strings from PID-3, for finding requests of the same person.
    identifiers = models.JSONField(default=list)
    family_name = models.CharField(max_length=100, blank=True)
    given_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=10, blank=True)
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "status", "created_at"], name="match_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"Match request #{self.pk}"
