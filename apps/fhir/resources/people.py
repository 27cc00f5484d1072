"""The people and teams: Practitioner, PractitionerRole, CareTeam."""

from django.db.models import Prefetch, Q, QuerySet

from apps.accounts.models import Role, User
from apps.fhir import systems
from apps.fhir.callers import FhirCaller
from apps.fhir.permissions import fhir_visible_people, fhir_visible_teams
from apps.fhir.resources.base import (
    Json,
    ResourceType,
    Source,
    concept,
    drop_empty,
    instant,
    meta,
    ref,
    register,
)
from apps.teams.models import CareTeam, TeamMembership


def role_concept(role: str) -> Json:
    label = Role(role).label if role in Role.values else role
    return concept(systems.ROLE, role, label)


def _username(system: str | None, value: str) -> Q:
    return Q(username=value) if system in (None, systems.USERNAME) else Q(pk__in=[])


def _people(caller: FhirCaller) -> QuerySet[User]:
    return fhir_visible_people(caller)


def practitioner_resource(user: User) -> Json:
    name = drop_empty(
        {"family": user.last_name, "given": [user.first_name] if user.first_name else None}
    )
    return drop_empty(
        {
            "resourceType": "Practitioner",
            "id": str(user.pk),
            "meta": {"lastUpdated": instant(user.date_joined)},
            "identifier": [{"system": systems.USERNAME, "value": user.get_username()}],
            "active": user.is_active,
            "name": [name or {"text": user.get_username()}],
        }
    )


register(
    ResourceType(
        name="Practitioner",
        sources=(
            Source(
                model=User,
                rows=_people,
                render=practitioner_resource,
                updated_field="date_joined",
                identifier=_username,
            ),
        ),
    )
)


def _memberships(caller: FhirCaller) -> QuerySet[TeamMembership]:
    return TeamMembership.objects.filter(team__in=fhir_visible_teams(caller))


def practitioner_role_resource(membership: TeamMembership) -> Json:
    return drop_empty(
        {
            "resourceType": "PractitionerRole",
            "id": str(membership.pk),
            "meta": meta(membership),
            "active": membership.ended_at is None,
            "period": drop_empty(
                {"start": instant(membership.created_at), "end": instant(membership.ended_at)}
            ),
            "practitioner": ref("Practitioner", membership.user_id),
            "code": [role_concept(membership.role)],
        }
    )


register(
    ResourceType(
        name="PractitionerRole",
        sources=(
            Source(model=TeamMembership, rows=_memberships, render=practitioner_role_resource),
        ),
    )
)


def _teams(caller: FhirCaller) -> QuerySet[CareTeam]:
    return fhir_visible_teams(caller).prefetch_related(
        Prefetch("memberships", queryset=TeamMembership.objects.open().order_by("pk"))
    )


def care_team_resource(team: CareTeam) -> Json:
    return drop_empty(
        {
            "resourceType": "CareTeam",
            "id": str(team.pk),
            "meta": meta(team),
            "status": "active",
            "name": team.name,
            "participant": [
                drop_empty(
                    {
                        "role": [role_concept(membership.role)],
                        "member": ref("Practitioner", membership.user_id),
                        "extension": None,
                    }
                )
                for membership in team.memberships.all()
            ],
        }
    )


register(
    ResourceType(
        name="CareTeam",
        sources=(
            Source(
                model=CareTeam,
                rows=_teams,
                render=care_team_resource,
                patient_field="patients",
            ),
        ),
    )
)
