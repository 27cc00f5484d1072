"""Every discharge asks for a care plan review (DOMAIN 3: review after each transition)."""

import logging

from django.utils import timezone

from apps.accounts.models import Actor
from apps.careplans import permissions as careplan_permissions
from apps.careplans.services import care_plan_review_request
from apps.transitions.models import ChecklistItemCode, Handoff
from apps.transitions.services.checklist import checklist_item_tick

logger = logging.getLogger(__name__)


def plan_review_request_for(*, actor: Actor, handoff: Handoff) -> bool:
    """Asks the care plan app for a review and ticks the checklist item when it took it.

    Interface accounts ask as themselves, a job as its JobActor (naming the person behind
    it, if any). A refusal or a patient without a care plan must not undo the transition:
    an actor the care plan app would refuse is not asked (the item stays open, where the
    board shows it). Asked without a savepoint of its own: the reason is never blank,
    so a request that passes the right check is taken (or finds no plan).
    """
    patient = handoff.episode.patient
    if not careplan_permissions.can_request_care_plan_review(actor, patient):
        logger.info("plan review not requested for handoff %s: not allowed", handoff.pk)
        return False
    plan = care_plan_review_request(
        actor=actor,
        patient=patient,
        reason=f"Transition of care: {handoff.get_kind_display().lower()} "
        f"to {handoff.get_to_setting_display().lower()}",
    )
    if plan is None:
        return False  # no care plan yet: the open item shows it on the board
    checklist_item_tick(
        actor=actor,
        handoff=handoff,
        code=ChecklistItemCode.PLAN_REVIEW_TRIGGERED,
        when=timezone.now(),
        note="Requested automatically",
        open_only=True,
    )
    return True
