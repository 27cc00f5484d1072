"""What the tasks tests share: a read-only team member and a task owned by the CHW."""

import pytest

from apps.accounts.models import Role, User
from apps.patients.models import Patient
from apps.tasks.models import Task
from apps.teams.models import CareTeam
from tests import factories
from tests.tasks.factories import make_task


@pytest.fixture
def viewer(team: CareTeam) -> User:
    """A team member whose role may read but not work on tasks."""
    return factories.make_member(team, Role.ADMIN, username="viewer")


@pytest.fixture
def task(patient: Patient, chw: User, nurse: User) -> Task:
    return make_task(patient, chw, actor=nurse, title="Arrange transport to clinic")
