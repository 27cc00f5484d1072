"""What a hospital feed reports about the person: demographic changes and a death.

The transitions and interop apps call these for HL7 A08/A03 content; the
patient's own record is written only here, validated and audited (field
names, never values).
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.accounts.models import Actor, User
from apps.core.audit import changed_fields
from apps.core.changes import record_change, validation_error
from apps.core.exceptions import ApplicationError
from apps.patients import permissions
from apps.patients.models import Patient

# The demographics a feed may change; a blank value in the message says
# nothing (senders leave fields out), so it never clears what we hold.
FEED_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "address_line",
    "city",
    "state",
    "postal_code",
    "phone",
    "preferred_language",
)


def patient_update_from_feed(
    *, actor: User, patient: Patient, values: dict[str, Any], source: str, at: datetime
) -> list[str]:
    """Applies the demographics a feed sent; returns the names of the fields changed.

    The chart shows the last such change (source, time, field names). A value
    the record would refuse (e.g. a birth date in the future) refuses the
    whole change, nothing saved.
    """
    permissions.require_can_update_from_feed(actor, patient)
    unknown = set(values) - set(FEED_FIELDS)
    if unknown:
        raise ValueError(f"Not a feed field: {', '.join(sorted(unknown))}")
    given = {name: value for name, value in values.items() if value not in ("", None)}
    changed = changed_fields(patient, given)
    if not changed:
        return []
    if given.get("date_of_birth") and given["date_of_birth"] > timezone.localdate():
        raise ApplicationError(
            "The date of birth is in the future.",
            field_errors={"date_of_birth": ["Date of birth is in the future."]},
        )
    # Only the changed values need checking (lengths, choices): the rest of the
    # row, its team and its MRN are as they were, so no look-ups are repeated.
    probe = Patient(**{name: given[name] for name in changed})
    try:
        probe.clean_fields(
            exclude=[field.name for field in Patient._meta.fields if field.name not in changed]
        )
    except ValidationError as error:
        raise validation_error(error, "The demographics in the message are not valid.") from error
    record_change(
        actor=actor,
        instance=patient,
        values={
            **{name: given[name] for name in changed},
            "demographics_updated_at": at,
            "demographics_updated_from": source[:60],
            "demographics_updated_fields": changed,
        },
        patient_id=patient.pk,
        detail={"source": source[:60]},
        clean=False,
    )
    return changed


def patient_death_record(
    *, actor: Actor, patient: Patient, died_at: datetime | None, source: str
) -> bool:
    """Marks the patient deceased (with the time of death when known). True when it changed."""
    permissions.require_can_update_from_feed(actor, patient)
    values: dict[str, Any] = {"deceased": True}
    if died_at is not None:
        values["deceased_at"] = died_at
    changed = record_change(
        actor=actor,
        instance=patient,
        values=values,
        patient_id=patient.pk,
        detail={"source": source[:60]},
        clean=False,  # a flag and an aware time: nothing for the row's checks to find
    )
    return bool(changed)
