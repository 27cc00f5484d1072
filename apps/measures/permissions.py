"""Who may see which measures: a team's figures follow the right to see its patients."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from apps.accounts import permissions as accounts_permissions
from apps.accounts.models import Actor, Role, User
from apps.core.actors import person_behind
from apps.core.exceptions import Refused
from apps.measures.models import TimeEntry
from apps.patients import permissions as patient_permissions
from apps.patients.models import Patient
from apps.teams import permissions as team_permissions
from apps.teams.models import CareTeam, TeamMembership
from apps.teams.selectors import is_live_member


def measure_team_ids(user: User) -> list[int]:
    """The teams whose figures `user` may see: those whose patients they may see."""
    if not (user.is_authenticated and user.is_active):
        return []
    return team_permissions.team_ids_with_permission(user)


def can_view_organisation_measures(user: User) -> bool:
    """Organisation-wide figures (every team) are for the organisation's admins only."""
    return user.organisation_id is not None and accounts_permissions.is_organisation_admin(
        user, user.organisation_id
    )


def measure_team_ids_for(user: User) -> list[int]:
    """The teams `user` may pick on the measures page: every team of their organisation
    for an organisation admin, else the teams whose patients they may see."""
    if user.organisation_id is not None and can_view_organisation_measures(user):
        return list(
            CareTeam.objects.filter(organisation_id=user.organisation_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return measure_team_ids(user)


def measure_coordinators_for(user: User, team_ids: Iterable[int]) -> QuerySet[User]:
    """The coordinators whose figures `user` may ask for among `team_ids` (teams they may
    see): their own, and those of the live lead coordinators of those teams."""
    if not (user.is_authenticated and user.is_active):
        return User.objects.none()
    leads = TeamMembership.objects.leads().filter(team_id__in=list(team_ids)).values("user_id")
    return User.objects.filter(Q(pk=user.pk) | Q(pk__in=leads))


# Who may carry a coordination panel, and so be suggested for and enrol a patient.
COORDINATOR_ROLES = frozenset(
    {
        Role.RN_CARE_COORDINATOR,
        Role.SOCIAL_WORKER,
        Role.CHW,
        Role.NAVIGATOR,
        Role.CASE_MANAGER,
    }
)


def coordinator_memberships(team_ids: list[int]) -> QuerySet[TeamMembership]:
    """The live members of these teams who carry a coordination panel."""
    return TeamMembership.objects.live().filter(team_id__in=team_ids, role__in=COORDINATOR_ROLES)


def can_manage_enrolment(user: Actor, patient: Patient) -> bool:
    """Enrolling, declining and disenrolling a patient is for a live coordinator or the
    lead of the patient's own team."""
    person = person_behind(user)
    if person is None or not person.is_active:
        return False
    return (
        TeamMembership.objects.live()
        .filter(team_id=patient.care_team_id, user_id=person.pk)
        .filter(Q(role__in=COORDINATOR_ROLES) | Q(is_lead=True))
        .exists()
    )


def require_can_manage_enrolment(user: Actor, patient: Patient) -> None:
    if not can_manage_enrolment(user, patient):
        raise PermissionDenied("Only a coordinator or the lead of the patient's team enrols.")


def can_change_priority_settings(user: Actor, organisation_id: int) -> bool:
    person = person_behind(user)
    return person is not None and accounts_permissions.is_organisation_admin(
        person, organisation_id, "measures.change_prioritysettings"
    )


def require_can_change_priority_settings(user: Actor, organisation_id: int) -> None:
    if not can_change_priority_settings(user, organisation_id):
        raise PermissionDenied("Only an administrator of the organisation sets priorities.")


def can_work_triage(user: Actor, patient: Patient) -> bool:
    """Any live member of the patient's team may hand an unowned urgent need to the lead."""
    person = person_behind(user)
    return (
        person is not None
        and person.is_active
        and TeamMembership.objects.live()
        .filter(team_id=patient.care_team_id, user_id=person.pk)
        .exists()
    )


def require_can_work_triage(user: Actor, patient: Patient) -> None:
    if not can_work_triage(user, patient):
        raise PermissionDenied("Only a member of the patient's team works this queue.")


# ==== Time, consent and billing ============================================================


def can_log_time(actor: Actor, patient: Patient) -> bool:
    """Time and consent are recorded by a live member of the patient's care team (a person
    who may see the patient): the people whose work is billed."""
    user = patient_permissions.person_acting(actor)
    return (
        user is not None
        and patient_permissions.can_view_patient(user, patient)
        and is_live_member(team_id=patient.care_team_id, user=user)
    )


def require_can_log_time(actor: Actor, patient: Patient) -> User:
    """The person recording time or consent, if they may."""
    user = patient_permissions.person_acting(actor)
    if user is None or not can_log_time(user, patient):
        raise Refused(
            "Only a current member of the patient's care team records time and consent.",
            patient_id=patient.pk,
        )
    return user


def can_change_time_entry(actor: Actor, entry: TimeEntry) -> bool:
    """One's own entries, while still on the team; an organisation admin corrects any."""
    user = patient_permissions.person_acting(actor)
    if user is None:
        return False
    if accounts_permissions.is_organisation_admin(user, entry.organisation_id):
        return True
    return entry.user_id == user.pk and can_log_time(user, entry.patient)


def require_can_change_time_entry(actor: Actor, entry: TimeEntry) -> User:
    user = patient_permissions.person_acting(actor)
    if user is None or not can_change_time_entry(user, entry):
        raise Refused("You may change only your own time entries.", patient_id=entry.patient_id)
    return user


def can_close_billing_month(actor: Actor, organisation_id: int) -> bool:
    user = patient_permissions.person_acting(actor)
    return user is not None and accounts_permissions.is_organisation_admin(user, organisation_id)


def require_can_close_billing_month(actor: Actor, organisation_id: int) -> User:
    user = patient_permissions.person_acting(actor)
    if user is None or not can_close_billing_month(user, organisation_id):
        raise PermissionDenied("Only an organisation admin closes a billing month.")
    return user


def billing_team_ids(user: User) -> list[int]:
    """Whose patients the billing report lists for `user`: every team of the practice for
    its admin (billing is the practice's), else the teams whose patients they may see."""
    if user.organisation_id is not None and can_close_billing_month(user, user.organisation_id):
        return measure_team_ids_for(user)
    return measure_team_ids(user)
