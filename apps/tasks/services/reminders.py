"""The due-reminder sweep. Waiting is data: a task's due time is a row, a periodic job acts on it.

Each open task gets at most one reminder to its owner (key "task:<id>:due")
as it comes due, and at most one escalation to the lead coordinator of the
patient's team (key "task:<id>:overdue") once it is overdue. Rows are claimed
with SELECT ... FOR UPDATE SKIP LOCKED in batches, so two sweeps at once share
the work instead of doubling it; `reminded_at` / `escalated_at` and the unique
notification keys make a rerun (or a worker killed mid-batch) change nothing
twice. Every batch costs a fixed number of queries, whatever its size.
"""

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from apps.accounts.models import Actor, Organisation, actor_checked
from apps.core.actors import JobActor
from apps.core.audit import audit_record
from apps.core.exceptions import ApplicationError
from apps.core.items import ItemsResult, run_batches
from apps.core.models import AuditAction
from apps.tasks.events import TaskHappening, task_events_record
from apps.tasks.models import (
    ACTIONABLE_STATUSES,
    DEFAULT_ESCALATION_DELAY_HOURS,
    DEFAULT_REMINDER_LEAD_HOURS,
    Task,
    TaskEventKind,
    TaskSettings,
    task_is_overdue,
)
from apps.tasks.notifications import NotificationDraft, notification_send_many
from apps.tasks.services.lifecycle import task_link
from apps.teams.models import TeamMembership

logger = logging.getLogger(__name__)

REMINDER_KIND = "task_due"
ESCALATION_KIND = "task_overdue"
ORPHANED_KIND = "task_orphaned"
BATCH_SIZE = 200
# A safety stop: a sweep that somehow kept finding work would end here and resume next run.
MAX_BATCHES = 1000
MAX_HOURS = 24 * 30

REMINDER_JOB = "tasks.reminder_sweep"
# The beat's sweep acts for no one person: its audit events name the job.
SWEEP = JobActor(job=REMINDER_JOB)

DEFAULT_REMINDER_LEAD = timedelta(hours=DEFAULT_REMINDER_LEAD_HOURS)
DEFAULT_ESCALATION_DELAY = timedelta(hours=DEFAULT_ESCALATION_DELAY_HOURS)


def reminder_key(task_id: int) -> str:
    return f"task:{task_id}:due"


def due_event(task_id: int) -> str:
    """What the reminder and the escalation both tell of: this task's due time.

    An owner who is also the lead coordinator hears of it once (see Notification.about).
    """
    return f"task:{task_id}:due"


def escalation_key(task_id: int) -> str:
    return f"task:{task_id}:overdue"


@dataclass(frozen=True)
class SweepResult:
    reminded: int = 0
    escalated: int = 0
    # Tasks whose reminder or escalation failed this run (ids; retried next run).
    failed: tuple[int, ...] = ()


def task_settings_get(*, organisation: Organisation) -> TaskSettings:
    """The organisation's task settings, created with the defaults on first use."""
    settings, _ = TaskSettings.objects.get_or_create(organisation=organisation)
    return settings


