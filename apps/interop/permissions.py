"""Who may feed, read and work the ADT store and the patient-match queue."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from apps.accounts.models import Actor, User
from apps.accounts.permissions import is_organisation_admin
from apps.core.exceptions import Refused
from apps.interop.models import AdtMessage, PatientMatchRequest
from apps.patients.models import Patient
from apps.patients.permissions import can_change_patient, visible_patients
from apps.teams.permissions import teams_with_permission
from apps.transitions import permissions as transition_permissions


def can_send_adt(user: User) -> bool:
    """An active interface account of an organisation: the hospitals' door."""
    return bool(user.is_active and user.is_interface and user.organisation_id)


def require_can_send_adt(user: User) -> int:
    """The organisation the interface account sends for."""
    if not can_send_adt(user) or user.organisation_id is None:
        raise PermissionDenied("Only an interface account of an organisation may send ADT.")
    return user.organisation_id


def can_work_match_queue(user: User, organisation_id: int | None) -> bool:
    """Coordinators who record transitions on any team of the message's organisation.

    The queue shows who the hospital says the person is (name, birth date,
    identifiers) before we know they are ours: only those who must match
    see it, and every view is audited.
    """
    return bool(
        user.is_authenticated
        and user.is_active
        and not user.is_interface
        and organisation_id is not None
        and user.organisation_id == organisation_id
        and teams_with_permission(user, "manage_transitions").exists()
    )


def require_can_work_match_queue(user: User, organisation_id: int | None) -> None:
    if not can_work_match_queue(user, organisation_id):
        raise PermissionDenied("You do not work this organisation's match queue.")


def workable_match_requests(user: User) -> QuerySet[PatientMatchRequest]:
    """The requests of the queue a user may open, list and close.

    A merge, a class change or a match already made names our patients and
    shows their records side by side: such a request is for a queue worker who
    may see every patient it names. A request naming nobody yet (who is this
    person?) is for every worker of the organisation's queue.
    """
    organisation_id = user.organisation_id
    if organisation_id is None or not can_work_match_queue(user, organisation_id):
        return PatientMatchRequest.objects.none()
    visible = visible_patients(user).values("pk")
    return PatientMatchRequest.objects.filter(
        Q(patient__isnull=True) | Q(patient__in=visible),
        Q(other_patient__isnull=True) | Q(other_patient__in=visible),
        organisation_id=organisation_id,
    )


def can_work_match_request(user: User, request: PatientMatchRequest) -> bool:
    return workable_match_requests(user).filter(pk=request.pk).exists()


def require_can_work_match_request(user: User, request: PatientMatchRequest) -> None:
    require_can_work_match_queue(user, request.organisation_id)
    if not can_work_match_request(user, request):
        raise Refused(
            "This request names a patient outside your teams.",
            patient_id=request.patient_id,
            object_type=PatientMatchRequest,
            object_id=request.pk,
        )


def can_match_to(user: User, patient: Patient) -> bool:
    """Applying a message to a patient records a transition and may add an identifier."""
    return transition_permissions.can_manage_transitions(user, patient) and can_change_patient(
        user, patient
    )


def require_can_match_to(user: User, patient: Patient) -> None:
    if not can_match_to(user, patient):
        raise Refused(
            "Matching needs the rights to record transitions and change the patient's record.",
            patient_id=patient.pk,
        )


def can_replay_adt(actor: Actor, organisation_id: int | None) -> bool:
    """The organisation's staff who hold the admin right over the ADT store.

    Replaying or dismissing a message decides what happens to a hospital's
    event: a person answers for it, so a job is never allowed.
    """
    return isinstance(actor, User) and is_organisation_admin(
        actor, organisation_id, "interop.change_adtmessage"
    )


def require_can_replay_adt(actor: Actor, organisation_id: int | None) -> None:
    if not can_replay_adt(actor, organisation_id):
        raise PermissionDenied("Replaying ADT messages is for this organisation's admins.")


def can_read_adt_message(user: User, message: AdtMessage) -> bool:
    """The raw text: the organisation's admins, the patient's team, or the match queue's
    workers while the message has no patient yet."""
    if user.is_superuser or (user.is_staff and user.organisation_id == message.organisation_id):
        return True
    if message.patient_id is not None:
        return visible_patients(user).filter(pk=message.patient_id).exists()
    return can_work_match_queue(user, message.organisation_id)
