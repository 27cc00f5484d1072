"""Ticking a handoff's checklist and the transition details entered by hand."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Actor, User
from apps.core.changes import record_change
from apps.core.exceptions import ApplicationError
from apps.transitions import permissions
from apps.transitions.models import (
    DERIVED_ITEMS,
    ChecklistItem,
    Complexity,
    Episode,
    EpisodeStatus,
    Handoff,
)


@transaction.atomic
def checklist_item_set(
    *,
    actor: User,
    item: ChecklistItem,
    done: bool,
    done_at: datetime | None = None,
    note: str = "",
) -> ChecklistItem:
    """Marks an item done (when it happened, default now) or open again.

    The reconciliation items follow the reconciliation itself and cannot be
    ticked by hand. A time in the future is refused: the checklist records
    what happened, and "summary before the visit" depends on that time.
    """
    item = (
        ChecklistItem.objects.select_for_update()
        .select_related("handoff__episode__patient")
        .get(pk=item.pk)
    )
    patient = item.handoff.episode.patient
    permissions.require_can_manage_transitions(actor, patient)
    if item.code in DERIVED_ITEMS:
        raise ApplicationError(
            "This item follows the medication reconciliation; complete or verify it there."
        )
    if item.handoff.cancelled_at is not None:
        raise ApplicationError("This discharge was cancelled; its checklist is closed.")
    when = done_at or timezone.now()
    if done and (timezone.is_naive(when) or when > timezone.now()):
        raise ApplicationError(
            "Give when it happened; it cannot be in the future.",
            field_errors={"done_at": ["Not in the future, with a time zone."]},
        )
    record_change(
        actor=actor,
        instance=item,
        values={
            "done_at": when if done else None,
            "done_by": actor if done else None,
            "note": note.strip()[:300],
        },
        patient_id=patient.pk,
        detail={"code": item.code, "done": done},
    )
    return item


def checklist_item_tick(
    *,
    actor: Actor,
    handoff: Handoff,
    code: str,
    when: object,
    done_by: User | None = None,
    note: str | None = None,
    open_only: bool = False,
) -> None:
    """Ticks an item that follows another record (the reconciliation done or verified, the
    plan review asked for): a step of `actor`'s action, audited as a hand tick is.
    Called inside the caller's transaction; `open_only` leaves an item already done."""
    item = ChecklistItem.objects.filter(handoff=handoff, code=code).first()
    if item is None or (open_only and item.done_at is not None):
        return
    values: dict[str, object] = {"done_at": when, "done_by": done_by}
    if note is not None:
        values["note"] = note
    record_change(
        actor=actor,
        instance=item,
        values=values,
        patient_id=handoff.episode.patient_id,
        detail={"code": code, "done": True},
        clean=False,
    )


@transaction.atomic
def episode_complexity_set(*, actor: User, episode: Episode, complexity: str) -> Episode:
    """Records the transition's complexity; pending follow-ups are not re-timed."""
    episode = (
        Episode.objects.select_for_update(of=("self",)).select_related("patient").get(pk=episode.pk)
    )
    permissions.require_can_manage_transitions(actor, episode.patient)
    if complexity and complexity not in Complexity.values:
        raise ApplicationError(
            "Unknown complexity.", field_errors={"complexity": ["Choose high or moderate."]}
        )
    if episode.status == EpisodeStatus.CANCELLED:
        raise ApplicationError("This episode was cancelled.")
    record_change(
        actor=actor,
        instance=episode,
        values={"complexity": complexity},
        patient_id=episode.patient_id,
    )
    return episode
