"""Starting, editing, signing, retiring a plan, and flagging it for review."""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import Organisation, User
from apps.careplans import permissions
from apps.careplans.models import (
    OPEN_PLAN_STATUSES,
    AgreedBy,
    AgreementMethod,
    CarePlan,
    CarePlanSettings,
    CarePlanStatus,
    CarePlanVersion,
    Pathway,
)
from apps.careplans.services._common import (
    audit,
    create_version,
    latest_version,
    lock_plan,
    raise_if,
    record_version,
)
from apps.careplans.snapshots import plan_snapshot, snapshot_fingerprint
from apps.core.actors import JobActor
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.patients.models import Patient
from apps.patients.permissions import can_view_patient, has_patient_permission
from apps.tasks.models import OPEN_STATUSES, Task
from apps.tasks.services import task_cancel

PLAN_FIELDS = (
    "what_matters",
    "priorities",
    "agreed_by",
    "agreement_method",
    "agreed_at",
    "caregiver_name",
    "pam_level",
    "health_literacy_limited",
    "advance_directive_reference",
    "advance_directive_date",
)
TEXT_LIMITS = {"caregiver_name": 120, "advance_directive_reference": 300}


def care_plan_settings_get(*, organisation: Organisation) -> CarePlanSettings:
    """The organisation's care plan settings, created with the defaults on first use."""
    plan_settings, _ = CarePlanSettings.objects.get_or_create(organisation=organisation)
    return plan_settings


