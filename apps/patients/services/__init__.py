"""Writing patients: validated, permission-checked and audited in one transaction."""

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import Actor
from apps.core.audit import audit_record
from apps.core.changes import record_change, record_create, refuse_unknown_fields, validation_error
from apps.core.exceptions import ApplicationError, NotFoundError
from apps.core.models import AuditAction
from apps.patients import permissions
from apps.patients.models import (
    BreakGlassAccess,
    BreakGlassReason,
    BreakGlassReview,
    Patient,
    PatientIdentifier,
)
from apps.teams.models import CareTeam

EDITABLE_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "preferred_language",
    "interpreter_needed",
    "race_ethnicity",
    "phone",
    "email",
    "address_line",
    "city",
    "state",
    "postal_code",
    "is_active",
)
BREAK_GLASS_MIN_REASON = 10
DETAILS_MESSAGE = "Please correct the patient's details."


def _validate(patient: Patient) -> None:
    """A new patient's fields; a duplicate MRN is left to the database (see patient_create)."""
    try:
        patient.full_clean(validate_constraints=False)
    except ValidationError as error:
        raise validation_error(error, DETAILS_MESSAGE) from error


@transaction.atomic
def patient_create(
    *,
    actor: Actor,
    care_team: CareTeam,
    mrn: str,
    given_name: str,
    family_name: str,
    date_of_birth: date,
    **details: Any,
) -> Patient:
    """Registers a patient on a care team; their team sees them at once.

    A duplicate MRN is named as such only to someone who may know of that patient;
    for anyone else it is refused like any other right (Refused, audited by the door
    as DENIED naming the existing patient), so the answer does not confirm it exists.
    """
    permissions.require_can_add_patient_to_team(actor, care_team.pk, care_team.organisation_id)
    refuse_unknown_fields(details, EDITABLE_FIELDS, noun="patient")
    patient = Patient(
        organisation_id=care_team.organisation_id,
        care_team=care_team,
        mrn=mrn.strip(),
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        date_of_birth=date_of_birth,
        **details,
    )
    _validate(patient)
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError as error:
        # Only someone who may know of the existing record is told it exists; anyone
        # else gets the same answer as any refusal and the attempt is audited.
        existing = Patient.objects.filter(
            organisation_id=patient.organisation_id, mrn=patient.mrn
        ).first()
        permissions.require_can_know_of_clash(actor, existing)
        raise ApplicationError(
            "A patient with this MRN already exists.",
            field_errors={"mrn": ["This MRN is already in use."]},
        ) from error
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=Patient,
        object_id=patient.pk,
        patient_id=patient.pk,
    )
    return patient


@transaction.atomic
def patient_update(*, actor: Actor, patient: Patient, **values: Any) -> Patient:
    """Changes demographics. Audits the names of the changed fields, never their values."""
    permissions.require_can_change_patient(actor, patient)
    refuse_unknown_fields(values, [*EDITABLE_FIELDS, "care_team"], noun="patient")
    new_team = values.get("care_team")
    if new_team is not None and new_team.organisation_id != patient.organisation_id:
        raise ApplicationError(
            "Choose a team of the patient's organisation.",
            field_errors={"care_team": ["Team of another organisation."]},
        )
    record_change(
        actor=actor,
        instance=patient,
        values=values,
        patient_id=patient.pk,
        message=DETAILS_MESSAGE,
    )
    return patient


@transaction.atomic
def patient_identifier_add(
    *, actor: Actor, patient: Patient, assigning_authority: str, value: str, type_code: str = "MR"
) -> PatientIdentifier:
    permissions.require_can_change_patient(actor, patient)
    identifier = PatientIdentifier(
        patient=patient,
        organisation_id=patient.organisation_id,
        assigning_authority=assigning_authority.strip(),
        value=value.strip(),
        type_code=type_code,
    )
    return record_create(
        actor=actor,
        instance=identifier,
        patient_id=patient.pk,
        message="The identifier is not valid.",
    )


@transaction.atomic
def patient_break_glass_open(
    *,
    actor: Actor,
    patient: Patient,
    reason_code: str,
    reason: str,
    second_factor_verified: bool,
) -> BreakGlassAccess:
    """Emergency access to a patient outside the actor's teams: a reason from the list
    plus free text, a verified second factor, a time limit; flagged and reviewed later.

    The caller found the patient within the actor's own organisation by MRN, name
    and date of birth (`selectors.patient_for_break_glass`); this refuses the rest.
    """
    reason = reason.strip()
    person = permissions.require_can_break_glass(
        actor, second_factor_verified=second_factor_verified
    )
    if person.organisation_id != patient.organisation_id:
        raise NotFoundError("No such patient.")
    errors: dict[str, list[str]] = {}
    if reason_code not in BreakGlassReason.values:
        errors["reason_code"] = ["Choose why you need emergency access."]
    if len(reason) < BREAK_GLASS_MIN_REASON:
        errors["reason"] = [f"Give a reason of at least {BREAK_GLASS_MIN_REASON} characters."]
    if errors:
        raise ApplicationError("Say why you need emergency access.", field_errors=errors)
    minutes = settings.BREAK_GLASS_MINUTES
    access = BreakGlassAccess.objects.create(
        patient=patient,
        user=person,
        reason_code=reason_code,
        reason=reason,
        expires_at=timezone.now() + timedelta(minutes=minutes),
    )
    audit_record(
        actor=actor,
        action=AuditAction.BREAK_GLASS,
        object_type=Patient,
        object_id=patient.pk,
        patient_id=patient.pk,
        break_glass=True,
        detail={"access_id": access.pk, "minutes": minutes, "reason_code": reason_code},
    )
    return access


def break_glass_review_check(*, access: BreakGlassAccess, outcome: str, note: str) -> None:
    """What a review must say (the admin form shows these refusals before saving)."""
    if access.reviewed_at is not None:
        raise ApplicationError("This access was already reviewed.")
    errors: dict[str, list[str]] = {}
    if outcome not in BreakGlassReview.values:
        errors["review_outcome"] = ["Choose appropriate or not appropriate."]
    if outcome == BreakGlassReview.INAPPROPRIATE and not note.strip():
        errors["review_note"] = ["Say what was not appropriate."]
    if errors:
        raise ApplicationError("The review was not saved.", field_errors=errors)


@transaction.atomic
def break_glass_review(
    *, actor: Actor, access: BreakGlassAccess, outcome: str, note: str
) -> BreakGlassAccess:
    """A privacy officer's verdict on one emergency access: appropriate or not, with a
    note (required when not appropriate). Audited; a reviewed access is not re-reviewed."""
    permissions.require_can_review_break_glass(actor, access)
    note = note.strip()
    break_glass_review_check(access=access, outcome=outcome, note=note)
    record_change(
        actor=actor,
        instance=access,
        values={
            "review_outcome": outcome,
            "review_note": note,
            "reviewed_by": permissions.person_acting(actor),
            "reviewed_at": timezone.now(),
        },
        patient_id=access.patient_id,
        detail={"event": "break_glass_reviewed", "outcome": outcome},
    )
    return access
