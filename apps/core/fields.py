"""Field groups that many models repeat, written once."""

from typing import Any

from django.conf import settings
from django.db import models


def person_field(*, related_name: str = "+") -> "models.ForeignKey[Any, Any]":
    """A person a row names (who owns, did, verified or recorded something): optional, and
    protected, since accounts are deactivated, never deleted, and history must keep its names."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name=related_name,
    )
