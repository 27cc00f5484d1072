"""The worklists: what one person owes today (My work) and a lead coordinator's team view.

Counts come from one aggregate, rows from one query, and each list audits the
patients it showed: a fixed number of queries whatever the list's length.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from apps.accounts.models import User
from apps.core.pages import PageNeighbours
from apps.tasks import permissions
from apps.tasks.models import (
    ACTIONABLE_STATUSES,
    OPEN_STATUSES,
    Task,
    TaskStatus,
    task_overdue_condition,
)
from apps.tasks.selectors.rows import (
    TaskListFilters,
    TaskRow,
    _audit_list,
    _end_of_today,
    _rows,
    _visible_tasks,
    _with_actions,
    task_list_filtered,
)
from apps.tasks.sources import WorkProblem, work_problems
from apps.teams.models import TeamMembership
from apps.teams.selectors import team_active_members

TEAM_PAGE_SIZE = 50
ORPHANED_SHOWN = 50


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
    # Snoozed and not yet due: listed only when asked for (`snoozed_count` always).
    snoozed: list[TaskRow] = field(default_factory=list)
    snoozed_count: int = 0
    filters: TaskListFilters = field(default_factory=TaskListFilters)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "overdue": len(self.overdue),
            "due_today": len(self.due_today),
            "upcoming": max(self.upcoming_total, len(self.upcoming)),
            "awaiting_my_verification": len(self.awaiting_my_verification),
            "sent_for_verification": len(self.sent_for_verification),
            "snoozed": self.snoozed_count,
        }

    @property
    def rows(self) -> list[TaskRow]:
        return [
            *self.overdue,
            *self.due_today,
            *self.upcoming,
            *self.awaiting_my_verification,
            *self.sent_for_verification,
            *self.snoozed,
        ]


def my_work_for_user(
    *,
    user: User,
    now: datetime | None = None,
    with_actions: bool = True,
    upcoming_limit: int | None = None,
    filters: TaskListFilters | None = None,
    show_snoozed: bool = False,
) -> MyWork:
    """The user's open tasks (overdue, due today, upcoming) and the verifications they owe.

    "Awaiting my verification" is every task on the user's teams that waits
    for a check by the role the user holds on that team, except work the user
    did. With `upcoming_limit`, only the soonest upcoming tasks are returned
    (and audited); the count still covers all. `filters` narrow and order every
    section. A task snoozed past today leaves the default view (counted, listed
    under "snoozed" with `show_snoozed`) unless it is overdue: overdue work is
    never hidden. Three queries (two reads, one audit insert) plus the user's
    rights for the buttons, whatever the counts.
    """
    now = now or timezone.now()
    filters = filters or TaskListFilters()
    visible = _visible_tasks(user)
    owned = _rows(
        task_list_filtered(visible.filter(owner_id=user.pk, status__in=OPEN_STATUSES), filters),
        now=now,
    )
    in_my_role = TeamMembership.objects.open().filter(
        team_id=OuterRef("patient__care_team_id"),
        user_id=user.pk,
        role=OuterRef("verification_role"),
    )
    awaiting = _rows(
        task_list_filtered(
            visible.filter(status=TaskStatus.AWAITING_VERIFICATION)
            .filter(Exists(in_my_role))
            .exclude(performed_by_id=user.pk),
            filters,
        ),
        now=now,
    )
    end_of_today = _end_of_today(now)
    today = timezone.localdate(now)
    work = MyWork(
        now=now,
        overdue=[],
        due_today=[],
        upcoming=[],
        awaiting_my_verification=awaiting,
        sent_for_verification=[],
        filters=filters,
    )
    for row in owned:
        if row.status in ACTIONABLE_STATUSES and row.snoozed_on(today):
            work.snoozed_count += 1
            if show_snoozed:
                work.snoozed.append(row)
        elif row.status not in ACTIONABLE_STATUSES:
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
        mine = [
            *work.overdue,
            *work.due_today,
            *work.upcoming,
            *work.sent_for_verification,
            *work.snoozed,
        ]
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
    listing: TaskListFilters = field(default_factory=TaskListFilters)

    @property
    def active(self) -> bool:
        return bool(
            self.owner_id
            or self.role
            or self.patient_id
            or self.overdue
            or self.orphaned
            or self.listing.narrowed
        )


@dataclass
class TeamWorklist(PageNeighbours):
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
    chosen = task_list_filtered(chosen, filters.listing)
    total = chosen.count()
    num_pages = max(1, math.ceil(total / page_size))
    number = max(1, min(page, num_pages))
    start = (number - 1) * page_size
    rows = work.finish(_rows(chosen[start : start + page_size], now=now))
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
    snoozed = mine & Q(snoozed_until__gt=timezone.localdate(now)) & ~task_overdue_condition(now)
    shown = mine & ~snoozed
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
            due_today=Count("pk", filter=shown & Q(due_at__gte=now, due_at__lt=end_of_today)),
            upcoming=Count("pk", filter=shown & Q(due_at__gte=end_of_today)),
            snoozed=Count("pk", filter=snoozed),
            awaiting_my_verification=Count("pk", filter=awaiting),
            sent_for_verification=Count(
                "pk", filter=Q(owner_id=user.pk, status=TaskStatus.AWAITING_VERIFICATION)
            ),
        )
    )
    return {name: int(value or 0) for name, value in counts.items()}
