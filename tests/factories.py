"""Test data built through the real services, so tests exercise the grants and audit."""

import itertools
from collections.abc import Iterable
from datetime import date

from django.contrib.auth.models import Permission

from apps.accounts.models import Organisation, Role, User
from apps.accounts.services import organisation_create, user_create
from apps.core.actors import JobActor
from apps.patients.models import Patient
from apps.patients.services import patient_create
from apps.teams.models import CareTeam
from apps.teams.services import care_team_create, team_member_add

PASSWORD = "correct-horse-battery-staple"
_sequence = itertools.count(1)
# Who builds test data: services take an actor, never nothing.
SETUP = JobActor(job="tests.setup")


def make_organisation(name: str | None = None) -> Organisation:
    return organisation_create(name=name or f"Organisation {next(_sequence)}")


def make_user(
    organisation: Organisation,
    *,
    username: str | None = None,
    profession: str = "",
    **extra: object,
) -> User:
    number = next(_sequence)
    return user_create(
        username=username or f"user{number}",
        password=PASSWORD,
        organisation=organisation,
        first_name=f"First{number}",
        last_name=f"Last{number}",
        profession=profession,
        validate=False,
        **extra,  # type: ignore[arg-type]
    )


def make_staff(
    organisation: Organisation, permissions: Iterable[Permission], *, username: str | None = None
) -> User:
    """A staff member (admin site) of `organisation` holding these model permissions; read
    back fresh, so no permission cache from before the grant lingers."""
    user = make_user(organisation, username=username, is_staff=True)
    user.user_permissions.add(*permissions)
    return User.objects.get(pk=user.pk)


def make_team(organisation: Organisation, name: str | None = None) -> CareTeam:
    return care_team_create(
        actor=SETUP, organisation=organisation, name=name or f"Team {next(_sequence)}"
    )


def make_member(
    team: CareTeam,
    role: str = Role.RN_CARE_COORDINATOR,
    *,
    is_lead: bool = False,
    user: User | None = None,
    username: str | None = None,
) -> User:
    user = user or make_user(team.organisation, username=username, profession=role)
    team_member_add(actor=SETUP, team=team, user=user, role=role, is_lead=is_lead)
    return user


def make_patient(team: CareTeam, *, actor: User | None = None, **values: object) -> Patient:
    number = next(_sequence)
    admin = actor or make_user(team.organisation, is_staff=True, is_superuser=True)
    defaults: dict[str, object] = {
        "mrn": f"T{number:06d}",
        "given_name": f"Given{number}",
        "family_name": f"Family{number}",
        "date_of_birth": date(1950, 1, 1),
    }
    defaults.update(values)
    return patient_create(actor=admin, care_team=team, **defaults)  # type: ignore[arg-type]


def make_api_token(user: User, *, days: int = 90, allowed_source_cidrs: str = "") -> str:
    """A usable API token for `user`; returns the secret (what a client sends)."""
    import secrets
    from datetime import timedelta

    from django.utils import timezone

    from apps.accounts.models import ApiToken
    from apps.accounts.tokens import TOKEN_PREFIX, token_hash

    key = TOKEN_PREFIX + secrets.token_urlsafe(30)
    ApiToken.objects.create(
        user=user,
        name="test token",
        prefix=key[:10],
        key_hash=token_hash(key),
        expires_at=timezone.now() + timedelta(days=days),
        allowed_source_cidrs=allowed_source_cidrs,
    )
    return key


def break_glass_body(
    patient: Patient,
    reason: str = "Unconscious in the emergency department",
    reason_code: str = "emergency_care",
) -> dict[str, str]:
    """What a person types to break the glass: who the patient is, and why."""
    return {
        "mrn": patient.mrn,
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "reason_code": reason_code,
        "reason": reason,
    }
