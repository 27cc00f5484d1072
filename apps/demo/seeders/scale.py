"""A large synthetic panel for benchmarks: teams of ~1,000 patients, one member per role.

Teams and memberships go through the real team services, so every grant is
the production one (per-team role groups with guardian object permissions).
Patients, their identifiers and their stored complex-needs result (what the
nightly run computes for patients without evidence) are written in bulk: COPY
on PostgreSQL, bulk_create elsewhere (SQLite, small panels). Each team's batch
of new patients is audited as one CREATE event listing the patients it created.
"""

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, models
from django.utils import timezone

from apps.accounts.models import Organisation, Role, User
from apps.accounts.services import organisation_create
from apps.core.audit import audit_event, audit_record_many
from apps.core.models import AuditAction, AuditSource
from apps.demo.seeders.patients import (
    FAMILY,
    GIVEN_FEMALE,
    GIVEN_MALE,
    LANGUAGES,
    RACE_ETHNICITY,
    STREETS,
)
from apps.demo.seeders.people import admin_create
from apps.patients.complexity import Evidence, evaluate, thresholds_for
from apps.patients.models import Patient, PatientComplexity, PatientIdentifier, Sex
from apps.teams.models import CareTeam
from apps.teams.services import care_team_create, team_member_add

SCALE_PASSWORD = "caregraph-scale-2026"  # noqa: S105 - synthetic benchmark accounts only
IDENTIFIER_AUTHORITY = "SCALEHOSP"
DEFAULT_TEAM_SIZE = 1_000

# One member per role on every team; the RN care coordinator leads it.
TEAM_ROLES: list[tuple[str, str]] = [
    ("rn", Role.RN_CARE_COORDINATOR),
    ("pcp", Role.PCP),
    ("spec", Role.SPECIALIST),
    ("pharm", Role.PHARMACIST),
    ("sw", Role.SOCIAL_WORKER),
    ("chw", Role.CHW),
    ("nav", Role.NAVIGATOR),
    ("cm", Role.CASE_MANAGER),
    ("bh", Role.BEHAVIORAL_HEALTH),
    ("adm", Role.ADMIN),
]
LEAD_ROLE = Role.RN_CARE_COORDINATOR


def scale_organisation_name(patients: int) -> str:
    return f"Scale panel of {patients} patients"


@dataclass
class ScalePanel:
    organisation: Organisation
    admin: User
    teams: list[CareTeam]
    patients: int
    timings: dict[str, float] = field(default_factory=dict)

    def username(self, team_number: int, stem: str) -> str:
        return scale_username(self.organisation.pk, team_number, stem)


def scale_username(organisation_id: int, team_number: int, stem: str) -> str:
    """Team numbers start at 1; stems are the first items of TEAM_ROLES."""
    return f"scale{organisation_id}-t{team_number:03d}-{stem}"


def _concrete_field(model: type[models.Model], name: str) -> models.Field:
    column = model._meta.get_field(name)
    if not isinstance(column, models.Field) or not column.concrete:
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return column


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]) -> None:
    """Writes plain tuples (values in `fields` order, foreign keys as ids) in bulk.

    PostgreSQL gets one COPY; other databases get bulk_create (no signals either way).
    """
    opts = model._meta
    concrete = [_concrete_field(model, name) for name in fields]
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        columns = ", ".join(quote(column.column) for column in concrete)
        json_at = [i for i, column in enumerate(concrete) if isinstance(column, models.JSONField)]
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                if json_at:
                    values = list(row)
                    for i in json_at:
                        values[i] = concrete[i].get_db_prep_save(values[i], connection)
                    row = tuple(values)
                copy.write_row(row)
        return
    attnames = [column.attname for column in concrete]
    model._default_manager.bulk_create(
        (model(**dict(zip(attnames, row, strict=True))) for row in rows), batch_size=500
    )


def _full_rows(
    model: type[models.Model], values: Sequence[str], rows: Iterable[tuple]
) -> tuple[list[str], Iterable[tuple]]:
    """Completes `rows` with every other concrete column: its default, or now() for timestamps.

    A column added to the model later with a default keeps the seeder working.
    """
    now = timezone.now()
    extra: dict[str, Any] = {}
    for column in model._meta.concrete_fields:
        if column.primary_key or column.name in values:
            continue
        if getattr(column, "auto_now", False) or getattr(column, "auto_now_add", False):
            extra[column.name] = now
        else:
            default = column.get_default()  # "" for a blank text column without a default
            if default is None and not column.null:
                raise RuntimeError(f"{model.__name__}.{column.name} needs a value in the seeder")
            extra[column.name] = default
    names = [*values, *extra]
    tail = tuple(extra.values())
    return names, (row + tail for row in rows)