def _validate_values(plan: CarePlan, values: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    now = timezone.now()
    pam = values.get("pam_level", plan.pam_level)
    if pam is not None and pam not in (1, 2, 3, 4):
        errors["pam_level"] = ["The activation level is 1, 2, 3 or 4."]
    agreed_by = values.get("agreed_by", plan.agreed_by)
    method = values.get("agreement_method", plan.agreement_method)
    agreed_at: datetime | None = values.get("agreed_at", plan.agreed_at)
    if agreed_by and agreed_by not in AgreedBy.values:
        errors["agreed_by"] = [f"'{agreed_by}' is not a choice."]
    if method and method not in AgreementMethod.values:
        errors["agreement_method"] = [f"'{method}' is not a choice."]
    if agreed_by:
        if agreed_at is None:
            errors.setdefault("agreed_at", []).append("Say when the plan was agreed.")
        if not method:
            errors.setdefault("agreement_method", []).append("Say how the plan was agreed.")
    elif agreed_at is not None or method:
        errors.setdefault("agreed_by", []).append("Say who agreed to the plan.")
    if agreed_at is not None:
        if timezone.is_naive(agreed_at):
            errors.setdefault("agreed_at", []).append("The time needs a time zone.")
        elif agreed_at > now:
            errors.setdefault("agreed_at", []).append("The agreement cannot be in the future.")
    if (
        agreed_by == AgreedBy.CAREGIVER
        and not values.get("caregiver_name", plan.caregiver_name).strip()
    ):
        errors.setdefault("caregiver_name", []).append("Name the caregiver who agreed.")
    directive_date: date | None = values.get("advance_directive_date", plan.advance_directive_date)
    if directive_date is not None and directive_date > timezone.localdate():
        errors.setdefault("advance_directive_date", []).append("The date cannot be in the future.")
    if (
        directive_date is not None
        and not values.get("advance_directive_reference", plan.advance_directive_reference).strip()
    ):
        errors.setdefault("advance_directive_reference", []).append(
            "Say where the advance directive is filed."
        )
    for name, limit in TEXT_LIMITS.items():
        if len(values.get(name, "") or "") > limit:
            errors.setdefault(name, []).append(f"At most {limit} characters.")
    raise_if(errors, "Please correct the care plan.")


def _validated_pathways(patient: Patient, pathways: Iterable[Pathway]) -> list[Pathway]:
    chosen = list(pathways)
    foreign = [
        pathway
        for pathway in chosen
        if pathway.organisation_id != patient.organisation_id or not pathway.is_active
    ]
    if foreign:
        raise ApplicationError(
            "Please correct the care plan.",
            field_errors={"pathways": ["Choose active pathways of the patient's organisation."]},
        )
    return chosen


@transaction.atomic
def care_plan_create(*, actor: User, patient: Patient, **values: Any) -> CarePlan:
    """Starts the patient's plan as a draft (version 1). One open plan per patient."""
    if not permissions.can_start_care_plan(actor, patient):
        raise PermissionDenied("Your role on this patient's team does not start care plans.")
    pathways = values.pop("pathways", None)
    unknown = set(values) - set(PLAN_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown care plan fields: {', '.join(sorted(unknown))}.")
    if values and not permissions.can_edit_care_plan(actor, patient):
        raise PermissionDenied(
            "Your role on this patient's team does not edit the patient's voice."
        )
    if CarePlan.objects.filter(patient=patient, status__in=OPEN_PLAN_STATUSES).exists():
        raise ApplicationError("This patient already has a care plan. Revise it instead.")
    plan = CarePlan(patient=patient, created_by=actor, unsigned_since=timezone.now(), **values)
    _validate_values(plan, {})
    chosen = _validated_pathways(patient, pathways or [])
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError as error:
        raise ApplicationError(
            "This patient already has a care plan. Revise it instead."
        ) from error
    if chosen:
        plan.pathways.set(chosen)
    audit(actor=actor, action=AuditAction.CREATE, obj=plan, plan=plan)
    record_version(plan=plan, actor=actor, summary="Plan started")
    return plan


@transaction.atomic
def care_plan_update(*, actor: User, plan: CarePlan, **values: Any) -> CarePlan:
    """Changes the patient's voice, agreement, activation, literacy and links (a new version).

    The advance directive is only referenced (where it is filed and its date);
    the document itself is never edited here.
    """
    plan = lock_plan(plan.pk)
    permissions.require_can_edit_care_plan(actor, plan.patient)
    pathways = values.pop("pathways", None)
    unknown = set(values) - set(PLAN_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown care plan fields: {', '.join(sorted(unknown))}.")
    for name in ("what_matters", "priorities", "caregiver_name", "advance_directive_reference"):
        if name in values:
            values[name] = (values[name] or "").strip()
    _validate_values(plan, values)
    changed = sorted(name for name, value in values.items() if getattr(plan, name) != value)
    for name in changed:
        setattr(plan, name, values[name])
    if changed:
        plan.save(update_fields=[*changed, "updated_at"])
    if pathways is not None:
        chosen = _validated_pathways(plan.patient, pathways)
        if {pathway.pk for pathway in chosen} != set(plan.pathways.values_list("pk", flat=True)):
            plan.pathways.set(chosen)
            changed.append("pathways")
    if not changed:
        return plan
    audit(actor=actor, action=AuditAction.UPDATE, obj=plan, plan=plan, detail={"fields": changed})
    record_version(plan=plan, actor=actor, summary=f"Plan details changed: {', '.join(changed)}")
    return plan


@transaction.atomic
def care_plan_sign(*, actor: User, plan: CarePlan, fingerprint: str) -> CarePlanVersion:
    """A PCP on the patient's team signs the plan exactly as they reviewed it.

    `fingerprint` identifies the content the PCP saw (selectors.care_plan_review);
    if anything changed since, the signature is refused. Changes made outside
    the plan (a task reassigned or finished from a worklist) become a version
    of their own before the signature, and a review without changes is kept
    as a version too, so every signature names the content it covers.
    """
    plan = lock_plan(plan.pk)
    permissions.require_can_sign_care_plan(actor, plan.patient)
    snapshot = plan_snapshot(plan)
    current = snapshot_fingerprint(snapshot)
    if not fingerprint or fingerprint != current:
        raise ApplicationError(
            "The plan changed while you were reviewing it. Review the changes again, then sign.",
            field_errors={"fingerprint": ["The plan changed since this review was opened."]},
        )
    version = latest_version(plan)
    if version is None or version.fingerprint != current or version.is_signed:
        summary = (
            "Reviewed without changes"
            if version is not None and version.fingerprint == current
            else "Changes made from the task lists"
        )
        version = create_version(
            plan=plan,
            actor=actor if summary == "Reviewed without changes" else None,
            summary=summary,
            snapshot=snapshot,
            fingerprint=current,
        )
    now = timezone.now()
    version.signed_at = now
    version.signed_by = actor
    version.save(update_fields=["signed_at", "signed_by"])
    plan.status = CarePlanStatus.ACTIVE
    plan.last_signed_at = now
    plan.unsigned_since = None
    plan.review_requested_at = None
    plan.review_request_reason = ""
    plan.save(
        update_fields=[
            "status",
            "version_count",
            "last_signed_at",
            "unsigned_since",
            "review_requested_at",
            "review_request_reason",
            "updated_at",
        ]
    )
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=plan,
        plan=plan,
        detail={"fields": ["signature"], "version": version.number},
    )
    return version


def cancel_open_tasks(
    *, actor: User | None, plan: CarePlan, tasks: Iterable[Task], reason: str
) -> None:
    """Closes the open tasks of interventions the plan no longer carries."""
    may_work = actor is not None and has_patient_permission(actor, plan.patient, "manage_tasks")
    for task in tasks:
        if task.status in OPEN_STATUSES:
            # The plan service has authorised the change; an admin retiring a plan
            # is not on the team, so the system cancels for them (and names them).
            doer = (
                actor
                if actor is not None and may_work
                else JobActor(job="careplans.plan_change", for_user=actor)
            )
            task_cancel(actor=doer, task=task, reason=reason)


@transaction.atomic
def care_plan_retire(*, actor: User, plan: CarePlan, reason: str) -> CarePlan:
    """Ends the plan (the patient left, died, or a new plan replaces it); open work is cancelled."""
    plan = lock_plan(plan.pk)
    if not (
        permissions.can_edit_care_plan(actor, plan.patient)
        or permissions.can_administer_care_plan(actor, plan.patient)
    ):
        raise PermissionDenied("Your role on this patient's team does not retire care plans.")
    reason = reason.strip()
    if not reason:
        raise ApplicationError(
            "Say why the plan is retired.", field_errors={"reason": ["A reason is required."]}
        )
    tasks = Task.objects.filter(care_plan_intervention__plan=plan, status__in=OPEN_STATUSES)
    cancel_open_tasks(
        actor=actor, plan=plan, tasks=list(tasks), reason="The care plan was retired."
    )
    plan.status = CarePlanStatus.RETIRED
    plan.retired_at = timezone.now()
    plan.retired_reason = reason[:200]
    plan.save(update_fields=["status", "retired_at", "retired_reason", "updated_at"])
    audit(
        actor=actor, action=AuditAction.UPDATE, obj=plan, plan=plan, detail={"fields": ["status"]}
    )
    snapshot = plan_snapshot(plan)
    create_version(
        plan=plan,
        actor=actor,
        summary="Plan retired",
        snapshot=snapshot,
        fingerprint=snapshot_fingerprint(snapshot),
    )
    plan.save(update_fields=["version_count"])
    return plan


@transaction.atomic
def care_plan_review_request(
    *, actor: User | None, patient: Patient, reason: str
) -> CarePlan | None:
    """Marks the patient's open plan as due for a PCP review (after a transition of care).

    The earliest outstanding request keeps its time, so the worklist shows how
    long the plan has waited; the latest reason is kept. No plan: nothing to do.
    """
    if actor is not None and not (
        can_view_patient(actor, patient) or permissions.can_administer_care_plan(actor, patient)
    ):
        raise PermissionDenied("You may not flag this patient's plan for review.")
    reason = " ".join(reason.split())
    if not reason:
        raise ApplicationError(
            "Say why the plan needs a review.", field_errors={"reason": ["A reason is required."]}
        )
    plan = (
        CarePlan.objects.select_for_update()
        .filter(patient=patient, status__in=OPEN_PLAN_STATUSES)
        .first()
    )
    if plan is None:
        return None
    fields = ["review_request_reason", "updated_at"]
    if plan.review_requested_at is None:
        plan.review_requested_at = timezone.now()
        fields.append("review_requested_at")
    plan.review_request_reason = reason[:200]
    plan.save(update_fields=fields)
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=plan,
        plan=plan,
        detail={"fields": ["review_requested_at"]},
    )
    return plan
