"""Writes for time logging, CCM consent and closing a billing month.

Every write is audited with the patient it concerns. A month the practice has
closed is frozen: no time entry of that month is added, changed, stopped or
removed, whichever door asks.
"""

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import Actor, Organisation
from apps.core.audit import audit_record
from apps.core.changes import record_change, record_create
from apps.core.exceptions import ApplicationError, ConflictError
from apps.core.models import AuditAction
from apps.measures import permissions
from apps.measures.billing_selectors import billing_report
from apps.measures.models import (
    MAX_ENTRY_MINUTES,
    BillingMonth,
    BillingRow,
    CcmConsent,
    TimeEntry,
)
from apps.measures.months import month_after, month_of
from apps.patients.models import Patient

TIME_FIELDS = ("started_at", "minutes", "activity", "clinical_staff_time", "note")


def month_is_closed(organisation_id: int, month: date) -> bool:
    return BillingMonth.objects.filter(organisation_id=organisation_id, month=month).exists()


def _require_open_month(organisation_id: int, month: date) -> None:
    if month_is_closed(organisation_id, month):
        raise ConflictError(
            f"{month:%B %Y} is closed for billing: its time entries can no longer change.",
            field_errors={"started_at": [f"{month:%B %Y} is closed."]},
        )


def _require_not_future(moment: datetime, now: datetime, field: str) -> None:
    if moment > now:
        raise ApplicationError(
            "Time can be logged only for work already started.",
            field_errors={field: ["This is in the future."]},
        )


def time_timer_start(
    *,
    actor: Actor,
    patient: Patient,
    activity: str,
    clinical_staff_time: bool = True,
    now: datetime | None = None,
) -> TimeEntry:
    """Starts the person's one timer on this patient; a timer already running is refused."""
    user = permissions.require_can_log_time(actor, patient)
    now = now or timezone.now()
    organisation = patient.organisation
    month = month_of(organisation, now)
    _require_open_month(organisation.pk, month)
    if TimeEntry.objects.running().filter(user=user).exists():
        raise ConflictError("You already have a timer running: stop it before starting another.")
    entry = TimeEntry(
        organisation=organisation,
        patient=patient,
        user=user,
        started_at=now,
        month=month,
        activity=activity,
        clinical_staff_time=clinical_staff_time,
    )
    try:
        with transaction.atomic():
            return record_create(actor=actor, instance=entry, patient_id=patient.pk)
    except IntegrityError:
        raise ConflictError(
            "You already have a timer running: stop it before starting another."
        ) from None


def time_timer_stop(
    *, actor: Actor, entry: TimeEntry, now: datetime | None = None
) -> TimeEntry | None:
    """Stops a running timer: whole minutes count (rounded down, never over-claimed).

    Under a minute nothing is logged and the timer is removed (None). A timer
    left running past the longest entry is refused: discard it and enter the
    time by hand.
    """
    permissions.require_can_change_time_entry(actor, entry)
    if entry.minutes is not None:
        raise ConflictError("This timer has already been stopped.")
    _require_open_month(entry.organisation_id, entry.month)
    now = now or timezone.now()
    minutes = int((now - entry.started_at).total_seconds() // 60)
    if minutes > MAX_ENTRY_MINUTES:
        raise ApplicationError(
            f"The timer ran for more than {MAX_ENTRY_MINUTES // 60} hours: discard it and "
            "enter the time you actually worked by hand."
        )
    if minutes < 1:
        time_timer_discard(actor=actor, entry=entry)
        return None
    record_change(
        actor=actor,
        instance=entry,
        values={"minutes": minutes},
        patient_id=entry.patient_id,
        detail={"timer": "stopped"},
    )
    return entry


def time_timer_discard(*, actor: Actor, entry: TimeEntry) -> None:
    """Removes a running timer without logging anything."""
    permissions.require_can_change_time_entry(actor, entry)
    if entry.minutes is not None:
        raise ConflictError("This timer has already been stopped; change the entry instead.")
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        object_type=entry,
        object_id=entry.pk,
        patient_id=entry.patient_id,
        detail={"timer": "discarded"},
    )
    entry.delete()
    return


def time_entry_create(
    *,
    actor: Actor,
    patient: Patient,
    started_at: datetime,
    minutes: int,
    activity: str,
    clinical_staff_time: bool = True,
    note: str = "",
    now: datetime | None = None,
) -> TimeEntry:
    """Logs minutes by hand; they count in the practice's month in which the work started."""
    user = permissions.require_can_log_time(actor, patient)
    _require_not_future(started_at, now or timezone.now(), "started_at")
    organisation = patient.organisation
    month = month_of(organisation, started_at)
    _require_open_month(organisation.pk, month)
    return record_create(
        actor=actor,
        instance=TimeEntry(
            organisation=organisation,
            patient=patient,
            user=user,
            started_at=started_at,
            minutes=minutes,
            month=month,
            activity=activity,
            clinical_staff_time=clinical_staff_time,
            note=note.strip(),
        ),
        patient_id=patient.pk,
    )