@transaction.atomic
def task_settings_update(
    *,
    actor: Actor,
    organisation: Organisation,
    reminder_lead_hours: int,
    escalation_delay_hours: int,
) -> TaskSettings:
    """Sets when owners are reminded and when the lead coordinator is told (whole hours)."""
    actor_checked(actor)
    errors: dict[str, list[str]] = {}
    if not 0 <= reminder_lead_hours <= MAX_HOURS:
        errors["reminder_lead_hours"] = [f"Between 0 and {MAX_HOURS} hours."]
    if not 0 <= escalation_delay_hours <= MAX_HOURS:
        errors["escalation_delay_hours"] = [f"Between 0 and {MAX_HOURS} hours."]
    if errors:
        raise ApplicationError("The task settings are not valid.", field_errors=errors)
    settings = TaskSettings.objects.select_for_update().get(
        pk=task_settings_get(organisation=organisation).pk
    )
    settings.reminder_lead_hours = reminder_lead_hours
    settings.escalation_delay_hours = escalation_delay_hours
    settings.save(update_fields=["reminder_lead_hours", "escalation_delay_hours", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=TaskSettings,
        object_id=settings.pk,
        detail={"fields": ["reminder_lead_hours", "escalation_delay_hours"]},
    )
    return settings


def _timings() -> tuple[dict[int, timedelta], dict[int, timedelta]]:
    """Organisations whose reminder lead or escalation delay differs from the defaults."""
    leads: dict[int, timedelta] = {}
    delays: dict[int, timedelta] = {}
    for organisation_id, lead_hours, delay_hours in TaskSettings.objects.values_list(
        "organisation_id", "reminder_lead_hours", "escalation_delay_hours"
    ):
        if timedelta(hours=lead_hours) != DEFAULT_REMINDER_LEAD:
            leads[organisation_id] = timedelta(hours=lead_hours)
        if timedelta(hours=delay_hours) != DEFAULT_ESCALATION_DELAY:
            delays[organisation_id] = timedelta(hours=delay_hours)
    return leads, delays


def _due_by(deadlines: dict[int, datetime], default: datetime) -> tuple[Q, datetime]:
    """`due_at <= deadline` with each organisation's own deadline; also the widest bound."""
    if not deadlines:
        return Q(due_at__lte=default), default
    condition = Q(due_at__lte=default) & ~Q(patient__organisation_id__in=list(deadlines))
    for organisation_id, deadline in deadlines.items():
        condition |= Q(patient__organisation_id=organisation_id, due_at__lte=deadline)
    return condition, max([default, *deadlines.values()])


def _live_lead() -> Subquery:
    """The live lead coordinator of the task's patient's team (none when deactivated)."""
    return Subquery(
        TeamMembership.objects.leads()
        .filter(team_id=OuterRef("patient__care_team_id"))
        .values("user_id")[:1]
    )


def _owner_is_live() -> Exists:
    """May the owner still own the task? (`TeamMembership.objects.live()`, the one rule.)"""
    return Exists(
        TeamMembership.objects.live().filter(
            team_id=OuterRef("patient__care_team_id"), user_id=OuterRef("owner_id")
        )
    )


def _name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def _due_draft(
    *,
    task_id: int,
    patient_id: int,
    recipient_id: int,
    key: str,
    kind: str,
    subject: str,
    body: str = "",
) -> NotificationDraft:
    """A message about a task's due time: it links to the task, and a person is told of one
    task's due time once, whichever of reminder, orphan notice or escalation tells them."""
    return NotificationDraft(
        recipient_id=recipient_id,
        idempotency_key=key,
        kind=kind,
        subject=subject,
        body=body,
        link=task_link(task_id),
        patient_id=patient_id,
        task_id=task_id,
        about=due_event(task_id),
    )


def _orphaned_draft(
    *, task_id: int, patient_id: int, title: str, lead_id: int, owner: str, owner_active: bool
) -> NotificationDraft:
    """The reminder an orphaned task's owner cannot act on, told once to the team lead instead
    (under the reminder's key, so it is never also sent to the owner)."""
    why = "whose account is deactivated" if not owner_active else "who is no longer on the team"
    return _due_draft(
        task_id=task_id,
        patient_id=patient_id,
        recipient_id=lead_id,
        key=reminder_key(task_id),
        kind=ORPHANED_KIND,
        subject=f"Orphaned work, owned by {owner} {why}: {title}",
        body="Reassign it to a current member of the team.",
    )


def _remind_due(now: datetime, leads: dict[int, timedelta]) -> QuerySet[Task]:
    """Tasks whose reminder is due. An owner who is no live member (left the team, account
    deactivated) gets nothing: the team lead is told of the orphaned task instead. Without a
    live lead the task waits here until one is named (the team shows "no lead coordinator")."""
    condition, bound = _due_by(
        {org: now + lead for org, lead in leads.items()}, now + DEFAULT_REMINDER_LEAD
    )
    return (
        Task.objects.filter(
            status__in=ACTIONABLE_STATUSES, reminded_at__isnull=True, due_at__lte=bound
        )
        .filter(condition)
        .annotate(owner_live=_owner_is_live(), lead_id=_live_lead())
        .filter(Q(owner_live=True) | Q(lead_id__isnull=False))
        .order_by("due_at", "pk")
    )


REMIND_FIELDS = (
    "pk",
    "owner_id",
    "patient_id",
    "title",
    "due_at",
    "status",
    "owner_live",
    "lead_id",
    "owner__is_active",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
)


def _remind(actor: JobActor, now: datetime, rows: list[tuple[Any, ...]]) -> None:
    """Tells each claimed task's owner it is due (or the team lead, when the owner is gone)."""
    drafts = []
    for task_id, owner_id, patient_id, title, due_at, status, live, lead_id, active, *name in rows:
        overdue = task_is_overdue(status=status, due_at=due_at, now=now)
        if live:
            drafts.append(
                _due_draft(
                    task_id=task_id,
                    patient_id=patient_id,
                    recipient_id=owner_id,
                    key=reminder_key(task_id),
                    kind=REMINDER_KIND,
                    subject=f"{'Overdue' if overdue else 'Due soon'}: {title}",
                )
            )
        else:
            drafts.append(
                _orphaned_draft(
                    task_id=task_id,
                    patient_id=patient_id,
                    title=title,
                    lead_id=lead_id,
                    owner=_name(*name),
                    owner_active=active,
                )
            )
    notification_send_many(drafts)
    Task.objects.filter(pk__in=[row[0] for row in rows]).update(reminded_at=now)
    # One history row and audit event per task, naming its patient: a batch spans
    # organisations, and each organisation's staff find their own patients' events.
    task_events_record(
        actor=actor,
        happenings=(
            TaskHappening(
                task_id=task_id,
                patient_id=patient_id,
                kind=TaskEventKind.REMINDED,
                fields=["reminded_at"],
                to_owner_id=owner_id,
                reason="" if live else "Owner is no live member: the team lead was told.",
            )
            for task_id, owner_id, patient_id, _, _, _, live, *_ in rows
        ),
    )


def _escalate_due(now: datetime, delays: dict[int, timedelta]) -> QuerySet[Task]:
    """Tasks overdue past the escalation delay. A team without a live lead keeps its overdue
    tasks waiting here until one is named."""
    condition, bound = _due_by(
        {org: now - delay for org, delay in delays.items()}, now - DEFAULT_ESCALATION_DELAY
    )
    return (
        Task.objects.filter(
            status__in=ACTIONABLE_STATUSES, escalated_at__isnull=True, due_at__lte=bound
        )
        .filter(condition)
        .annotate(lead_id=_live_lead())
        .filter(lead_id__isnull=False)
        .order_by("due_at", "pk")
    )


ESCALATE_FIELDS = (
    "pk",
    "patient_id",
    "title",
    "lead_id",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
    "owner__is_active",
)


def _escalate(actor: JobActor, now: datetime, rows: list[tuple[Any, ...]]) -> None:
    """Tells the team lead of each claimed overdue task, once."""
    drafts = []
    for task_id, patient_id, title, lead_id, first, last, username, active in rows:
        owner_name = _name(first, last, username) + ("" if active else " (deactivated)")
        drafts.append(
            _due_draft(
                task_id=task_id,
                patient_id=patient_id,
                recipient_id=lead_id,
                key=escalation_key(task_id),
                kind=ESCALATION_KIND,
                subject=f"Overdue, owned by {owner_name}: {title}",
            )
        )
    notification_send_many(drafts)
    Task.objects.filter(pk__in=[row[0] for row in rows]).update(escalated_at=now)
    task_events_record(
        actor=actor,
        happenings=(
            TaskHappening(
                task_id=task_id,
                patient_id=patient_id,
                kind=TaskEventKind.ESCALATED,
                fields=["escalated_at"],
            )
            for task_id, patient_id, *_ in rows
        ),
    )


def _sweep_step(
    *,
    actor: JobActor,
    now: datetime,
    due: QuerySet[Task],
    fields: tuple[str, ...],
    act: Callable[[JobActor, datetime, list[tuple[Any, ...]]], None],
    batch_size: int,
) -> ItemsResult:
    """Claims the `due` tasks batch by batch (SKIP LOCKED, so two sweeps share the work) and
    `act`s on each batch's rows in its own transaction; a failing batch is redone task by
    task by `run_batches`."""

    def batch(exclude: Collection[int], only: Collection[int] | None) -> int:
        claimed = due.exclude(pk__in=list(exclude))
        if only is not None:
            claimed = claimed.filter(pk__in=list(only))
        locked = claimed.select_for_update(skip_locked=True, of=("self",))  # type: ignore[misc]
        rows = list(locked.values_list(*fields)[:batch_size])
        if rows:
            act(actor, now, rows)
        return len(rows)

    return run_batches(
        batch,
        lambda exclude: list(
            due.exclude(pk__in=list(exclude)).values_list("pk", flat=True)[:batch_size]
        ),
        job=REMINDER_JOB,
        batch_size=batch_size,
        max_batches=MAX_BATCHES,
    )


def task_reminders_sweep(
    *, actor: JobActor, now: datetime | None = None, batch_size: int = BATCH_SIZE
) -> SweepResult:
    """One pass of reminders, then escalations; each batch commits on its own, and a
    batch that fails is redone task by task, so one task that cannot be reminded about
    holds back no other (its id is in `failed`, and the next run tries it again).
    `actor` is the job that runs it (the beat passes `SWEEP`); its audit events name it."""
    if not isinstance(actor, JobActor):
        raise TypeError("the reminder sweep is a job: pass a JobActor")
    now = now or timezone.now()
    leads, delays = _timings()
    reminded = _sweep_step(
        actor=actor,
        now=now,
        due=_remind_due(now, leads),
        fields=REMIND_FIELDS,
        act=_remind,
        batch_size=batch_size,
    )
    escalated = _sweep_step(
        actor=actor,
        now=now,
        due=_escalate_due(now, delays),
        fields=ESCALATE_FIELDS,
        act=_escalate,
        batch_size=batch_size,
    )
    logger.info(
        "task reminder sweep: %d reminded, %d escalated, %d failed",
        reminded.done,
        escalated.done,
        reminded.failed + escalated.failed,
    )
    return SweepResult(
        reminded=reminded.done,
        escalated=escalated.done,
        failed=tuple(int(pk) for pk in [*reminded.failed_ids, *escalated.failed_ids]),  # type: ignore[call-overload]
    )
