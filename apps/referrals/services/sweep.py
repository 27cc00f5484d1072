"""The reminder sweep: referrals past a time limit remind their owner, then escalate.

Due-ness is decided by the database: two partial indexes on `remind_at` and
`escalate_at` hold only the steps not yet taken, so a sweep reads the due rows
and nothing else, however many referrals are open. Rows are claimed with
`SELECT ... FOR UPDATE SKIP LOCKED` in batches, each batch in its own
transaction, so two sweeps at once split the work instead of repeating it. A
sweep killed mid-batch rolls back and the rows stay due for the next one; the
notification's idempotency key makes a repeated step a no-op in any case. Each
batch costs the same handful of queries (notifications in one INSERT, their
emails queued as one job after commit), however many rows it holds.
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Actor
from apps.core.items import run_batches
from apps.core.models import AuditEvent
from apps.referrals.events import referral_event_build, referral_events_save
from apps.referrals.models import Referral, ReferralEvent, ReferralEventKind
from apps.tasks.notifications import NotificationDraft, notification_send_many
from apps.teams.models import TeamMembership
from apps.teams.selectors import team_lead

SWEEP_JOB = "referrals.reminder_sweep"
BATCH_SIZE = 500
# A run stops after this many batches; the next beat tick picks up the rest.
MAX_BATCHES = 200


@dataclass
class SweepResult:
    reminders: int = 0
    escalations: int = 0
    batches: int = 0
    # Referrals whose reminder or escalation failed this run (ids; due again next run).
    failed: list[int] = field(default_factory=list)


def reminder_key(referral: Referral) -> str:
    """One reminder per limit crossed: per state entry, and once more after each snooze."""
    key = f"referral:{referral.pk}:{referral.state}:{referral.state_sequence}:reminder"
    return f"{key}:snooze{referral.snooze_count}" if referral.snooze_count else key


def stuck_event(referral: Referral) -> str:
    """What a reminder and the escalation after it both tell of: this limit crossed.

    Its owner hears of it once even when they are also the lead (Notification.about).
    """
    return reminder_key(referral)


def escalation_key(referral: Referral) -> str:
    return f"referral:{referral.pk}:{referral.state}:{referral.state_sequence}:escalation"


CLAIMED_FIELDS = (
    "id",
    "patient_id",
    "owner_id",
    "state",
    "state_sequence",
    "state_entered_at",
    "snooze_count",
    "remind_at",
    "escalate_at",
    "reminder_sent_at",
    "escalation_sent_at",
)


def due_filter(now: datetime) -> Q:
    return Q(remind_at__lte=now, reminder_sent_at__isnull=True) | Q(
        escalate_at__lte=now, escalation_sent_at__isnull=True
    )


def referral_reminder_sweep(
    *,
    actor: Actor,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    max_batches: int = MAX_BATCHES,
) -> SweepResult:
    """Sends every reminder and escalation due at `now` (default: the current time).

    `actor` is the job (a `JobActor`); the audit trail names it for every step."""
    now = now or timezone.now()
    result = SweepResult()
    leads: dict[int, int | None] = {}
    # A batch that fails is redone referral by referral: one referral that cannot be
    # swept holds back neither the rest of its batch nor the batches after it.
    outcome = run_batches(
        lambda exclude, only: _sweep_batch(
            actor=actor,
            now=now,
            batch_size=batch_size,
            leads=leads,
            result=result,
            exclude=exclude,
            only=only,
        ),
        lambda exclude: list(
            Referral.objects.filter(due_filter(now))
            .exclude(pk__in=list(exclude))
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        ),
        job=SWEEP_JOB,
        batch_size=batch_size,
        max_batches=max_batches,
    )
    result.failed = [int(pk) for pk in outcome.failed_ids]  # type: ignore[call-overload]
    return result


def _link_maker() -> Callable[[int], str]:
    """The referral page's address for any id, resolved once per batch, not once per row."""
    marker = 987654321
    template = reverse("referrals:detail", args=[marker]).replace(str(marker), "{}")
    return template.format


def _lead_of(team_id: int, leads: dict[int, int | None]) -> int | None:
    """The id of the team's lead coordinator, looked up once per sweep."""
    if team_id not in leads:
        membership = team_lead(team_id=team_id)
        leads[team_id] = membership.user_id if membership else None
    return leads[team_id]


def _owner_name(row: Referral) -> str:
    first, last = row.owner_first_name, row.owner_last_name  # type: ignore[attr-defined]
    return f"{first} {last}".strip() or row.owner_username  # type: ignore[attr-defined]


def _sweep_batch(
    *,
    actor: Actor,
    now: datetime,
    batch_size: int,
    leads: dict[int, int | None],
    result: SweepResult,
    exclude: Collection[int] = (),
    only: Collection[int] | None = None,
) -> int:
    """One batch in the caller's transaction, set-wise: a fixed number of queries per batch."""
    # Claim on the referral table alone, so the plan stays two range scans on the
    # partial indexes whatever the joins below would tempt the planner into.
    due = Referral.objects.filter(due_filter(now))
    if exclude:
        due = due.exclude(pk__in=list(exclude))
    if only is not None:
        due = due.filter(pk__in=list(only))
    claimed = list(
        due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:batch_size]
    )
    # Annotated rows (team_id, service_name, owner names): typed loosely for that reason.
    rows: list[Any] = list(
        Referral.objects.filter(pk__in=claimed)
        # Only what the messages need: a sweep should not build patients and users.
        .only(*CLAIMED_FIELDS)
        .annotate(
            team_id=F("patient__care_team_id"),
            service_name=F("service__name"),
            owner_first_name=F("owner__first_name"),
            owner_last_name=F("owner__last_name"),
            owner_username=F("owner__username"),
        )
        .order_by("pk")
    )
    if not rows:
        return 0
    counts = (result.reminders, result.escalations, result.batches)
    try:
        return _sweep_rows(rows, actor=actor, now=now, leads=leads, result=result)
    except Exception:
        # The batch rolls back: so do its counts.
        result.reminders, result.escalations, result.batches = counts
        raise


