"""What every admin page of organisation data shares: an organisation's admin sees only
its own organisation's rows (a superuser sees all), by the rule in accounts.permissions."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from apps.accounts.http import request_actor
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
