"""Who acts for an organisation in the admin door: one rule for every app."""

from typing import Any

from django.core.exceptions import PermissionDenied
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


def can_reset_second_factor(actor: User, user: User) -> bool:
    """A person resets their own second factor; their organisation's admin (who may change
    users) resets a member's."""
    if actor.pk == user.pk:
        return True
    return is_organisation_admin(actor, user.organisation_id, "accounts.change_user")


def require_can_reset_second_factor(actor: User, user: User) -> None:
    if not can_reset_second_factor(actor, user):
        raise PermissionDenied("You may not reset this person's second factor.")


def can_manage_api_token(actor: User, user: User) -> bool:
    """A person makes and revokes their own tokens (an interface account has no person
    behind it: its organisation's admin does); an organisation admin who may change
    users manages a member's."""
    if actor.pk == user.pk and not user.is_interface:
        return True
    return is_organisation_admin(actor, user.organisation_id, "accounts.change_user")


def require_can_manage_api_token(actor: User, user: User) -> None:
    if not can_manage_api_token(actor, user):
        raise PermissionDenied("You may not manage this account's API tokens.")
