"""Who may see and move referrals, and who keeps the resource directory.

Referral rights derive from the patient's care team (`manage_referrals`); the
referral's owner may always work on the referral they follow up.
"""

from django.core.exceptions import PermissionDenied

from apps.accounts.models import Actor, Role, User
from apps.core.actors import is_job
from apps.core.audit import object_type_of
from apps.core.exceptions import Refused
from apps.patients import permissions as patient_permissions
from apps.patients.models import Patient
from apps.referrals.models import Referral, ReferralQuerySet
from apps.teams import permissions as team_permissions
from apps.teams.models import TeamMembership

MANAGE_REFERRALS = "manage_referrals"
# The coordinating roles keep the directory alongside administrators.
DIRECTORY_KEEPER_ROLES = frozenset(
    {
        Role.RN_CARE_COORDINATOR,
        Role.SOCIAL_WORKER,
        Role.CHW,
        Role.NAVIGATOR,
        Role.CASE_MANAGER,
        Role.ADMIN,
    }
)


def visible_referrals(user: User) -> ReferralQuerySet:
    """Referrals of the patients on the user's teams (one indexed subquery)."""
    if not (user.is_authenticated and user.is_active):
        return Referral.objects.none()
    return Referral.objects.filter(
        patient__care_team_id__in=team_permissions.teams_with_permission(user)
    )


def can_view_referrals_of(user: User, patient: Patient) -> bool:
    return patient_permissions.can_view_patient(
        user, patient
    ) or patient_permissions.has_break_glass(user, patient)


def can_manage_referrals(user: User, patient: Patient) -> bool:
    return patient_permissions.has_patient_permission(user, patient, MANAGE_REFERRALS)


def require_can_manage_referrals(user: User, patient: Patient) -> None:
    if not can_manage_referrals(user, patient):
        raise Refused(
            "Your role on this patient's team does not allow referrals.", patient_id=patient.pk
        )


def can_work_on(user: Actor, referral: Referral) -> bool:
    """Jobs (the system acting), the owner while on the team, anyone who manages referrals
    on the patient's team, or the organisation's administrators through the admin."""
    if is_job(user):
        return True
    assert isinstance(user, User)  # noqa: S101 - an Actor that is not a job is a person
    patient = referral.patient
    if user.pk == referral.owner_id and patient_permissions.can_view_patient(user, patient):
        return True
    return can_manage_referrals(user, patient) or patient_permissions.is_organisation_admin(
        user, patient, "referrals.change_referral"
    )


def require_can_work_on(user: Actor, referral: Referral) -> None:
    if not can_work_on(user, referral):
        raise Refused(
            "Only the referral's owner or a coordinator may change it.",
            patient_id=referral.patient_id,
            object_type=object_type_of(referral),
            object_id=referral.pk,
        )


def can_see_directory(user: User) -> bool:
    """Anyone signed in to an organisation sees its directory; a superuser sees them all."""
    return bool(user.is_authenticated and (user.organisation_id is not None or user.is_superuser))


def can_keep_directory(user: User) -> bool:
    """Administrators, and coordinators on an active team of the user's organisation."""
    if not (user.is_authenticated and user.is_active) or user.is_interface:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return TeamMembership.objects.open().filter(user=user, role__in=DIRECTORY_KEEPER_ROLES).exists()


def require_can_keep_directory(user: User) -> None:
    if not can_keep_directory(user):
        raise PermissionDenied("Only coordinators and administrators may change the directory.")


def require_can_keep_directory_of(user: User, organisation_id: int) -> None:
    """A keeper of the directory, changing their own organisation's (any, for a superuser)."""
    require_can_keep_directory(user)
    if not user.is_superuser and user.organisation_id != organisation_id:
        raise PermissionDenied("That directory belongs to another organisation.")


def can_change_referral_settings(user: User, organisation_id: int) -> bool:
    """The organisation's Django-admin staff (any organisation's, for a superuser)."""
    return bool(user.is_superuser or (user.is_staff and user.organisation_id == organisation_id))


def require_can_change_referral_settings(user: User, organisation_id: int) -> None:
    if not can_change_referral_settings(user, organisation_id):
        raise PermissionDenied("Only the organisation's administrators may change these settings.")
