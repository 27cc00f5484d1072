"""Every discharge asks for a care plan review (DOMAIN 3: review after each transition)."""

import importlib
import logging

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.core.exceptions import ApplicationError
from apps.transitions.models import ChecklistItem, ChecklistItemCode, Handoff

logger = logging.getLogger(__name__)


def _review_request_service():  # type: ignore[no-untyped-def]
    """apps.careplans.services.care_plan_review_request, once the careplans app provides it."""
    try:
        module = importlib.import_module("apps.careplans.services")
    except ImportError:
        return None
    return getattr(module, "care_plan_review_request", None)


def plan_review_request_for(*, actor: User | None, handoff: Handoff) -> bool:
    """Asks the care plan app for a review and ticks the checklist item when it accepted.

    A refusal (no plan yet, no right) must not undo the transition: it runs in
    a savepoint and leaves the item open, where the board shows it.
    """
    request = _review_request_service()
    if request is None:
        return False
    requester = None if actor is None or actor.is_interface else actor
    try:
        with transaction.atomic():
            plan = request(
                actor=requester,
                patient=handoff.episode.patient,
                reason=f"Transition of care: {handoff.get_kind_display().lower()} "
                f"to {handoff.get_to_setting_display().lower()}",
            )
    except (ApplicationError, PermissionDenied) as error:
        logger.info(
            "plan review not requested for handoff %s: %s", handoff.pk, type(error).__name__
        )
        return False
    if plan is None:
        return False  # no care plan yet: the open item shows it on the board
    ChecklistItem.objects.filter(
        handoff=handoff, code=ChecklistItemCode.PLAN_REVIEW_TRIGGERED, done_at__isnull=True
    ).update(done_at=timezone.now(), note="Requested automatically", updated_at=timezone.now())
    return True
