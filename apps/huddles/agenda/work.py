"""Agenda sources over tasks: overdue work and orphaned work (owner no longer on the team)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from apps.huddles.agenda.base import AgendaContext, Candidate, Evidence, clamp_urgency
from apps.huddles.models import ItemSource
from apps.tasks.models import OPEN_STATUSES, Task, TaskPriority

TASK = "tasks.task"
DETAIL_LINES_PER_PATIENT = 3

_PRIORITY_BONUS = {3: 25, 2: 15, 1: 8, 0: 0}
# Task matters rank below urgent social needs (85 and up), whatever their age.
TASK_URGENCY_CAP = 84


def _team_open_tasks(context: AgendaContext) -> QuerySet[Task]:
    return Task.objects.filter(
        patient__care_team_id=context.team_id,
        patient__is_active=True,
        status__in=OPEN_STATUSES,
    )


def _overdue(context: AgendaContext) -> QuerySet[Task]:
    # Orphaned tasks are their own item; counting them here too would say it twice.
    return _team_open_tasks(context).filter(
        due_at__lt=context.now, owner_id__in=context.active_member_ids
    )


def _orphaned(context: AgendaContext) -> QuerySet[Task]:
    return _team_open_tasks(context).exclude(owner_id__in=context.active_member_ids)


def _days_between(earlier: datetime, later: datetime) -> int:
    return max(0, (later - earlier).days)


@dataclass
class _Tally:
    count: int = 0
    oldest: datetime | None = None
    top: int = 0

    def add(self, due_at: datetime, rank: int) -> None:
        self.count += 1
        self.oldest = due_at if self.oldest is None else min(self.oldest, due_at)
        self.top = max(self.top, rank)


_RANK: dict[str, int] = {TaskPriority.STAT: 3, TaskPriority.ASAP: 2, TaskPriority.URGENT: 1}


def _tallies(context: AgendaContext) -> tuple[dict[int, _Tally], dict[int, _Tally]]:
    """Overdue and orphaned open tasks per patient, from one pass over the team's open tasks.

    Both task sources read it; the context keeps it, so the pass happens once
    per build. The rows are the team's open tasks only (a few per patient).
    """
    cached = context.shared.get("task_tallies")
    if cached is not None:
        return cached  # type: ignore[return-value]
    overdue: dict[int, _Tally] = defaultdict(_Tally)
    orphaned: dict[int, _Tally] = defaultdict(_Tally)
    active = context.active_member_ids
    rows = _team_open_tasks(context).values_list("patient_id", "owner_id", "due_at", "priority")
    for patient_id, owner_id, due_at, priority in rows:
        rank = _RANK.get(priority, 0)
        if owner_id not in active:
            orphaned[patient_id].add(due_at, rank)
        elif due_at < context.now:
            overdue[patient_id].add(due_at, rank)
    context.shared["task_tallies"] = (overdue, orphaned)
    return overdue, orphaned


def overdue_tasks(context: AgendaContext) -> list[Candidate]:
    """One item per patient with open tasks past due: the oldest and the most urgent count."""
    candidates = []
    for patient_id, tally in _tallies(context)[0].items():
        oldest = tally.oldest or context.now
        days = _days_between(oldest, context.now)
        count = tally.count
        urgency = 40 + min(days, 20) + _PRIORITY_BONUS[tally.top] + min(count - 1, 5)
        noun = "task" if count == 1 else "tasks"
        candidates.append(
            Candidate(
                source=ItemSource.OVERDUE_TASKS,
                key=f"{ItemSource.OVERDUE_TASKS}:p{patient_id}",
                patient_id=patient_id,
                title=f"{count} overdue {noun}, oldest {days} day{'s' if days != 1 else ''} late",
                urgency=clamp_urgency(min(urgency, TASK_URGENCY_CAP)),
                evidence=[
                    Evidence(
                        label="Overdue",
                        detail=f"{count} open {noun} past due since "
                        f"{timezone.localtime(oldest):%Y-%m-%d}",
                    )
                ],
            )
        )
    return candidates


def orphaned_tasks(context: AgendaContext) -> list[Candidate]:
    """One item per patient with open tasks whose owner has left the team (or was deactivated)."""
    candidates = []
    for patient_id, tally in _tallies(context)[1].items():
        count = tally.count
        overdue_days = _days_between(tally.oldest or context.now, context.now)
        urgency = 60 + min(count * 2, 10) + _PRIORITY_BONUS[tally.top] // 2
        urgency += min(overdue_days, 10)
        noun = "task" if count == 1 else "tasks"
        candidates.append(
            Candidate(
                source=ItemSource.ORPHANED_TASKS,
                key=f"{ItemSource.ORPHANED_TASKS}:p{patient_id}",
                patient_id=patient_id,
                title=f"{count} open {noun} without an owner on the team",
                urgency=clamp_urgency(min(urgency, TASK_URGENCY_CAP)),
                evidence=[
                    Evidence(
                        label="Orphaned",
                        detail=f"{count} open {noun} owned by someone no longer on the care team",
                    )
                ],
            )
        )
    return candidates


def _task_lines(tasks: QuerySet[Task], candidates: list[Candidate], label: str) -> None:
    """Adds the first few tasks of each candidate's patient as evidence lines (one query)."""
    by_patient = {candidate.patient_id: candidate for candidate in candidates}
    if not by_patient:
        return
    rows = (
        tasks.filter(patient_id__in=list(by_patient))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("patient_id")],
                order_by=[F("due_at").asc(), F("id").asc()],
            )
        )
        .filter(rank__lte=DETAIL_LINES_PER_PATIENT)
        .values(
            "id",
            "patient_id",
            "title",
            "due_at",
            "priority",
            "owner__first_name",
            "owner__last_name",
            "owner__username",
        )
    )
    lines: dict[int, list[Evidence]] = defaultdict(list)
    for row in rows:
        owner = (
            f"{row['owner__first_name']} {row['owner__last_name']}".strip()
            or row["owner__username"]
            or "nobody"
        )
        priority = "" if row["priority"] == TaskPriority.ROUTINE else f", {row['priority']}"
        lines[row["patient_id"]].append(
            Evidence(
                label=label,
                detail=f"{row['title']} (due {timezone.localtime(row['due_at']):%Y-%m-%d}, "
                f"owner {owner}{priority})",
                object_type=TASK,
                object_id=row["id"],
            )
        )
    for patient_id, candidate in by_patient.items():
        candidate.evidence.extend(lines.get(patient_id, []))


def overdue_tasks_enrich(context: AgendaContext, candidates: list[Candidate]) -> None:
    _task_lines(_overdue(context), candidates, "Task")


def orphaned_tasks_enrich(context: AgendaContext, candidates: list[Candidate]) -> None:
    _task_lines(_orphaned(context), candidates, "Task")
