"""Running a huddle: open (the agenda builds itself), attendance, refresh, close."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.exceptions import ApplicationError, ConflictError
from apps.core.models import AuditAction
from apps.huddles import agenda
from apps.huddles.agenda import AgendaContext, AgendaPlan, Candidate
from apps.huddles.models import (
    AgendaItem,
    Huddle,
    HuddleAttendance,
    HuddleStatus,
    ItemSource,
    ItemStatus,
)
from apps.huddles.permissions import require_can_run_huddles
from apps.huddles.services.schedule import huddle_settings_for
from apps.tasks.models import Task, TaskSource
from apps.teams.models import TeamMembership


def previous_huddle(huddle: Huddle) -> Huddle | None:
    """The team's last closed huddle before this one: where unfinished items come from."""
    return (
        Huddle.objects.filter(team_id=huddle.team_id, status=HuddleStatus.CLOSED)
        .exclude(pk=huddle.pk)
        .order_by("-closed_at", "-pk")
        .first()
    )


def agenda_context(
    *,
    huddle: Huddle,
    now: datetime,
    previous: Huddle | None,
    lookback_days: int,
    carried_keys: frozenset[str] = frozenset(),
    viewer: User | None = None,
) -> AgendaContext:
    """What the sources read: the team, the moment, and the window since the last huddle."""
    since = (
        previous.opened_at
        if previous is not None and previous.opened_at is not None
        else (huddle.opened_at or now) - timedelta(days=lookback_days)
    )
    # A deactivated account owns nothing any more: its work is orphaned too.
    members = (
        TeamMembership.objects.live()
        .filter(team_id=huddle.team_id)
        .values_list("user_id", flat=True)
    )
    return AgendaContext(
        team_id=huddle.team_id,
        organisation_id=huddle.team.organisation_id,
        now=now,
        since=since,
        active_member_ids=frozenset(members),
        carried_keys=carried_keys,
        viewer=viewer,
    )


def agenda_plan_for(
    *,
    huddle: Huddle,
    now: datetime,
    previous: Huddle | None,
    keep_keys: frozenset[str] = frozenset(),
    exclude_keys: frozenset[str] = frozenset(),
    viewer: User | None = None,
) -> AgendaPlan:
    """The agenda the sources propose for `huddle` at `now` (reads only), as `viewer` sees it."""
    settings = huddle_settings_for(huddle.team.organisation_id)
    earlier = list(previous.items.all()) if previous is not None else []
    unfinished = [item for item in earlier if item.status == ItemStatus.PENDING]
    dealt_with = [
        item.key for item in earlier if item.status in (ItemStatus.DISCUSSED, ItemStatus.SKIPPED)
    ]
    left_out = list(previous.left_out_keys) if previous is not None else []
    context = agenda_context(
        huddle=huddle,
        now=now,
        previous=previous,
        lookback_days=settings.first_lookback_days,
        carried_keys=frozenset(item.key for item in unfinished) | frozenset(left_out),
        viewer=viewer,
    )
    return agenda.plan_agenda(
        context=context,
        sources=agenda.SOURCES,
        limit=settings.max_agenda_items,
        unfinished=unfinished,
        keep_keys=keep_keys,
        exclude_keys=exclude_keys,
        dealt_with=dealt_with,
    )


def _new_item(huddle: Huddle, candidate: Candidate, plan: AgendaPlan, position: int) -> AgendaItem:
    return AgendaItem(
        huddle=huddle,
        patient_id=candidate.patient_id,
        source=candidate.source,
        key=candidate.key,
        title=candidate.title[:200],
        evidence=candidate.evidence_json(),
        urgency=candidate.urgency,
        position=position,
        carried_from=plan.carried_from.get(candidate.key),
    )


def _locked(huddle: Huddle) -> Huddle:
    return Huddle.objects.select_for_update(of=("self",)).select_related("team").get(pk=huddle.pk)


