"""What every admin page of organisation data shares: an organisation's admin sees only
its own organisation's rows (a superuser sees all), by the rule in accounts.permissions."""

from typing import Any

from django import forms
from django.db.models import ForeignKey, QuerySet
from django.http import HttpRequest

from apps.accounts.http import request_actor
from apps.accounts.models import Organisation
from apps.accounts.permissions import own_organisation_rows


class OwnOrganisationAdminMixin:
    """`organisation_path` leads from a row to its organisation's id ("patient__organisation_id");
    `related` are loaded with the rows (what the list shows of them)."""

    organisation_path: str = "organisation_id"
    related: tuple[str, ...] = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        rows = super().get_queryset(request)  # type: ignore[misc]
        if self.related:
            rows = rows.select_related(*self.related)
        return own_organisation_rows(request_actor(request), rows, self.organisation_path)

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        """A choice list offers only the admin's own organisation's rows: an organisation
        itself, or anything that belongs to one (teams, accounts, patients)."""
        related = db_field.related_model
        path = _organisation_path(related)
        if path is not None and "queryset" not in kwargs:
            rows = related._default_manager.get_queryset()  # type: ignore[union-attr]
            kwargs["queryset"] = own_organisation_rows(request_actor(request), rows, path)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc, no-any-return]


class OrganisationSettingsAdminMixin(OwnOrganisationAdminMixin):
    """One row of settings per organisation: opening the list creates the admin's own row
    with its defaults (so there is always one to edit); rows are never added or deleted
    by hand. `settings_for` is the app's get-or-create for an organisation."""

    def settings_for(self, organisation: Organisation) -> object:
        raise NotImplementedError

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        organisation = request_actor(request).organisation
        if organisation is not None:
            self.settings_for(organisation)
        return super().get_queryset(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _organisation_path(model: Any) -> str | None:
    """How a row of `model` names its organisation, or None when it belongs to none."""
    if model is Organisation:
        return "pk"
    field_names = {field.name for field in model._meta.get_fields()}
    return "organisation_id" if "organisation" in field_names else None
