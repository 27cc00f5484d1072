import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from apps.accounts.models import Organisation, User
from apps.core.actors import JobActor
from apps.fhir.importing.service import IMPORT_JOB, ImportReport, import_path
from apps.teams.models import CareTeam
from tests import factories


@pytest.fixture
def interface(organisation: Organisation) -> User:
    return factories.make_user(organisation, username="fhir-feed", is_interface=True)


@pytest.fixture
def importer_actor(org_admin: User, organisation: Organisation) -> JobActor:
    return JobActor(job=IMPORT_JOB, for_user=org_admin, organisation_id=organisation.pk)


@pytest.fixture
def run_import(importer_actor: JobActor, organisation: Organisation) -> Callable[..., ImportReport]:
    def run(path: Path, *, source: str = "ehr", dry_run: bool = False) -> ImportReport:
        return import_path(
            actor=importer_actor,
            organisation_id=organisation.pk,
            source=source,
            path=str(path),
            dry_run=dry_run,
        )

    return run


@pytest.fixture
def our_patients(team: CareTeam, org_admin: User) -> Callable[[int], list[str]]:
    """n patients on the team; returns their MRNs (which the generated records carry)."""

    def make(count: int) -> list[str]:
        mrns = [f"GEN{n:05d}" for n in range(1, count + 1)]
        for mrn in mrns:
            factories.make_patient(team, actor=org_admin, mrn=mrn)
        return mrns

    return make


def write_ndjson(path: Path, resources: Iterable[dict[str, Any] | str]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in resources))
    return path