def _reminder(row: Any) -> tuple[str, str]:
    state, since = row.get_state_display(), timezone.localtime(row.state_entered_at)
    return (
        f"Referral #{row.pk} needs follow-up: {state} since {since:%Y-%m-%d}",
        f"The referral to {row.service_name} has been {state.lower()} since "
        f"{since:%Y-%m-%d %H:%M}, past its time limit.",
    )


def _escalation(row: Any, *, has_lead: bool) -> tuple[str, str]:
    state, since = row.get_state_display(), timezone.localtime(row.state_entered_at)
    return (
        f"Escalation: referral #{row.pk} stuck in {state} since {since:%Y-%m-%d}",
        f"The referral to {row.service_name}, followed up by {_owner_name(row)}, has been "
        f"{state.lower()} since {since:%Y-%m-%d %H:%M}, past its escalation limit."
        + ("" if has_lead else " The care team has no lead coordinator."),
    )


# Each step of the sweep: the notification kind it sends, its key, and the field it sets.
STEPS: dict[str, tuple[str, Callable[[Referral], str], str]] = {
    ReferralEventKind.REMINDED: ("referral_reminder", reminder_key, "reminder_sent_at"),
    ReferralEventKind.ESCALATED: ("referral_escalation", escalation_key, "escalation_sent_at"),
}


def _step(
    row: Any,
    *,
    actor: Actor,
    kind: str,
    recipient_id: int,
    text: tuple[str, str],
    link_to: Callable[[int], str],
    sent_at: datetime,
    **detail: Any,
) -> tuple[NotificationDraft, tuple[ReferralEvent, AuditEvent]]:
    """One step for one referral: the notification (subject, body), and the event that
    records it."""
    notification_kind, key, field_name = STEPS[kind]
    draft = NotificationDraft(
        recipient_id=recipient_id,
        idempotency_key=key(row),
        kind=notification_kind,
        subject=text[0],
        body=text[1],
        link=link_to(row.pk),
        patient_id=row.patient_id,
        about=stuck_event(row),
    )
    event = referral_event_build(
        actor=actor,
        referral=row,
        kind=kind,
        fields=[field_name],
        to_state=row.state,
        occurred_at=sent_at,
        recipient_id=recipient_id,
        **detail,
    )
    return draft, event


def _sweep_rows(
    rows: list[Any],
    *,
    actor: Actor,
    now: datetime,
    leads: dict[int, int | None],
    result: SweepResult,
) -> int:
    result.batches += 1
    on_team = set(
        TeamMembership.objects.live()
        .filter(
            team_id__in={row.team_id for row in rows},
            user_id__in={row.owner_id for row in rows},
        )
        .values_list("team_id", "user_id")
    )
    sent_at = timezone.now()
    reminded: list[int] = []
    escalated: list[int] = []
    drafts: list[NotificationDraft] = []
    # Listed first: when both steps are due at once for one person, they hear the escalation.
    escalation_drafts: list[NotificationDraft] = []
    events: list[tuple[ReferralEvent, AuditEvent]] = []
    step = partial(_step, actor=actor, link_to=_link_maker(), sent_at=sent_at)
    for row in rows:
        team_id = row.team_id
        if row.reminder_sent_at is None and row.remind_at is not None and row.remind_at <= now:
            # An owner who left the team cannot act: their lead hears instead.
            recipient_id = row.owner_id
            if (team_id, row.owner_id) not in on_team:
                recipient_id = _lead_of(team_id, leads) or row.owner_id
            draft, event = step(
                row, kind=ReferralEventKind.REMINDED, recipient_id=recipient_id, text=_reminder(row)
            )
            drafts.append(draft)
            events.append(event)
            reminded.append(row.pk)
        if (
            row.escalation_sent_at is None
            and row.escalate_at is not None
            and row.escalate_at <= now
        ):
            lead = _lead_of(team_id, leads)
            recipient_id = lead or row.owner_id
            draft, event = step(
                row,
                kind=ReferralEventKind.ESCALATED,
                recipient_id=recipient_id,
                text=_escalation(row, has_lead=lead is not None),
                no_lead=lead is None,
            )
            escalation_drafts.append(draft)
            events.append(event)
            escalated.append(row.pk)
    # Keys already used (a redelivered or overlapping run) are skipped by the insert.
    notification_send_many(escalation_drafts + drafts)
    Referral.objects.filter(pk__in=[row.pk for row in rows]).update(
        reminder_sent_at=Case(
            When(pk__in=reminded, then=Value(sent_at)), default=F("reminder_sent_at")
        ),
        escalation_sent_at=Case(
            When(pk__in=escalated, then=Value(sent_at)), default=F("escalation_sent_at")
        ),
        updated_at=sent_at,
    )
    referral_events_save(events)
    result.reminders += len(reminded)
    result.escalations += len(escalated)
    return len(rows)
