"""Reading tasks: worklists, orphaned work, one task with its history. Access-checked, audited.

A user sees a task only while its patient is on one of their teams (or
through a live break-the-glass access, for one task's page). Worklists are
read as plain rows (`TaskRow`), in a fixed number of queries whatever their
length, and every list audits the patients it showed.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import cache

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.core.audit import audit_record
from apps.core.exceptions import NotFoundError
from apps.core.models import AuditAction
from apps.patients import permissions as patient_permissions
from apps.patients.models import Patient
from apps.tasks import permissions
from apps.tasks.models import (
    ACTIONABLE_STATUSES,
    OPEN_STATUSES,
    Notification,
    Task,
    TaskEvent,
    TaskPriority,
    TaskStatus,
    task_is_overdue,
    task_overdue_condition,
)
from apps.tasks.sources import WorkProblem, work_problems
from apps.teams import permissions as team_permissions
from apps.teams.models import TeamMembership
from apps.teams.selectors import team_active_members

TEAM_PAGE_SIZE = 50
ORPHANED_SHOWN = 50

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
    def owner_name(self) -> str:
        return f"{self.owner_first_name} {self.owner_last_name}".strip() or self.owner_username

    @property
    def status_label(self) -> str:
        return TaskStatus(self.status).label

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
    def due_label(self) -> str:
        return timezone.localtime(self.due_at).strftime("%a %b %d, %H:%M")


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


# --- My work ----------------------------------------------------------------


@dataclass
class MyWork:
    """What one person owes, today: their open tasks by urgency, and checks waiting on them."""

    now: datetime
    overdue: list[TaskRow]
    due_today: list[TaskRow]
    upcoming: list[TaskRow]
    awaiting_my_verification: list[TaskRow]
    sent_for_verification: list[TaskRow]
    # All upcoming tasks, when `upcoming` holds only the first few of them.
    upcoming_total: int = 0

    @property
    def counts(self) -> dict[str, int]:
        return {
            "overdue": len(self.overdue),
            "due_today": len(self.due_today),
            "upcoming": max(self.upcoming_total, len(self.upcoming)),
            "awaiting_my_verification": len(self.awaiting_my_verification),
            "sent_for_verification": len(self.sent_for_verification),
        }

    @property
    def rows(self) -> list[TaskRow]:
        return [
            *self.overdue,
            *self.due_today,
            *self.upcoming,
            *self.awaiting_my_verification,
            *self.sent_for_verification,
        ]


def my_work_for_user(
    *,
    user: User,
    now: datetime | None = None,
    with_actions: bool = True,
    upcoming_limit: int | None = None,
) -> MyWork:
    """The user's open tasks (overdue, due today, upcoming) and the verifications they owe.

    "Awaiting my verification" is every task on the user's teams that waits
    for a check by the role the user holds on that team, except work the user
    did. With `upcoming_limit`, only the soonest upcoming tasks are returned
    (and audited); the count still covers all. Three queries (two reads, one
    audit insert) plus the user's rights for the buttons, whatever the counts.
    """
    now = now or timezone.now()
    visible = _visible_tasks(user)
    owned = _rows(
        visible.filter(owner_id=user.pk, status__in=OPEN_STATUSES).order_by("due_at", "pk"),
        now=now,
    )
    in_my_role = TeamMembership.objects.open().filter(
        team_id=OuterRef("patient__care_team_id"),
        user_id=user.pk,
        role=OuterRef("verification_role"),
    )
    awaiting = _rows(
        visible.filter(status=TaskStatus.AWAITING_VERIFICATION)
        .filter(Exists(in_my_role))
        .exclude(performed_by_id=user.pk)
        .order_by("due_at", "pk"),
        now=now,
    )
    end_of_today = _end_of_today(now)
    work = MyWork(
        now=now,
        overdue=[],
        due_today=[],
        upcoming=[],
        awaiting_my_verification=awaiting,
        sent_for_verification=[],
    )
    for row in owned:
        if row.status not in ACTIONABLE_STATUSES:
            work.sent_for_verification.append(row)
        elif row.is_overdue:
            work.overdue.append(row)
        elif row.due_at < end_of_today:
            work.due_today.append(row)
        else:
            work.upcoming.append(row)
    work.upcoming_total = len(work.upcoming)
    if upcoming_limit is not None:
        work.upcoming = work.upcoming[: max(0, upcoming_limit)]
    if with_actions:
        mine = [*work.overdue, *work.due_today, *work.upcoming, *work.sent_for_verification]
        _with_actions(user, mine, None)
        # Every one of these matched the user's own role on its team.
        _with_actions(user, awaiting, {row.team_id: row.verification_role for row in awaiting})
    _audit_list(user, work.rows, "my_work")
    return work


# --- The lead coordinator's team worklist ------------------------------------


@dataclass(frozen=True)
class TeamWorklistFilters:
    owner_id: int | None = None
    role: str = ""
    patient_id: int | None = None
    overdue: bool = False
    orphaned: bool = False

    @property
    def active(self) -> bool:
        return bool(self.owner_id or self.role or self.patient_id or self.overdue or self.orphaned)


@dataclass
class TeamWorklist:
    rows: list[TaskRow]
    total: int
    number: int
    num_pages: int
    page_size: int
    open_count: int
    overdue_count: int
    orphaned_count: int
    orphaned: list[TaskRow]
    members: list[TeamMembership]
    team_ids: list[int]
    filters: TeamWorklistFilters
    # Work other apps could not put on anyone's list (follow-ups with no owner, ...).
    problems: list[WorkProblem] = field(default_factory=list)

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def _pairs(pairs: list[tuple[int, int | None]]) -> Q:
    """Tasks of these (team, owner) pairs; no pair matches nothing."""
    condition = Q(pk__in=[])
    for team_id, owner_id in pairs:
        condition |= Q(patient__care_team_id=team_id, owner_id=owner_id)
    return condition


@dataclass
class _TeamWork:
    """Open work of some teams, by (team, owner): who is still on the team, who has left."""

    tasks: QuerySet[Task]
    members: list[TeamMembership]
    role_of: dict[tuple[int, int], str]
    groups: list[tuple[int, int | None, int, int]]

    @property
    def orphaned_pairs(self) -> list[tuple[int, int | None]]:
        """Owners who are no longer live members of the patient's team: orphaned work.

        Worked out from the live memberships at read time, so a task is
        orphaned the moment its owner's membership ends, with no hook involved.
        """
        return [
            (team_id, owner_id)
            for team_id, owner_id, _, _ in self.groups
            if owner_id is None or (team_id, owner_id) not in self.role_of
        ]

    def role_pairs(self, role: str) -> list[tuple[int, int | None]]:
        return [(team, owner) for (team, owner), held in self.role_of.items() if held == role]

    def finish(self, rows: list[TaskRow]) -> list[TaskRow]:
        for row in rows:
            row.owner_role = self.role_of.get((row.team_id, row.owner_id or 0), "")
            row.is_orphaned = row.is_open and not row.owner_role
        return rows


def _team_work(
    team_ids: list[int], now: datetime, members: list[TeamMembership] | None = None
) -> _TeamWork:
    if members is None:
        members = list(team_active_members(team_ids=team_ids))
    tasks = Task.objects.filter(status__in=OPEN_STATUSES, patient__care_team_id__in=team_ids)
    groups = [
        (team_id, owner_id, count, overdue)
        for team_id, owner_id, count, overdue in tasks.values_list(
            "patient__care_team_id", "owner_id"
        )
        .annotate(count=Count("*"), overdue=Count("due_at", filter=task_overdue_condition(now)))
        .order_by()
    ]
    return _TeamWork(
        tasks=tasks,
        members=members,
        role_of={(m.team_id, m.user_id): m.role for m in members},
        groups=groups,
    )


def team_worklist_for_user(
    *,
    user: User,
    filters: TeamWorklistFilters | None = None,
    page: int = 1,
    page_size: int = TEAM_PAGE_SIZE,
    now: datetime | None = None,
    members: list[TeamMembership] | None = None,
) -> TeamWorklist:
    """Open work on the teams the user leads, filtered and paginated, orphaned work first.

    Refuses (PermissionDenied) anyone who leads no team. Counts come from one
    GROUP BY (team, owner) over the open tasks, compared with the live
    memberships; then the page's count, the page, the orphaned rows and the
    audit insert: a fixed number of queries whatever the size. `members`, when
    given, must be `team_active_members` of the user's lead teams (a page that
    already loaded them for its forms passes them on).
    """
    now = now or timezone.now()
    filters = filters or TeamWorklistFilters()
    page_size = max(1, min(page_size, 200))
    team_ids = permissions.require_lead_team_ids(user)
    work = _team_work(team_ids, now, members)
    orphaned_pairs = work.orphaned_pairs
    chosen = work.tasks
    if filters.owner_id:
        chosen = chosen.filter(owner_id=filters.owner_id)
    if filters.role:
        chosen = chosen.filter(_pairs(work.role_pairs(filters.role)))
    if filters.patient_id:
        chosen = chosen.filter(patient_id=filters.patient_id)
    if filters.overdue:
        chosen = chosen.filter(task_overdue_condition(now))
    if filters.orphaned:
        chosen = chosen.filter(_pairs(orphaned_pairs))
    total = chosen.count()
    num_pages = max(1, math.ceil(total / page_size))
    number = max(1, min(page, num_pages))
    start = (number - 1) * page_size
    rows = work.finish(_rows(chosen.order_by("due_at", "pk")[start : start + page_size], now=now))
    orphaned = work.finish(
        _rows(
            work.tasks.filter(_pairs(orphaned_pairs)).order_by("due_at", "pk")[:ORPHANED_SHOWN],
            now=now,
        )
    )
    _with_actions(user, [*rows, *orphaned], None)
    _audit_list(user, [*orphaned, *rows], "team_worklist")
    return TeamWorklist(
        rows=rows,
        total=total,
        number=number,
        num_pages=num_pages,
        page_size=page_size,
        open_count=sum(group[2] for group in work.groups),
        overdue_count=sum(group[3] for group in work.groups),
        orphaned_count=sum(
            count for team, owner, count, _ in work.groups if (team, owner) in orphaned_pairs
        ),
        orphaned=orphaned,
        members=work.members,
        team_ids=team_ids,
        filters=filters,
        problems=work_problems(team_ids),
    )


def orphaned_tasks_for_user(*, user: User, now: datetime | None = None) -> list[TaskRow]:
    """Open tasks on the teams the user leads whose owner is no longer a live member
    (left the team, or their account was deactivated)."""
    now = now or timezone.now()
    work = _team_work(permissions.require_lead_team_ids(user), now)
    rows = work.finish(
        _rows(work.tasks.filter(_pairs(work.orphaned_pairs)).order_by("due_at", "pk"), now=now)
    )
    _with_actions(user, rows, None)
    _audit_list(user, rows, "orphaned")
    return rows


def my_work_counts_for_user(*, user: User, now: datetime | None = None) -> dict[str, int]:
    """The My work counts alone, in one aggregate query (no patient data, so not audited)."""
    now = now or timezone.now()
    end_of_today = _end_of_today(now)
    in_my_role = TeamMembership.objects.open().filter(
        team_id=OuterRef("patient__care_team_id"),
        user_id=user.pk,
        role=OuterRef("verification_role"),
    )
    mine = Q(owner_id=user.pk, status__in=ACTIONABLE_STATUSES)
    awaiting = (
        Q(status=TaskStatus.AWAITING_VERIFICATION)
        & Q(Exists(in_my_role))
        & ~Q(performed_by_id=user.pk)
    )
    counts = (
        _visible_tasks(user)
        .filter(Q(owner_id=user.pk, status__in=OPEN_STATUSES) | awaiting)
        .aggregate(
            overdue=Count("pk", filter=mine & task_overdue_condition(now)),
            due_today=Count("pk", filter=mine & Q(due_at__gte=now, due_at__lt=end_of_today)),
            upcoming=Count("pk", filter=mine & Q(due_at__gte=end_of_today)),
            awaiting_my_verification=Count("pk", filter=awaiting),
            sent_for_verification=Count(
                "pk", filter=Q(owner_id=user.pk, status=TaskStatus.AWAITING_VERIFICATION)
            ),
        )
    )
    return {name: int(value or 0) for name, value in counts.items()}


# --- One task, one patient's tasks -------------------------------------------


def task_get_for_user(*, user: User, task_id: int | str) -> Task:
    """The task, if its patient is on the user's teams (or under live break-the-glass).

    Anything else, including another team's task, is "not found" like a missing
    one, and the attempt is audited as denied.
    """
    try:
        pk = int(task_id)
    except (TypeError, ValueError) as error:
        raise NotFoundError("No such task.") from error
    task = (
        Task.objects.select_related(
            "patient", "patient__care_team", "owner", "performed_by", "verified_by", "created_by"
        )
        .filter(pk=pk)
        .first()
        if user.is_authenticated
        else None
    )
    if task is not None and patient_permissions.can_view_patient(user, task.patient):
        audit_record(
            actor=user,
            action=AuditAction.VIEW,
            object_type=Task,
            object_id=pk,
            patient_id=task.patient_id,
        )
        return task
    if task is not None and patient_permissions.has_break_glass(user, task.patient):
        audit_record(
            actor=user,
            action=AuditAction.VIEW,
            object_type=Task,
            object_id=pk,
            patient_id=task.patient_id,
            break_glass=True,
        )
        return task
    audit_record(
        actor=user,
        action=AuditAction.DENIED,
        object_type=Task,
        object_id=pk,
        patient_id=task.patient_id if task else None,
    )
    raise NotFoundError("No such task.")


def task_history(*, task: Task) -> list[TaskEvent]:
    """Every event of the task, oldest first, with the people involved."""
    return list(
        TaskEvent.objects.filter(task_id=task.pk)
        .select_related("actor", "from_owner", "to_owner")
        .order_by("occurred_at", "pk")
    )


def task_row_for_user(*, user: User, task_id: int, now: datetime | None = None) -> TaskRow:
    """One worklist row, for redrawing it after an inline action (not audited: the action was)."""
    now = now or timezone.now()
    rows = _rows(_team_tasks_any(user).filter(pk=task_id), now=now, with_role=True)
    if not rows:
        raise NotFoundError("No such task.")
    _with_actions(user, rows, permissions.team_roles_for_user(user))
    return rows[0]


def _team_tasks_any(user: User) -> QuerySet[Task]:
    # The owner's role while they are a live member; none marks the task orphaned.
    role_on_team = (
        TeamMembership.objects.live()
        .filter(team_id=OuterRef("patient__care_team_id"), user_id=OuterRef("owner_id"))
        .values("role")[:1]
    )
    return _visible_tasks(user).annotate(owner_role=Subquery(role_on_team))


def task_list_for_patient(
    *, user: User, patient: Patient, now: datetime | None = None
) -> list[TaskRow]:
    """The patient's open tasks, soonest first. `patient` comes from patient_get_for_user."""
    now = now or timezone.now()
    rows = _rows(
        _team_tasks_any(user)
        .filter(patient_id=patient.pk, status__in=OPEN_STATUSES)
        .order_by("due_at", "pk"),
        now=now,
        with_role=True,
    )
    _with_actions(user, rows, permissions.team_roles_for_user(user))
    _audit_list(user, rows, "patient_tasks")
    return rows


