"""Demo tasks: every worklist has something in it, built through the task services.

Per team: overdue, due-today and upcoming work for several roles; medication
reconciliations done by the nurse and waiting for the pharmacist's check;
and a float CHW who has left the team, so the lead coordinator's worklist
shows orphaned work.
"""

import random
from datetime import datetime, timedelta

from django.utils import timezone

from apps.accounts.models import Role, User
from apps.accounts.services import user_create
from apps.demo.seeders.people import DemoPeople
from apps.patients.models import Patient
from apps.tasks.models import Task, TaskPriority
from apps.tasks.services import task_complete, task_create, task_start
from apps.teams.models import CareTeam, TeamMembership
from apps.teams.services import team_member_add, team_member_remove

WORK = {
    "nurse": [
        "Call to review new blood pressure readings",
        "Schedule the 90-day care plan review",
        "Confirm follow-up appointment with cardiology",
        "Teach back heart failure warning signs",
        "Check daily weights log",
    ],
    "sw": [
        "Complete housing assistance application",
        "Follow up on utility shut-off notice",
        "Connect caregiver with respite programme",
    ],
    "chw": [
        "Home visit: check food in the house",
        "Arrange transport to clinic appointment",
        "Deliver pill organiser and show how to fill it",
    ],
    "pcp": ["Review discharge summary", "Sign updated medication list"],
    "nav": ["Book specialist appointment", "Check insurance authorisation"],
}
# Hours from now: overdue, due today, this week, later.
DUE_OFFSETS = [-52, -26, -5, 2, 5, 20, 50, 100, 170, 340]


def _patients_by_team(teams: list[CareTeam]) -> dict[int, list[Patient]]:
    patients: dict[int, list[Patient]] = {team.pk: [] for team in teams}
    for patient in Patient.objects.filter(care_team__in=teams).order_by("pk"):
        patients[patient.care_team_id].append(patient)
    return patients


def seed_tasks(*, people: DemoPeople, rng: random.Random | None = None) -> list[Task]:
    rng = rng or random.Random(4)  # noqa: S311 - synthetic data, not security
    now = timezone.now().replace(second=0, microsecond=0)
    patients = _patients_by_team(people.teams)
    created: list[Task] = []
    for index, team in enumerate(people.teams, start=1):
        panel = patients[team.pk]
        if not panel:
            continue
        lead = people.staff[f"nurse{index}"]
        for stem, titles in WORK.items():
            owner = people.staff[f"{stem}{index}"]
            for title in titles:
                task = task_create(
                    actor=lead,
                    patient=rng.choice(panel),
                    title=title,
                    owner=owner,
                    due_at=now + timedelta(hours=rng.choice(DUE_OFFSETS)),
                    priority=rng.choice([TaskPriority.ROUTINE] * 4 + [TaskPriority.URGENT]),
                )
                if rng.random() < 0.25:
                    task = task_start(actor=owner, task=task)
                created.append(task)
        # The nurse reconciles medications; the team's pharmacist checks them.
        for _ in range(2):
            task = task_create(
                actor=lead,
                patient=rng.choice(panel),
                title="Medication reconciliation after discharge",
                owner=lead,
                due_at=now + timedelta(hours=rng.choice([-20, 4, 30])),
                priority=TaskPriority.URGENT,
                verification_role=Role.PHARMACIST,
            )
            created.append(task_complete(actor=lead, task=task, note="Lists compared"))
        created.extend(_orphaned_work(people, team, index, panel, now, rng))
    return created


def _orphaned_work(
    people: DemoPeople,
    team: CareTeam,
    index: int,
    panel: list[Patient],
    now: datetime,
    rng: random.Random,
) -> list[Task]:
    """A float CHW takes on work, then leaves the team: their tasks show as orphaned."""
    floater: User = user_create(
        username=f"float{index}",
        password=None,
        organisation=people.organisation,
        first_name="Jamie",
        last_name=f"Float{index}",
        profession=Role.CHW,
    )
    # The same slow hash as every demo account (see people.py), not a new one.
    floater.password = people.staff[f"nurse{index}"].password
    floater.save(update_fields=["password"])
    team_member_add(actor=people.admin, team=team, user=floater, role=Role.CHW)
    tasks = [
        task_create(
            actor=people.staff[f"nurse{index}"],
            patient=rng.choice(panel),
            title=title,
            owner=floater,
            due_at=now + timedelta(hours=hours),
        )
        for title, hours in (
            ("Pick up glucose meter supplies", -3),
            ("Visit to check smoke alarms at home", 30),
        )
    ]
    membership = TeamMembership.objects.open().get(team=team, user=floater)
    team_member_remove(actor=people.admin, membership=membership)
    return tasks
