"""Who may send records into caregraph over FHIR."""

from django.core.exceptions import PermissionDenied

from apps.accounts.models import User
from apps.patients.permissions import can_import_records


def can_post_fhir_transaction(user: User) -> bool:
    """An active interface account of an organisation: the partners' FHIR door."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_interface
        and user.organisation_id is not None
        and can_import_records(user, user.organisation_id)
    )


def require_can_post_fhir_transaction(user: User) -> int:
    """The organisation the interface account sends for."""
    if not can_post_fhir_transaction(user) or user.organisation_id is None:
        raise PermissionDenied("Only an interface account of an organisation sends FHIR records.")
    return user.organisation_id