@transaction.atomic
def huddle_open(*, actor: User, huddle: Huddle) -> Huddle:
    """Starts the meeting: builds the agenda from every source and lists the team for attendance.

    Items the coordinator added beforehand keep their place among the
    automatic ones by urgency; the last huddle's unfinished items come back
    unless they were resolved since.
    """
    huddle = _locked(huddle)
    require_can_run_huddles(actor, huddle.team_id)
    if huddle.status != HuddleStatus.SCHEDULED:
        raise ApplicationError("Only a scheduled huddle can be opened.")
    if Huddle.objects.filter(team_id=huddle.team_id, status=HuddleStatus.OPEN).exists():
        raise ApplicationError("The team already has a huddle in progress; close it first.")
    now = timezone.now()
    previous = previous_huddle(huddle)
    added = list(huddle.items.all())
    plan = agenda_plan_for(
        huddle=huddle,
        now=now,
        previous=previous,
        exclude_keys=frozenset(item.key for item in added),
        viewer=actor,
    )
    items = [_new_item(huddle, candidate, plan, 0) for candidate in plan.candidates]
    ordered = sorted(
        [*added, *items], key=lambda item: (-item.urgency, item.source != ItemSource.MANUAL)
    )
    for position, item in enumerate(ordered, start=1):
        item.position = position
    AgendaItem.objects.bulk_create(items)
    if added:
        AgendaItem.objects.bulk_update(added, ["position"])
    members = TeamMembership.objects.live().filter(team_id=huddle.team_id)
    HuddleAttendance.objects.bulk_create(
        [
            HuddleAttendance(
                huddle=huddle, user_id=member.user_id, role=member.role, is_lead=member.is_lead
            )
            for member in members
        ]
    )
    huddle.status = HuddleStatus.OPEN
    huddle.opened_at = now
    huddle.opened_by = actor
    huddle.previous = previous
    huddle.candidates_left_out = plan.left_out
    huddle.left_out_keys = plan.left_out_event_keys
    huddle.save(
        update_fields=[
            "status",
            "opened_at",
            "opened_by",
            "previous",
            "candidates_left_out",
            "left_out_keys",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=Huddle,
        object_id=huddle.pk,
        patient_ids=sorted({item.patient_id for item in ordered}),
        detail={"fields": ["status"], "items": len(ordered), "carried": len(plan.carried_from)},
    )
    return huddle


def _has_tasks(item_ids: list[int]) -> set[int]:
    rows = Task.objects.filter(source_type=TaskSource.HUDDLE, source_id__in=item_ids)
    return {source_id for source_id in rows.values_list("source_id", flat=True) if source_id}


@transaction.atomic
def huddle_agenda_refresh(*, actor: User, huddle: Huddle) -> Huddle:
    """Re-reads the sources during the meeting.

    Pending automatic items get fresh evidence, or become "resolved before
    discussion" when their source no longer sees the matter (unless someone
    already started on them); new matters join the end of the agenda.
    """
    huddle = _locked(huddle)
    require_can_run_huddles(actor, huddle.team_id)
    if huddle.status != HuddleStatus.OPEN:
        raise ApplicationError("Only a huddle in progress can refresh its agenda.")
    items = list(huddle.items.all())
    pending_auto = [item for item in items if item.is_pending and item.source != ItemSource.MANUAL]
    now = timezone.now()
    plan = agenda_plan_for(
        huddle=huddle,
        now=now,
        previous=huddle.previous,
        keep_keys=frozenset(item.key for item in pending_auto),
        exclude_keys=frozenset(item.key for item in items if not item.is_pending)
        | frozenset(item.key for item in items if item.source == ItemSource.MANUAL),
        viewer=actor,
    )
    proposed = {candidate.key: candidate for candidate in plan.candidates}
    started = _has_tasks([item.pk for item in pending_auto])
    changed: list[AgendaItem] = []
    resolved: list[AgendaItem] = []
    for item in pending_auto:
        candidate = proposed.pop(item.key, None)
        if candidate is not None:
            item.title = candidate.title[:200]
            item.evidence = candidate.evidence_json()
            item.urgency = candidate.urgency
            item.updated_at = now
            changed.append(item)
        elif item.key not in plan.found_keys and not item.decision and item.pk not in started:
            item.status = ItemStatus.RESOLVED
            item.closed_at = now
            item.closed_by = actor
            item.updated_at = now
            resolved.append(item)
    AgendaItem.objects.bulk_update(changed, ["title", "evidence", "urgency", "updated_at"])
    AgendaItem.objects.bulk_update(resolved, ["status", "closed_at", "closed_by", "updated_at"])
    last = max((item.position for item in items), default=0)
    existing_keys = {item.key for item in items}
    new = [
        _new_item(huddle, candidate, plan, last + offset)
        for offset, candidate in enumerate(
            (c for c in plan.candidates if c.key in proposed and c.key not in existing_keys),
            start=1,
        )
    ]
    AgendaItem.objects.bulk_create(new)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=Huddle,
        object_id=huddle.pk,
        patient_ids=sorted({item.patient_id for item in [*changed, *resolved, *new]}),
        detail={"refreshed": len(changed), "resolved": len(resolved), "added": len(new)},
    )
    return huddle