def time_entry_change(
    *, actor: Actor, entry: TimeEntry, values: dict[str, object], now: datetime | None = None
) -> list[str]:
    """Changes a logged entry (audited field by field); neither its old month nor the
    month it moves to may be closed."""
    permissions.require_can_change_time_entry(actor, entry)
    if entry.minutes is None:
        raise ConflictError("Stop the timer before changing the entry.")
    unknown = set(values) - set(TIME_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    _require_open_month(entry.organisation_id, entry.month)
    changes = dict(values)
    started_at = changes.get("started_at", entry.started_at)
    if not isinstance(started_at, datetime):
        raise ApplicationError(
            "Say when the work started.", field_errors={"started_at": ["Required."]}
        )
    _require_not_future(started_at, now or timezone.now(), "started_at")
    month = month_of(entry.organisation, started_at)
    if month != entry.month:
        _require_open_month(entry.organisation_id, month)
        changes["month"] = month
    if isinstance(changes.get("note"), str):
        changes["note"] = str(changes["note"]).strip()
    return record_change(actor=actor, instance=entry, values=changes, patient_id=entry.patient_id)


def time_entry_delete(*, actor: Actor, entry: TimeEntry) -> None:
    """Removes an entry logged by mistake (on the wrong patient, say) while its month is open;
    the audit keeps what it was."""
    permissions.require_can_change_time_entry(actor, entry)
    if entry.minutes is None:
        raise ConflictError("Stop or discard the timer instead.")
    _require_open_month(entry.organisation_id, entry.month)
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        object_type=entry,
        object_id=entry.pk,
        patient_id=entry.patient_id,
        detail={
            "minutes": entry.minutes,
            "month": entry.month.isoformat(),
            "activity": entry.activity,
            "clinical_staff_time": entry.clinical_staff_time,
        },
    )
    entry.delete()


def consent_record(
    *,
    actor: Actor,
    patient: Patient,
    method: str,
    given_on: date,
    given_by: str,
    today: date | None = None,
) -> CcmConsent:
    """Records CCM consent; a patient has one consent in effect at a time."""
    user = permissions.require_can_log_time(actor, patient)
    today = today or timezone.localdate(timezone=patient.organisation.zone)
    if given_on > today:
        raise ApplicationError(
            "Consent is recorded once given.", field_errors={"given_on": ["In the future."]}
        )
    if CcmConsent.objects.filter(patient=patient, revoked_on__isnull=True).exists():
        raise ConflictError("This patient's CCM consent is already recorded and in effect.")
    consent = CcmConsent(
        organisation_id=patient.organisation_id,
        patient=patient,
        method=method,
        given_on=given_on,
        given_by=given_by.strip(),
        recorded_by=user,
    )
    try:
        with transaction.atomic():
            return record_create(actor=actor, instance=consent, patient_id=patient.pk)
    except IntegrityError:
        raise ConflictError(
            "This patient's CCM consent is already recorded and in effect."
        ) from None


def consent_revoke(
    *,
    actor: Actor,
    consent: CcmConsent,
    revoked_on: date,
    reason: str,
    today: date | None = None,
) -> CcmConsent:
    """Revokes consent (effective at the end of that calendar month); the row stays."""
    patient = consent.patient
    user = permissions.require_can_log_time(actor, patient)
    if consent.revoked_on is not None:
        raise ConflictError("This consent has already been revoked.")
    today = today or timezone.localdate(timezone=patient.organisation.zone)
    errors: dict[str, list[str]] = {}
    if revoked_on > today:
        errors["revoked_on"] = ["In the future."]
    elif revoked_on < consent.given_on:
        errors["revoked_on"] = ["Before the consent was given."]
    if not reason.strip():
        errors["reason"] = ["Say why consent was revoked."]
    if errors:
        raise ApplicationError("The revocation could not be recorded.", field_errors=errors)
    record_change(
        actor=actor,
        instance=consent,
        values={"revoked_on": revoked_on, "revoke_reason": reason.strip(), "revoked_by": user},
        patient_id=patient.pk,
    )
    return consent


def billing_month_close(
    *, actor: Actor, organisation: Organisation, month: date, now: datetime | None = None
) -> BillingMonth:
    """Closes a month that is over: its report is stored as it stands and frozen, and its
    time entries are locked. One transaction: a failure leaves the month open."""
    user = permissions.require_can_close_billing_month(actor, organisation.pk)
    now = now or timezone.now()
    month = month.replace(day=1)
    if month_after(month) > month_of(organisation, now):
        raise ApplicationError(
            "Only a month that is over can be closed.",
            field_errors={"month": [f"{month:%B %Y} is not over yet."]},
        )
    with transaction.atomic():
        if month_is_closed(organisation.pk, month):
            raise ConflictError(f"{month:%B %Y} is already closed.")
        if TimeEntry.objects.running().filter(organisation=organisation, month=month).exists():
            raise ConflictError(
                f"A timer started in {month:%B %Y} is still running: stop or discard it first."
            )
        closed = BillingMonth.objects.create(
            organisation=organisation, month=month, closed_at=now, closed_by=user
        )
        rows = billing_report(organisation=organisation, month=month, team_ids=None)
        BillingRow.objects.bulk_create(
            BillingRow(
                billing_month=closed,
                patient_id=row.patient_id,
                team_id=row.team_id,
                staff_minutes=row.staff_minutes,
                practitioner_minutes=row.practitioner_minutes,
                consent=row.consent,
                chronic_conditions=row.chronic_conditions,
                codes=[{"code": claim.code, "units": claim.units} for claim in row.claims],
                reasons=row.reasons,
            )
            for row in rows
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            object_type=closed,
            object_id=closed.pk,
            patient_ids=[row.patient_id for row in rows],
            detail={"month": month.isoformat(), "rows": len(rows)},
        )
    return closed
