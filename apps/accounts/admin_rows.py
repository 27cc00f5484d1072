"""The admin door shows each organisation its own rows: one mixin for every ModelAdmin."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from apps.accounts.http import request_actor
from apps.accounts.permissions import own_organisation_rows


class OwnOrganisationRowsMixin:
    """Lists and opens only the rows of the signed-in user's organisation (a superuser's:
    all). `organisation_path` is the lookup from the row to its organisation's id."""

    organisation_path = "organisation_id"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        rows = super().get_queryset(request)  # type: ignore[misc]
        return own_organisation_rows(request_actor(request), rows, self.organisation_path)
