"""Who acts for an organisation in the admin door: one rule for every app."""

from typing import Any

from django.db.models import QuerySet

from apps.accounts.models import User


def is_organisation_admin(user: User, organisation_id: int | None, *model_permissions: str) -> bool:
    """Active Django-admin staff of this organisation (any, for a superuser) holding
    every named model permission ("app_label.codename")."""
    return bool(
        user.is_active
        and user.is_staff
        and user.has_perms(model_permissions)
        and (user.is_superuser or user.organisation_id == organisation_id)
    )


def own_organisation_rows(user: User, rows: QuerySet[Any], path: str) -> QuerySet[Any]:
    """What the admin door shows `user`: the rows whose `path` is their organisation's
    id (every row for a superuser)."""
    if user.is_superuser:
        return rows
    return rows.filter(**{path: user.organisation_id})
