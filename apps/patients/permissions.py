"""Rights over one patient, derived from the rights over the patient's care team."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone

from apps.accounts import permissions as accounts_permissions
from apps.accounts.models import Actor, User
from apps.core.actors import JobActor
from apps.core.exceptions import Refused
from apps.patients.models import BreakGlassAccess, Patient
from apps.teams import permissions as team_permissions


def person_acting(actor: Actor) -> User | None:
    """Rights over patients are held by people (and interface accounts); a scheduled job
    holds none of its own, so every check below answers "no" for one."""
    return actor if isinstance(actor, User) else None


def visible_patients(user: User) -> QuerySet[Patient]:
    """Patients on the user's teams: an index range per team, whatever the table's size."""
    if not (user.is_authenticated and user.is_active):
        return Patient.objects.none()
    return Patient.objects.filter(care_team_id__in=team_permissions.team_ids_with_permission(user))


def has_break_glass(user: User, patient: Patient | int) -> bool:
    """A live break-the-glass access of the user to the patient (or the patient's id)."""
    return BreakGlassAccess.objects.filter(
        user=user, patient=patient, expires_at__gt=timezone.now()
    ).exists()


def can_view_patient(user: User, patient: Patient) -> bool:
    return team_permissions.can_view_team_patients(user, patient.care_team_id)


def can_read_patient_record(user: User, patient: Patient) -> bool:
    """What every section of the chart asks: on the patient's team, or holding a live
    break-the-glass access (a chart opened that way shows all of its sections)."""
    return can_view_patient(user, patient) or has_break_glass(user, patient)


def is_organisation_admin(user: User, patient: Patient, model_permission: str) -> bool:
    """Django-admin staff acting for the patient's organisation (the admin door)."""
    return accounts_permissions.is_organisation_admin(
        user, patient.organisation_id, model_permission
    )


def has_patient_permission(user: User, patient: Patient, codename: str) -> bool:
    return team_permissions.has_team_permission(user, codename, patient.care_team_id)


def can_change_patient(actor: Actor, patient: Patient) -> bool:
    user = person_acting(actor)
    return user is not None and (
        has_patient_permission(user, patient, "change_patient_record")
        or is_organisation_admin(user, patient, "patients.change_patient")
    )


def require_can_change_patient(actor: Actor, patient: Patient) -> None:
    if not can_change_patient(actor, patient):
        raise Refused("You may not change this patient's record.", patient_id=patient.pk)


def can_record_clinical_data(actor: Actor, patient: Patient) -> bool:
    """Conditions and encounters: team members whose role records clinical data, or admins."""
    user = person_acting(actor)
    return user is not None and (
        has_patient_permission(user, patient, "record_clinical_data")
        or is_organisation_admin(user, patient, "patients.add_condition")
    )


def can_record_sdoh_screen(actor: Actor, patient: Patient) -> bool:
    user = person_acting(actor)
    return user is not None and (
        has_patient_permission(user, patient, "record_sdoh_screen")
        or is_organisation_admin(user, patient, "patients.add_sdohscreen")
    )


def can_log_contact(actor: Actor, patient: Patient) -> bool:
    """Logging a call, visit or message: a person on the patient's care team (a reader
    by break-the-glass reads the log but does not add to it)."""
    user = person_acting(actor)
    return user is not None and can_view_patient(user, patient)


def require_can_log_contact(actor: Actor, patient: Patient) -> None:
    if not can_log_contact(actor, patient):
        raise Refused("Contacts are logged by the patient's care team.", patient_id=patient.pk)


def require_can_record_clinical_data(actor: Actor, patient: Patient) -> None:
    if not can_record_clinical_data(actor, patient):
        raise Refused(
            "Your role on this patient's team does not record clinical data.",
            patient_id=patient.pk,
        )


def require_can_record_sdoh_screen(actor: Actor, patient: Patient) -> None:
    if not can_record_sdoh_screen(actor, patient):
        raise Refused(
            "Your role on this patient's team does not run social needs screens.",
            patient_id=patient.pk,
        )


def can_add_patient_to_team(actor: Actor, team_id: int, organisation_id: int) -> bool:
    """Those who change patients' records on the team, or the organisation's admins who
    add or change patients."""
    user = person_acting(actor)
    return user is not None and (
        team_permissions.has_team_permission(user, "change_patient_record", team_id)
        or accounts_permissions.is_organisation_admin(
            user, organisation_id, "patients.change_patient"
        )
        or accounts_permissions.is_organisation_admin(user, organisation_id, "patients.add_patient")
    )


def require_can_add_patient_to_team(actor: Actor, team_id: int, organisation_id: int) -> None:
    if not can_add_patient_to_team(actor, team_id, organisation_id):
        raise PermissionDenied("You may not add patients to this team.")


# The answer to a registration that clashes with a record the user may not know of: it
# neither confirms nor denies that the record exists, and points to the ways forward.
REGISTRATION_REFUSED = (
    "This patient cannot be registered here. Search for the patient among yours, "
    "or ask your organisation's admin to check the record."
)


def can_know_of_patient(actor: Actor, patient: Patient) -> bool:
    """Whether the actor may learn that this patient exists (e.g. as a duplicate MRN):
    their team's patient, one they hold break-the-glass on, or the admin door's own."""
    user = person_acting(actor)
    return user is not None and (
        can_view_patient(user, patient)
        or has_break_glass(user, patient)
        or is_organisation_admin(user, patient, "patients.view_patient")
        or is_organisation_admin(user, patient, "patients.change_patient")
    )


def require_can_know_of_clash(actor: Actor, patient: Patient | None) -> None:
    """A registration clashed with a stored record (`patient`, or None when the database
    did not say which): refused without naming it unless the actor may know of that
    patient; the door's DENIED event names them."""
    if patient is None:
        raise Refused(REGISTRATION_REFUSED, object_type=Patient)
    if not can_know_of_patient(actor, patient):
        raise Refused(
            REGISTRATION_REFUSED, patient_id=patient.pk, object_type=Patient, object_id=patient.pk
        )


def can_break_glass(actor: Actor) -> bool:
    """A person's emergency access; neither an interface account nor a job breaks the glass."""
    user = person_acting(actor)
    return bool(user is not None and user.is_active and not user.is_interface)


BREAK_GLASS_NEEDS_SECOND_FACTOR = (
    "Emergency access needs your second factor: verify it in the browser first."
)


def require_can_break_glass(actor: Actor, *, second_factor_verified: bool) -> User:
    """The person breaking the glass, once they may: a person (not an interface or a job)
    whose session passed a second factor."""
    user = person_acting(actor)
    if user is None or not can_break_glass(user):
        raise PermissionDenied("Only a person breaks the glass.")
    if not second_factor_verified:
        raise PermissionDenied(BREAK_GLASS_NEEDS_SECOND_FACTOR)
    return user


def can_review_break_glass(actor: Actor, access: BreakGlassAccess) -> bool:
    """A privacy officer of the patient's organisation (staff holding the model permission
    `patients.review_breakglassaccess`), never the person who broke the glass."""
    user = person_acting(actor)
    return bool(
        user is not None
        and user.pk != access.user_id
        and accounts_permissions.is_organisation_admin(
            user, access.patient.organisation_id, "patients.review_breakglassaccess"
        )
    )


def require_can_review_break_glass(actor: Actor, access: BreakGlassAccess) -> None:
    if not can_review_break_glass(actor, access):
        raise PermissionDenied("Only a privacy officer, not the person who used it, reviews it.")


def can_import_panels(actor: Actor, organisation_id: int) -> bool:
    user = person_acting(actor)
    return user is not None and accounts_permissions.is_organisation_admin(
        user, organisation_id, "patients.add_panelimportjob", "patients.add_patient"
    )


def require_can_import_panels(actor: Actor, organisation_id: int) -> None:
    if not can_import_panels(actor, organisation_id):
        raise PermissionDenied("Only an administrator of the organisation imports panels.")


def can_change_complexity_thresholds(actor: Actor, organisation_id: int) -> bool:
    user = person_acting(actor)
    return user is not None and accounts_permissions.is_organisation_admin(
        user, organisation_id, "patients.change_complexitythresholds"
    )


def require_can_change_complexity_thresholds(actor: Actor, organisation_id: int) -> None:
    if not can_change_complexity_thresholds(actor, organisation_id):
        raise PermissionDenied("Only an administrator of the organisation changes thresholds.")


def can_change_risk_model(actor: Actor, organisation_id: int) -> bool:
    user = person_acting(actor)
    return user is not None and accounts_permissions.is_organisation_admin(
        user, organisation_id, "patients.change_riskmodel"
    )


def require_can_change_risk_model(actor: Actor, organisation_id: int) -> None:
    if not can_change_risk_model(actor, organisation_id):
        raise PermissionDenied("Only an administrator of the organisation changes the risk model.")


def is_interface_for(user: User, patient: Patient) -> bool:
    """An HL7/FHIR interface account of the patient's own organisation."""
    return bool(
        user.is_active and user.is_interface and user.organisation_id == patient.organisation_id
    )


def can_update_from_feed(user: Actor, patient: Patient) -> bool:
    """What a hospital feed reports about the person (demographics, a death): the
    organisation's interface accounts, a job recording a transition (of this
    organisation, or one that works for every organisation), or anyone who may change
    the record."""
    if isinstance(user, JobActor):
        return user.organisation_id in (None, patient.organisation_id)
    return is_interface_for(user, patient) or can_change_patient(user, patient)


def require_can_update_from_feed(user: Actor, patient: Patient) -> None:
    if not can_update_from_feed(user, patient):
        raise PermissionDenied("Only the organisation's interfaces report this for a patient.")


def can_import_records(actor: Actor, organisation_id: int) -> bool:
    """Records from another system (a FHIR import) into the organisation's charts: its
    interface accounts, its administrators who add patients, or a job acting for one."""
    if isinstance(actor, JobActor):
        return actor.organisation_id == organisation_id and (
            actor.for_user is None or can_import_records(actor.for_user, organisation_id)
        )
    return bool(
        (actor.is_active and actor.organisation_id == organisation_id and actor.is_interface)
        or accounts_permissions.is_organisation_admin(
            actor, organisation_id, "patients.add_patient"
        )
    )


def require_can_import_records(actor: Actor, organisation_id: int) -> None:
    if not can_import_records(actor, organisation_id):
        raise PermissionDenied(
            "Only the organisation's interface accounts and administrators import records."
        )
