"""Worklist rows: a task read as plain values (`TaskRow`), its buttons and the audit of a list.

Every worklist (My work, the team worklist, a patient's tasks) reads its rows
here, in one query whatever their number.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

from django.db.models import Case, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.core.audit import audit_record
from apps.core.models import AuditAction
from apps.tasks import permissions
from apps.tasks.models import (
    OPEN_STATUSES,
    Task,
    TaskPriority,
    TaskType,
    task_is_overdue,
    task_status_label,
)
from apps.teams import permissions as team_permissions

# The columns of a worklist row, in TaskRow's field order.
_ROW_FIELDS = (
    "pk",
    "title",
    "due_at",
    "status",
    "priority",
    "verification_role",
    "performed_by_id",
    "patient_id",
    "patient__care_team_id",
    "patient__family_name",
    "patient__given_name",
    "patient__mrn",
    "owner_id",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
    "owner__is_active",
    "snoozed_until",
    "task_type",
)


@dataclass(slots=True)
class TaskRow:
    """One line of a worklist: what the pages and the API show, without loading models."""

    id: int
    title: str
    due_at: datetime
    status: str
    priority: str
    verification_role: str
    performed_by_id: int | None
    patient_id: int
    team_id: int
    patient_family_name: str
    patient_given_name: str
    patient_mrn: str
    owner_id: int | None
    owner_first_name: str
    owner_last_name: str
    owner_username: str
    owner_is_active: bool
    snoozed_until: date | None
    task_type: str
    is_overdue: bool = False
    owner_role: str = ""
    is_orphaned: bool = False
    actions: frozenset[str] = field(default_factory=frozenset)

    @property
    def pk(self) -> int:
        return self.id

    @property
    def patient_name(self) -> str:
        return f"{self.patient_family_name}, {self.patient_given_name}"

    @property
    def patient(self) -> dict[str, object]:
        """The patient as the APIs name one (apps.patients.api_refs)."""
        return {
            "id": self.patient_id,
            "mrn": self.patient_mrn,
            "given_name": self.patient_given_name,
            "family_name": self.patient_family_name,
        }

    @property
    def owner_name(self) -> str:
        return f"{self.owner_first_name} {self.owner_last_name}".strip() or self.owner_username

    @property
    def status_label(self) -> str:
        return task_status_label(self.status)

    @property
    def priority_label(self) -> str:
        return TaskPriority(self.priority).label

    @property
    def owner_role_label(self) -> str:
        return Role(self.owner_role).label if self.owner_role else ""

    @property
    def verification_role_label(self) -> str:
        return Role(self.verification_role).label if self.verification_role else ""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def url(self) -> str:
        return f"{_url_prefix('tasks:detail')}{self.id}/"

    @property
    def patient_url(self) -> str:
        return f"{_url_prefix('patients:chart')}{self.patient_id}/"

    @property
    def task_type_label(self) -> str:
        return TaskType(self.task_type).label if self.task_type in TaskType.values else ""

    def snoozed_on(self, day: date) -> bool:
        """Snoozed past `day` and not overdue: an overdue task is never hidden."""
        return not self.is_overdue and self.snoozed_until is not None and self.snoozed_until > day

    @property
    def due_label(self) -> str:
        return timezone.localtime(self.due_at).strftime("%a %b %d, %H:%M")


@dataclass(frozen=True)
class TaskListFilters:
    """What a worklist's reader narrowed it to: words (title, patient name or MRN), a
    priority, a task type, and the order. Read by My work and the team worklist alike."""

    query: str = ""
    priority: str = ""
    task_type: str = ""
    sort: str = "due"

    @property
    def narrowed(self) -> bool:
        return bool(self.query.strip() or self.priority or self.task_type)


_PRIORITY_RANK = Case(
    *(When(priority=value, then=Value(rank)) for rank, value in enumerate(TaskPriority.values)),
    default=Value(0),
)

# The orders a worklist offers: key -> (label, ordering).
TASK_SORTS: dict[str, tuple[str, list[Any]]] = {
    "due": ("Due soonest", ["due_at", "pk"]),
    "priority": ("Most urgent", [_PRIORITY_RANK.desc(), "due_at", "pk"]),
    "patient": ("Patient", ["patient__family_name", "patient__given_name", "due_at", "pk"]),
}


def task_search_condition(query: str) -> Q:
    """Words found in the task's title, or starting the patient's names, or the MRN."""
    condition = Q()
    for word in query.replace(",", " ").split():
        condition &= (
            Q(title__icontains=word)
            | Q(patient__family_name__istartswith=word)
            | Q(patient__given_name__istartswith=word)
            | Q(patient__mrn__iexact=word)
        )
    return condition


def task_list_filtered(tasks: QuerySet[Task], filters: TaskListFilters) -> QuerySet[Task]:
    """`tasks` narrowed and ordered as `filters` say: the one reading of a worklist's filters."""
    if filters.query.strip():
        tasks = tasks.filter(task_search_condition(filters.query))
    if filters.priority:
        tasks = tasks.filter(priority=filters.priority)
    if filters.task_type:
        tasks = tasks.filter(task_type=filters.task_type)
    return tasks.order_by(*TASK_SORTS.get(filters.sort, TASK_SORTS["due"])[1])


@cache
def _url_prefix(name: str) -> str:
    """The URL of object 0 without its id, so a long list builds links without reverse()."""
    url = reverse(name, args=[0])
    if not url.endswith("/0/"):
        raise ValueError(f"{name} does not end in its id")
    return url[:-2]


def _rows(tasks: QuerySet[Task], *, now: datetime, with_role: bool = False) -> list[TaskRow]:
    fields = (*_ROW_FIELDS, "owner_role") if with_role else _ROW_FIELDS
    rows = []
    for values in tasks.values_list(*fields):
        row = TaskRow(*values[: len(_ROW_FIELDS)])
        row.is_overdue = task_is_overdue(status=row.status, due_at=row.due_at, now=now)
        if with_role:
            row.owner_role = values[-1] or ""
            row.is_orphaned = row.is_open and not row.owner_role
        rows.append(row)
    return rows


def _audit_list(user: User, rows: list[TaskRow], view: str) -> None:
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        object_type=Task,
        patient_ids=sorted({row.patient_id for row in rows}),
        detail={"view": view, "tasks": len(rows)},
    )


def _end_of_today(now: datetime) -> datetime:
    """Midnight at the end of `now`'s day, in the site's time zone."""
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    return timezone.make_aware(datetime.combine(tomorrow, time.min))


def _visible_tasks(user: User) -> QuerySet[Task]:
    """Tasks of the patients on the user's teams: one indexed subquery on the rights table."""
    if not (user.is_authenticated and user.is_active):
        return Task.objects.none()
    return Task.objects.filter(
        patient__care_team_id__in=team_permissions.teams_with_permission(user)
    )


def _with_actions(user: User, rows: list[TaskRow], roles: dict[int, str] | None) -> None:
    """The buttons of every row, worked out once per kind of row (they depend on nothing else)."""
    memo: dict[tuple[object, ...], frozenset[str]] = {}
    for row in rows:
        key = (
            row.team_id,
            row.status,
            row.owner_id == user.pk,
            row.performed_by_id == user.pk,
            row.verification_role,
        )
        actions = memo.get(key)
        if actions is None:
            actions = memo[key] = permissions.task_actions(user, row, roles=roles)
        row.actions = actions
