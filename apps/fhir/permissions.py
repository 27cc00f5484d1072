"""Who may read and write what through the FHIR API.

People see exactly what they see everywhere: their teams' patients. A system
client sees its organisation's patients (only those referred to its partner,
when it speaks for a community partner) and only the resource types its
token's scopes name.
"""

from dataclasses import replace

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.accounts.permissions import is_organisation_admin
from apps.core.exceptions import Refused
from apps.fhir.callers import FhirCaller
from apps.patients import permissions as patient_permissions
from apps.patients.models import Patient
from apps.referrals.models import Referral, ResourceOrganisation
from apps.tasks.models import Task
from apps.teams import permissions as team_permissions
from apps.teams.models import CareTeam


def _scope_allows(scopes: frozenset[str], resource_type: str, access: str) -> bool:
    """SMART v1 scopes: system/<Type|*>.<read|write|*>."""
    return any(
        f"system/{kind}.{verb}" in scopes for kind in (resource_type, "*") for verb in (access, "*")
    )


# What a community partner's client may read of the patients referred to it: the
# referral loop (Gravity), not the chart.
PARTNER_TYPES = frozenset(
    {
        "Patient",
        "ServiceRequest",
        "Task",
        "Consent",
        "Practitioner",
        "PractitionerRole",
        "Organization",
    }
)


def is_partner(caller: FhirCaller) -> bool:
    return caller.client is not None and caller.client.resource_organisation_id is not None


def can_access_type(caller: FhirCaller, resource_type: str, access: str = "read") -> bool:
    """A person may read every type (rows are limited by team); writes through FHIR are
    the partner systems' door. A client needs a scope naming the type and access; a
    community partner's client reads the referral loop only, whatever its scopes."""
    if caller.client is None:
        return access == "read"
    if is_partner(caller) and resource_type not in PARTNER_TYPES:
        return False
    return _scope_allows(caller.scopes, resource_type, access)


def require_can_access_type(caller: FhirCaller, resource_type: str, access: str = "read") -> None:
    if not can_access_type(caller, resource_type, access):
        if caller.client is None:
            raise Refused(f"People update {resource_type} in caregraph, not through FHIR.")
        raise Refused(f"The access token has no scope to {access} {resource_type}.")


def _sent_to_partner(caller: FhirCaller) -> QuerySet[Referral]:
    """Referrals sent to the caller's partner (drafts are not the partner's business)."""
    assert caller.client is not None  # noqa: S101
    return Referral.objects.filter(
        service__resource_organisation_id=caller.client.resource_organisation_id,
        patient__organisation_id=caller.client.organisation_id,
        sent_at__isnull=False,
    )


def fhir_visible_patients(caller: FhirCaller) -> QuerySet[Patient]:
    if caller.client is not None:
        patients = Patient.objects.filter(organisation_id=caller.client.organisation_id)
        if is_partner(caller):
            patients = patients.filter(pk__in=_sent_to_partner(caller).values("patient_id"))
        return patients
    assert caller.user is not None  # noqa: S101 - a caller is one or the other
    visible = patient_permissions.visible_patients(caller.user)
    if caller.break_glass:
        return visible | Patient.objects.filter(pk__in=caller.break_glass)
    return visible


def with_break_glass(caller: FhirCaller, patient_id: int | None) -> FhirCaller | None:
    """The caller reading one patient through their live break-the-glass access, as on the
    chart and the API (a read of one patient's records, never a search); None when they
    hold none (a system client never does)."""
    if caller.user is None or patient_id is None:
        return None
    if not patient_permissions.has_break_glass(caller.user, patient_id):
        return None
    return replace(caller, break_glass=frozenset({patient_id}))


def fhir_visible_referrals(caller: FhirCaller) -> QuerySet[Referral]:
    if is_partner(caller):
        return _sent_to_partner(caller)
    return Referral.objects.filter(patient__in=fhir_visible_patients(caller))


def fhir_visible_tasks(caller: FhirCaller) -> QuerySet[Task]:
    """The team's own work; a partner sees only its referrals' Tasks, never these."""
    if is_partner(caller):
        return Task.objects.none()
    return Task.objects.filter(patient__in=fhir_visible_patients(caller))


def fhir_visible_teams(caller: FhirCaller) -> QuerySet[CareTeam]:
    """A person: the teams whose patients they see; a client: its organisation's teams."""
    if caller.client is not None:
        return CareTeam.objects.filter(organisation_id=caller.client.organisation_id)
    assert caller.user is not None  # noqa: S101
    return CareTeam.objects.filter(pk__in=team_permissions.team_ids_with_permission(caller.user))


def fhir_visible_partners(caller: FhirCaller) -> QuerySet[ResourceOrganisation]:
    """The organisation's resource directory; a partner's client sees its own entry."""
    if caller.organisation_id is None:
        return ResourceOrganisation.objects.none()
    partners = ResourceOrganisation.objects.filter(organisation_id=caller.organisation_id)
    if caller.client is not None and caller.client.resource_organisation_id is not None:
        partners = partners.filter(pk=caller.client.resource_organisation_id)
    return partners


def fhir_visible_people(caller: FhirCaller) -> QuerySet[User]:
    """Staff of the caller's organisation (people, not interface accounts)."""
    if caller.organisation_id is None:
        return User.objects.none()
    return User.objects.filter(organisation_id=caller.organisation_id, is_interface=False)


def can_update_referral_task(caller: FhirCaller, referral: Referral) -> bool:
    """Only the partner the referral was sent to, through its client with Task write scope."""
    client = caller.client
    return (
        client is not None
        and _scope_allows(caller.scopes, "Task", "write")
        and client.resource_organisation_id is not None
        and client.resource_organisation_id == referral.service.resource_organisation_id
        and client.organisation_id == referral.patient.organisation_id
    )


def require_can_update_referral_task(caller: FhirCaller, referral: Referral) -> None:
    if not can_update_referral_task(caller, referral):
        raise Refused(
            "Only the partner this referral was sent to may update its Task.",
            patient_id=referral.patient_id,
            object_type=Referral,
            object_id=referral.pk,
        )


def can_download_export(caller: FhirCaller, export: object) -> bool:
    """Export files and status belong to whoever asked for them."""
    requested_by_id = getattr(export, "requested_by_id", None)
    client_id = getattr(export, "client_id", None)
    if caller.client is not None:
        return client_id == caller.client.pk
    return caller.user is not None and requested_by_id == caller.user.pk


def can_manage_fhir_clients(user: User, organisation_id: int | None) -> bool:
    """The organisation's admins (Django-admin staff with the client permissions)."""
    return is_organisation_admin(
        user, organisation_id, "fhir.add_fhirclient", "fhir.change_fhirclient"
    )


def require_can_manage_fhir_clients(user: User, organisation_id: int | None) -> None:
    if not can_manage_fhir_clients(user, organisation_id):
        raise Refused("Only the organisation's administrators register FHIR clients.")
