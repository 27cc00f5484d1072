"""A referral's domain events: each one is a line on its timeline and an audit event, together.

Every service that writes a referral's history goes through here, so the
timeline a coordinator reads and the audit trail a privacy officer reads can
never disagree about what happened, who did it (the person behind a job) and
when. The timeline keeps the note (a reason, a result); the audit keeps only
field names and identifiers.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.utils import timezone

from apps.accounts.models import Actor
from apps.core.actors import person_behind
from apps.core.audit import audit_event, audit_record_many
from apps.core.models import AuditAction, AuditEvent
from apps.referrals.models import Referral, ReferralEvent


def referral_event_build(
    *,
    actor: Actor,
    referral: Referral,
    kind: str,
    fields: Sequence[str] = (),
    action: str = AuditAction.UPDATE,
    note: str = "",
    from_state: str = "",
    to_state: str = "",
    occurred_at: datetime | None = None,
    **detail: Any,
) -> tuple[ReferralEvent, AuditEvent]:
    """The unsaved pair for one event; `referral_events_save` writes many in two INSERTs."""
    occurred_at = occurred_at or timezone.now()
    changed = sorted(set(fields))
    if changed:
        detail["fields"] = changed
    event = ReferralEvent(
        referral_id=referral.pk,
        occurred_at=occurred_at,
        actor=person_behind(actor),
        kind=kind,
        from_state=from_state,
        to_state=to_state,
        note=note,
        detail=detail,
    )
    audit_detail: dict[str, Any] = {"event": kind}
    if changed:
        audit_detail["fields"] = changed
    if from_state and to_state:
        audit_detail.update(from_state=from_state, to_state=to_state)
    audit = audit_event(
        actor=actor,
        action=action,
        object_type=Referral,
        object_id=referral.pk,
        patient_id=referral.patient_id,
        detail=audit_detail,
    )
    return event, audit


def referral_events_save(pairs: Iterable[tuple[ReferralEvent, AuditEvent]]) -> None:
    """Writes built events and their audit events, in the caller's transaction."""
    events, audits = [], []
    for event, audit in pairs:
        events.append(event)
        audits.append(audit)
    ReferralEvent.objects.bulk_create(events)
    audit_record_many(audits)


def referral_event_record(
    *, actor: Actor, referral: Referral, kind: str, **details: Any
) -> ReferralEvent:
    """Records one event of `referral`, its timeline line and its audit event; `details`
    as `referral_event_build` takes them (fields, action, note, states, identifiers)."""
    event, audit = referral_event_build(actor=actor, referral=referral, kind=kind, **details)
    referral_events_save([(event, audit)])
    return event
