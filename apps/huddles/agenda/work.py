"""Agenda sources over tasks: overdue work and orphaned work (owner no longer on the team)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    Min,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone

from apps.core.audit import object_type_of
from apps.huddles.agenda.base import AgendaContext, Candidate, Evidence
from apps.huddles.models import ItemSource
from apps.tasks.models import Task, TaskPriority, TaskQuerySet

TASK = object_type_of(Task)
DETAIL_LINES_PER_PATIENT = 3

_PRIORITY_BONUS = {3: 25, 2: 15, 1: 8, 0: 0}
# Task matters rank below urgent social needs (85 and up), whatever their age.
TASK_URGENCY_CAP = 84


def _team_open_tasks(context: AgendaContext) -> TaskQuerySet:
    return Task.objects.open().filter(
        patient__care_team_id=context.team_id, patient__is_active=True
    )


def _overdue(context: AgendaContext) -> TaskQuerySet:
    # Orphaned tasks are their own item; counting them here too would say it twice.
    return (
        _team_open_tasks(context)
        .overdue(context.now)
        .filter(owner_id__in=context.active_member_ids)
    )


def _orphaned(context: AgendaContext) -> TaskQuerySet:
    return _team_open_tasks(context).exclude(owner_id__in=context.active_member_ids)


@dataclass(frozen=True)
class _Tally:
    count: int
    oldest: date
    top: int


_PRIORITY_RANK = Case(
    When(priority=TaskPriority.STAT, then=Value(3)),
    When(priority=TaskPriority.ASAP, then=Value(2)),
    When(priority=TaskPriority.URGENT, then=Value(1)),
    default=Value(0),
    output_field=IntegerField(),
)


def _tally_rows(tasks: QuerySet[Task], kind: int) -> QuerySet[Task, dict[str, Any]]:
    return (
        tasks.values("patient_id")
        .annotate(
            kind=Value(kind),
            count=Count("id"),
            oldest=Min(TruncDate("due_at")),
            top=Max(_PRIORITY_RANK),
        )
        .order_by()
    )


def _tallies(context: AgendaContext) -> tuple[dict[int, _Tally], dict[int, _Tally]]:
    """Overdue and orphaned open tasks per patient: count, oldest due date, top priority.

    One query for both task sources (the context keeps the answer for the
    second): the database aggregates each list, a row per patient with such
    work, and returns local dates rather than timestamps.
    """
    cached = context.shared.get("task_tallies")
    if cached is not None:
        return cached  # type: ignore[return-value]
    found: tuple[dict[int, _Tally], dict[int, _Tally]] = ({}, {})
    rows = _tally_rows(_overdue(context), 0).union(_tally_rows(_orphaned(context), 1), all=True)
    for row in rows:
        found[row["kind"]][row["patient_id"]] = _Tally(
            count=row["count"], oldest=row["oldest"], top=row["top"] or 0
        )
    context.shared["task_tallies"] = found
    return found


def _days_late(oldest: date, today: date) -> int:
    return max(0, (today - oldest).days)


def _candidate(
    source: ItemSource, patient_id: int, *, title: str, urgency: int, label: str, detail: str
) -> Candidate:
    """One task matter of one patient, ranked below urgent social needs whatever its age."""
    return Candidate.about(
        source,
        f"p{patient_id}",
        patient_id=patient_id,
        title=title,
        urgency=min(urgency, TASK_URGENCY_CAP),
        evidence=[Evidence(label=label, detail=detail)],
    )


def _open_tasks(count: int) -> str:
    return f"{count} open {'task' if count == 1 else 'tasks'}"


def overdue_tasks(context: AgendaContext) -> list[Candidate]:
    """One item per patient with open tasks past due: the oldest and the most urgent count."""
    today = timezone.localdate(context.now)
    candidates = []
    for patient_id, tally in _tallies(context)[0].items():
        days = _days_late(tally.oldest, today)
        count = tally.count
        noun = "task" if count == 1 else "tasks"
        candidates.append(
            _candidate(
                ItemSource.OVERDUE_TASKS,
                patient_id,
                title=f"{count} overdue {noun}, oldest {days} day{'s' if days != 1 else ''} late",
                urgency=40 + min(days, 20) + _PRIORITY_BONUS[tally.top] + min(count - 1, 5),
                label="Overdue",
                detail=f"{_open_tasks(count)} past due since {tally.oldest:%Y-%m-%d}",
            )
        )
    return candidates


def orphaned_tasks(context: AgendaContext) -> list[Candidate]:
    """One item per patient with open tasks whose owner has left the team (or was deactivated)."""
    today = timezone.localdate(context.now)
    return [
        _candidate(
            ItemSource.ORPHANED_TASKS,
            patient_id,
            title=f"{_open_tasks(tally.count)} without an owner on the team",
            urgency=60
            + min(tally.count * 2, 10)
            + _PRIORITY_BONUS[tally.top] // 2
            + min(_days_late(tally.oldest, today), 10),
            label="Orphaned",
            detail=f"{_open_tasks(tally.count)} owned by someone no longer on the care team",
        )
        for patient_id, tally in _tallies(context)[1].items()
    ]


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