def task_owner_choices(*, team_id: int) -> list[TeamMembership]:
    """Who can own a task of this team: its live members, lead first."""
    return list(team_active_members(team_ids=[team_id]))


def user_get(*, user_id: int | str | None) -> User | None:
    """A user by id, for the services to judge (they refuse anyone not on the team)."""
    try:
        pk = int(user_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return User.objects.filter(pk=pk).first()


# --- Notifications -------------------------------------------------------------


def _my_notifications(user: User) -> QuerySet[Notification]:
    """The user's notifications, hiding those about patients they no longer see."""
    return Notification.objects.filter(recipient_id=user.pk).filter(
        Q(patient__isnull=True)
        | Q(patient__care_team_id__in=team_permissions.teams_with_permission(user))
    )


def notification_list_for_user(*, user: User, limit: int = 50) -> list[Notification]:
    # The patient is named in the app (never in the email): loaded with the list, not per row.
    notifications = list(
        _my_notifications(user).select_related("patient").order_by("-created_at", "-pk")[:limit]
    )
    patient_ids = sorted({n.patient_id for n in notifications if n.patient_id})
    if patient_ids:
        audit_record(
            actor=user,
            action=AuditAction.LIST,
            object_type=Notification,
            patient_ids=patient_ids,
        )
    return notifications


def notification_unread_count(*, user: User) -> int:
    return _my_notifications(user).filter(read_at__isnull=True).count()
