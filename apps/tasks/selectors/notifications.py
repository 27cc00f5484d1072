"""A person's in-app notifications, without those about patients they no longer see."""

from django.db.models import Q, QuerySet

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.models import AuditAction
from apps.tasks.models import (
    Notification,
)
from apps.teams import permissions as team_permissions


def _my_notifications(user: User) -> QuerySet[Notification]:
    """The user's notifications, hiding those about patients they no longer see."""
    return Notification.objects.filter(recipient_id=user.pk).filter(
        Q(patient__isnull=True)
        | Q(patient__care_team_id__in=team_permissions.teams_with_permission(user))
    )


def notification_list_for_user(*, user: User, limit: int = 50) -> list[Notification]:
    # The patient is named in the app (never in the email): loaded with the list, not per row.
    notifications = list(
        _my_notifications(user).select_related("patient").order_by("-created_at", "-pk")[:limit]
    )
    patient_ids = sorted({n.patient_id for n in notifications if n.patient_id})
    if patient_ids:
        audit_record(
            actor=user,
            action=AuditAction.LIST,
            object_type=Notification,
            patient_ids=patient_ids,
        )
    return notifications


def notification_unread_count(*, user: User) -> int:
    return _my_notifications(user).filter(read_at__isnull=True).count()
