"""The Gravity social-care loop, partner side: a Task status update moves the referral.

A partner's client sends the referral's Task back with a new status; each
status maps to the referral states a coordinator would move through, and each
move goes through `referral_transition` (and so the referral state table, its
rights, timeline and audit). A move the table refuses changes nothing.
"""

import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from pydantic import ValidationError

from apps.core.exceptions import ApplicationError
from apps.core.request_shape import NUL_MESSAGE, holds_nul
from apps.fhir.callers import FhirCaller
from apps.fhir.permissions import require_can_update_referral_task
from apps.fhir.resources.referrals import REFERRAL_TASK_PREFIX, TASK_STATUS
from apps.referrals.models import Referral, ReferralState
from apps.referrals.services import referral_transition

S = ReferralState


class PreconditionFailed(ApplicationError):
    """If-Match named a version the Task has moved past (412)."""


class UnprocessableUpdate(ApplicationError):
    """The update is well-formed but the referral's rules refuse it (422)."""


class MalformedTask(ApplicationError):
    """The body is not a Task this endpoint can read (400)."""


@dataclass(frozen=True)
class Update:
    status: str
    reason: str
    output: str


def _text(concept: Any) -> str:
    if not isinstance(concept, dict):
        return ""
    if concept.get("text"):
        return str(concept["text"]).strip()
    for coding in concept.get("coding") or []:
        if isinstance(coding, dict) and (coding.get("display") or coding.get("code")):
            return str(coding.get("display") or coding.get("code")).strip()
    return ""


def _output_text(outputs: Any) -> str:
    texts = []
    for output in outputs or []:
        if isinstance(output, dict):
            for key in ("valueString", "valueMarkdown"):
                if isinstance(output.get(key), str) and output[key].strip():
                    texts.append(output[key].strip())
            if isinstance(output.get("valueCodeableConcept"), dict):
                texts.append(_text(output["valueCodeableConcept"]))
    return "\n".join(text for text in texts if text)


def task_update_read(resource: Any, *, logical_id: str) -> Update:
    """The Task body as an update: valid against the R4B Task model and about this Task."""
    from fhir.resources.R4B.task import Task

    if not isinstance(resource, dict) or resource.get("resourceType") != "Task":
        raise MalformedTask("The body must be a Task resource.")
    if holds_nul(resource):
        raise MalformedTask(NUL_MESSAGE)
    if resource.get("id") not in (None, logical_id):
        raise MalformedTask(f"The Task's id must be {logical_id}, as in the URL.")
    try:
        Task.model_validate(resource)
    except (ValueError, TypeError) as error:
        if not isinstance(error, ValidationError):
            raise MalformedTask("The Task is not valid FHIR.") from error
        first = error.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        raise MalformedTask(f"The Task is not valid FHIR: {where}: {first.get('msg')}") from error
    return Update(
        status=str(resource.get("status") or ""),
        reason=_text(resource.get("statusReason")),
        output=_output_text(resource.get("output")),
    )


def version_of(if_match: str) -> str:
    """`W/"3"` or `"3"` or `3` -> "3"."""
    match = re.fullmatch(r'\s*(?:W/)?"?([^"]*)"?\s*', if_match)
    return match.group(1) if match else if_match


def _moves(referral: Referral, update: Update, partner_name: str) -> list[dict[str, Any]]:
    """The referral moves a status update stands for, in order."""
    status = update.status
    # The reason goes with every move: one that needs it (a step back to accepted
    # for rebooking) gets it, the others ignore it.
    if status == "accepted":
        return [{"to_state": S.RECEIVED, "reason": update.reason}]
    if status == "in-progress":
        return [{"to_state": S.SCHEDULED}]
    if status in ("rejected", "cancelled"):
        if not update.reason:
            raise UnprocessableUpdate(
                f"A {status} Task needs a statusReason saying why.",
                field_errors={"statusReason": ["Say why."]},
            )
        target = S.DECLINED if status == "rejected" else S.CANCELLED
        return [{"to_state": target, "reason": update.reason}]
    if status == "completed":
        if not update.output:
            raise UnprocessableUpdate(
                "A completed Task needs its output: what was done for the patient.",
                field_errors={"output": ["Give the result as output.valueString."]},
            )
        close = {
            "to_state": S.CLOSED,
            "result_summary": update.output,
            "result_reported_by": partner_name,
        }
        return [close] if referral.state == S.COMPLETED else [{"to_state": S.COMPLETED}, close]
    raise UnprocessableUpdate(
        f"Task status {status!r} cannot be set by a partner; use accepted, rejected, "
        "in-progress, completed or cancelled.",
        field_errors={"status": ["Not a status a partner sets."]},
    )


@transaction.atomic
def referral_task_update(
    *, caller: FhirCaller, referral: Referral, update: Update, if_match: str = ""
) -> Referral:
    """Applies a partner's Task update to the referral, all moves or none.

    The same status again changes nothing (a partner may resend); a stale
    If-Match is a 412; a move the referral's state table refuses is a 422.
    """
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("patient", "service__resource_organisation")
        .get(pk=referral.pk)
    )
    require_can_update_referral_task(caller, referral)
    if if_match and version_of(if_match) != str(referral.state_sequence):
        raise PreconditionFailed(
            f"The Task is at version {referral.state_sequence}, not {version_of(if_match)}."
        )
    if update.status == TASK_STATUS[ReferralState(referral.state)]:
        return referral
    partner = referral.service.resource_organisation
    for move in _moves(referral, update, partner.name):
        try:
            referral = referral_transition(actor=caller.actor, referral=referral, **move)
        except ApplicationError as error:
            raise UnprocessableUpdate(error.message, field_errors=error.field_errors) from error
    return referral


def referral_pk(logical_id: str) -> int | None:
    rest = logical_id.removeprefix(REFERRAL_TASK_PREFIX)
    if rest == logical_id or not rest.isdigit() or len(rest) > 12:
        return None
    return int(rest)