@transaction.atomic
def huddle_attendance_set(
    *, actor: User, huddle: Huddle, user_id: int, present: bool
) -> HuddleAttendance:
    """Marks a team member present or absent; someone who joined the team since opening is added."""
    huddle = _locked(huddle)
    require_can_run_huddles(actor, huddle.team_id)
    if huddle.status != HuddleStatus.OPEN:
        raise ApplicationError("Attendance is taken while the huddle is in progress.")
    row = HuddleAttendance.objects.filter(huddle=huddle, user_id=user_id).first()
    if row is None:
        member = (
            TeamMembership.objects.live().filter(team_id=huddle.team_id, user_id=user_id).first()
        )
        if member is None:
            raise ApplicationError(
                "Only members of the care team are on the attendance list.",
                field_errors={"user_id": ["Not a current member of the team."]},
            )
        row = HuddleAttendance.objects.create(
            huddle=huddle, user_id=user_id, role=member.role, is_lead=member.is_lead
        )
    if row.present != present or row.marked_by_id is None:
        row.present = present
        row.marked_by = actor
        row.save(update_fields=["present", "marked_by", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type=HuddleAttendance,
            object_id=row.pk,
            detail={"huddle_id": huddle.pk, "user_id": user_id, "present": present},
        )
    return row


def huddle_close_validate(*, huddle: Huddle) -> None:
    """May this huddle close now? (in progress, attendance recorded). The page asks this
    before it asks to confirm carrying items over, so a refusal is not preceded by a question."""
    if huddle.status != HuddleStatus.OPEN:
        raise ApplicationError("Only a huddle in progress can be closed.")
    if not huddle.attendance.filter(present=True).exists():
        raise ApplicationError(
            "Record who attended before closing the huddle.",
            field_errors={"attendance": ["Mark at least one person present."]},
        )


@transaction.atomic
def huddle_close(*, actor: User, huddle: Huddle, carry_over: bool) -> Huddle:
    """Ends the meeting. Items not reached stay pending and open the team's next huddle:
    closing with such items needs `carry_over`, the confirmation the page asks for, so no
    door moves a patient's discussion to another day without someone saying so."""
    huddle = _locked(huddle)
    require_can_run_huddles(actor, huddle.team_id)
    huddle_close_validate(huddle=huddle)
    pending = huddle.items.filter(status=ItemStatus.PENDING).count()
    if pending and not carry_over:
        raise ConflictError(
            f"{pending} agenda item(s) were not reached. Confirm that they carry over to the "
            "team's next huddle.",
            field_errors={"carry_over": ["Confirm carrying the items not reached over."]},
        )
    huddle.status = HuddleStatus.CLOSED
    huddle.closed_at = timezone.now()
    huddle.closed_by = actor
    huddle.save(update_fields=["status", "closed_at", "closed_by", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=Huddle,
        object_id=huddle.pk,
        detail={"fields": ["status"], "unfinished_items": pending},
    )
    return huddle