def _patient_rows(
    organisation: Organisation, teams: list[CareTeam], count: int, team_size: int, seed: int
) -> tuple[list[str], Iterable[tuple]]:
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    today = timezone.localdate()
    fields = [
        "organisation",
        "care_team",
        "mrn",
        "given_name",
        "family_name",
        "date_of_birth",
        "sex",
        "preferred_language",
        "interpreter_needed",
        "race_ethnicity",
        "phone",
        "address_line",
        "city",
        "state",
        "postal_code",
    ]

    def rows() -> Iterable[tuple]:
        for number in range(count):
            sex = Sex.FEMALE.value if rng.random() < 0.52 else Sex.MALE.value
            language = rng.choice(LANGUAGES)
            yield (
                organisation.pk,
                teams[number // team_size].pk,
                mrn_for(number),
                rng.choice(GIVEN_FEMALE if sex == Sex.FEMALE else GIVEN_MALE),
                rng.choice(FAMILY),
                today - timedelta(days=rng.randint(18 * 365, 95 * 365)),
                sex,
                language,
                language != "English" and rng.random() < 0.6,
                rng.choice(RACE_ETHNICITY),
                f"555-{rng.randint(100, 999)}-{rng.randint(0, 9999):04d}",
                f"{rng.randint(1, 9999)} {rng.choice(STREETS)}",
                "Riverside",
                "NY",
                f"1{rng.randint(1000, 4999)}",
            )

    return _full_rows(Patient, fields, rows())


def mrn_for(number: int) -> str:
    """The MRN of the patient created `number`-th (from 0) in a scale panel."""
    return f"S{number + 1:07d}"


def _staff(
    organisation: Organisation, team_count: int, password_hash: str, rng: random.Random
) -> list[dict[str, User]]:
    """The members of every team, one per role, written in one bulk insert."""
    rows = []
    for team_number in range(1, team_count + 1):
        for stem, role in TEAM_ROLES:
            username = scale_username(organisation.pk, team_number, stem)
            female = rng.random() < 0.6
            first_name = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
            last_name = rng.choice(FAMILY)
            email = f"{username}@example.org"
            rows.append(
                (username, organisation.pk, role, first_name, last_name, email, password_hash)
            )
    fields = ["username", "organisation", "profession", "first_name", "last_name", "email"]
    insert_rows(User, *_full_rows(User, [*fields, "password"], rows))
    by_name = {
        user.username: user for user in User.objects.filter(username__in=[row[0] for row in rows])
    }
    return [
        {
            role: by_name[scale_username(organisation.pk, team_number, stem)]
            for stem, role in TEAM_ROLES
        }
        for team_number in range(1, team_count + 1)
    ]


def _complexity(organisation: Organisation, patient_ids: Sequence[int]) -> None:
    """What the nightly complex-needs run stores for these patients: they have no evidence
    (no conditions, encounters, screens or ADI), so every row holds the engine's own result
    for empty evidence, computed once. Running complexity_recompute afterwards changes nothing.
    """
    values = evaluate(
        Evidence(patient_id=0, organisation_id=organisation.pk), thresholds_for(organisation)
    )
    names = [name.removesuffix("_id") for name in values]
    constant = (*values.values(), timezone.localdate(), timezone.now())
    insert_rows(
        PatientComplexity,
        *_full_rows(
            PatientComplexity,
            ["patient", *names, "as_of", "computed_at"],
            ((pk, *constant) for pk in patient_ids),
        ),
    )


def seed_scale(
    *,
    patients: int,
    team_size: int = DEFAULT_TEAM_SIZE,
    seed: int = 2026,
    progress: Callable[[str], None] | None = None,
) -> ScalePanel:
    """A new organisation with ceil(patients / team_size) teams; call inside a transaction."""
    if patients < 1 or team_size < 1:
        raise ValueError("patients and team_size must be positive")
    say = progress or (lambda message: None)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    organisation = organisation_create(
        name=scale_organisation_name(patients), country="US", subdivision="NY"
    )
    password_hash = make_password(SCALE_PASSWORD)  # once: hashing is deliberately slow
    admin = admin_create(
        organisation=organisation,
        username=f"scale{organisation.pk}-admin",
        first_name="Scale",
        password=None,
    )
    admin.password = password_hash
    admin.save(update_fields=["password"])
    team_count = -(-patients // team_size)
    teams = [
        care_team_create(actor=admin, organisation=organisation, name=f"Scale team {number:03d}")
        for number in range(1, team_count + 1)
    ]
    staff = _staff(organisation, team_count, password_hash, rng)
    for team, members in zip(teams, staff, strict=True):
        for role, user in members.items():
            team_member_add(actor=admin, team=team, user=user, role=role, is_lead=role == LEAD_ROLE)
    timings["teams"] = time.perf_counter() - started
    say(f"{team_count} team(s), {team_count * len(TEAM_ROLES)} members ({timings['teams']:.1f}s)")

    mark = time.perf_counter()
    insert_rows(Patient, *_patient_rows(organisation, teams, patients, team_size, seed))
    created = list(
        Patient.objects.filter(organisation=organisation)
        .order_by("id")
        .values_list("id", "care_team_id", "mrn")
    )
    insert_rows(
        PatientIdentifier,
        *_full_rows(
            PatientIdentifier,
            ["patient", "organisation", "assigning_authority", "value", "type_code"],
            (
                (pk, organisation.pk, IDENTIFIER_AUTHORITY, f"H{organisation.pk}-{mrn}", "MR")
                for pk, _team, mrn in created
            ),
        ),
    )
    _complexity(organisation, [pk for pk, _team, _mrn in created])
    by_team: dict[int, list[int]] = {}
    for pk, team_id, _mrn in created:
        by_team.setdefault(team_id, []).append(pk)
    audit_record_many(
        audit_event(
            actor=admin,
            action=AuditAction.CREATE,
            source=AuditSource.IMPORT,
            object_type=Patient,
            patient_ids=ids,
            detail={"bulk": "seed_scale", "team_id": team_id, "with": ["identifier", "complexity"]},
        )
        for team_id, ids in by_team.items()
    )
    timings["patients"] = time.perf_counter() - mark
    say(f"{len(created)} patients with identifiers and complexity ({timings['patients']:.1f}s)")
    return ScalePanel(
        organisation=organisation, admin=admin, teams=teams, patients=len(created), timings=timings
    )


def analyze_tables() -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL; a no-op elsewhere)."""
    if connection.vendor != "postgresql":
        return
    tables = [
        Patient._meta.db_table,
        PatientIdentifier._meta.db_table,
        PatientComplexity._meta.db_table,
        CareTeam._meta.db_table,
        User._meta.db_table,
        User.groups.through._meta.db_table,
        "teams_teammembership",
        "teams_careteamgroupobjectpermission",
        "auth_group",
    ]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
