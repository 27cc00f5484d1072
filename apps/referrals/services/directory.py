"""Keeping the resource directory: partner organisations and the services they offer."""

from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.accounts.models import Organisation, User
from apps.core.audit import audit_record, changed_fields
from apps.core.changes import refuse_unknown_fields
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.referrals import permissions
from apps.referrals.models import ResourceOrganisation, ResourceService

ORGANISATION_FIELDS = ("name", "phone", "email", "website", "address", "notes", "is_active")
SERVICE_FIELDS = (
    "name",
    "service_type",
    "area",
    "contact_name",
    "phone",
    "email",
    "hours",
    "languages",
    "eligibility_notes",
    "is_active",
)
ORGANISATION_MESSAGE = "Please correct the organisation's details."
SERVICE_MESSAGE = "Please correct the service's details."


def _clean_text(values: dict[str, Any]) -> dict[str, Any]:
    return {
        name: value.strip() if isinstance(value, str) else value for name, value in values.items()
    }


def _validate(instance: ResourceOrganisation | ResourceService, message: str) -> None:
    try:
        instance.full_clean(validate_constraints=False)
    except ValidationError as error:
        raise ApplicationError(message, field_errors=error.message_dict) from error


def _save(
    instance: ResourceOrganisation | ResourceService, update_fields: list[str] | None
) -> None:
    try:
        with transaction.atomic():
            instance.save(update_fields=update_fields)
    except IntegrityError as error:
        raise ApplicationError(
            "That name is already in the directory.",
            field_errors={"name": ["Already in the directory; edit that entry instead."]},
        ) from error


def _unknown(values: dict[str, Any], allowed: tuple[str, ...]) -> None:
    refuse_unknown_fields(values, allowed)


Entry = TypeVar("Entry", ResourceOrganisation, ResourceService)


def _create(actor: User, entry: Entry, message: str) -> Entry:
    """Validates, inserts and audits a new directory entry."""
    _validate(entry, message)
    _save(entry, None)
    audit_record(actor=actor, action=AuditAction.CREATE, object_type=entry, object_id=entry.pk)
    return entry


def _update(
    actor: User, entry: Entry, values: dict[str, Any], allowed: tuple[str, ...], message: str
) -> Entry:
    """Applies the changed `values` to a locked entry; saves and audits only those fields."""
    _unknown(values, allowed)
    values = _clean_text(values)
    changed: list[str] = changed_fields(entry, values)
    if not changed:
        return entry
    for name in changed:
        setattr(entry, name, values[name])
    _validate(entry, message)
    _save(entry, [*changed, "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=entry,
        object_id=entry.pk,
        detail={"fields": changed},
    )
    return entry


@transaction.atomic
def resource_organisation_create(
    *, actor: User, organisation: Organisation, name: str, **values: Any
) -> ResourceOrganisation:
    permissions.require_can_keep_directory_of(actor, organisation.pk)
    _unknown(values, ORGANISATION_FIELDS)
    partner = ResourceOrganisation(
        organisation=organisation, name=name.strip(), **_clean_text(values)
    )
    return _create(actor, partner, ORGANISATION_MESSAGE)


@transaction.atomic
def resource_organisation_update(
    *, actor: User, resource_organisation: ResourceOrganisation, **values: Any
) -> ResourceOrganisation:
    partner = ResourceOrganisation.objects.select_for_update().get(pk=resource_organisation.pk)
    permissions.require_can_keep_directory_of(actor, partner.organisation_id)
    return _update(actor, partner, values, ORGANISATION_FIELDS, ORGANISATION_MESSAGE)


@transaction.atomic
def resource_service_create(
    *,
    actor: User,
    resource_organisation: ResourceOrganisation,
    name: str,
    service_type: str,
    **values: Any,
) -> ResourceService:
    permissions.require_can_keep_directory_of(actor, resource_organisation.organisation_id)
    _unknown(values, SERVICE_FIELDS)
    service = ResourceService(
        resource_organisation=resource_organisation,
        name=name.strip(),
        service_type=service_type,
        **_clean_text(values),
    )
    return _create(actor, service, SERVICE_MESSAGE)


@transaction.atomic
def resource_service_update(
    *, actor: User, service: ResourceService, **values: Any
) -> ResourceService:
    """Changes a service. Deactivating it keeps its referrals; new ones cannot pick it."""
    service = (
        ResourceService.objects.select_for_update(of=("self",))
        .select_related("resource_organisation")
        .get(pk=service.pk)
    )
    permissions.require_can_keep_directory_of(actor, service.resource_organisation.organisation_id)
    return _update(actor, service, values, SERVICE_FIELDS, SERVICE_MESSAGE)
