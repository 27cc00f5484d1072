"""Starting, editing, signing, retiring a plan, and flagging it for review."""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import Actor, Organisation, User
from apps.accounts.selectors import organisation_add_business_days
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
    due_at_for,
    latest_version,
    lock_plan,
    person_of,
    plan_service,
    raise_if,
    record_version,
)
from apps.careplans.snapshots import plan_snapshot, snapshot_fingerprint
from apps.core.actors import JobActor, person_behind
from apps.core.changes import record_change, refuse_unknown_fields
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.patients.models import Patient
from apps.tasks import permissions as task_permissions
from apps.tasks.models import OPEN_STATUSES, Task, TaskPriority, TaskQuerySet
from apps.tasks.services import task_cancel, task_complete, task_create
from apps.teams.selectors import is_live_member, team_lead

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


@plan_service
def care_plan_create(*, actor: Actor, patient: Patient, **values: Any) -> CarePlan:
    """Starts the patient's plan as a draft (version 1). One open plan per patient."""
    if not permissions.can_start_care_plan(actor, patient):
        raise PermissionDenied("Your role on this patient's team does not start care plans.")
    pathways = values.pop("pathways", None)
    refuse_unknown_fields(values, PLAN_FIELDS, noun="care plan")
    if values and not permissions.can_edit_care_plan(actor, patient):
        raise PermissionDenied(
            "Your role on this patient's team does not edit the patient's voice."
        )
    if CarePlan.objects.filter(patient=patient, status__in=OPEN_PLAN_STATUSES).exists():
        raise ApplicationError("This patient already has a care plan. Revise it instead.")
    plan = CarePlan(
        patient=patient, created_by=person_behind(actor), unsigned_since=timezone.now(), **values
    )
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


@plan_service
def care_plan_update(*, actor: Actor, plan: CarePlan, **values: Any) -> CarePlan:
    """Changes the patient's voice, agreement, activation, literacy and links (a new version).

    The advance directive is only referenced (where it is filed and its date);
    the document itself is never edited here.
    """
    plan = lock_plan(plan.pk)
    permissions.require_can_edit_care_plan(actor, plan.patient)
    pathways = values.pop("pathways", None)
    refuse_unknown_fields(values, PLAN_FIELDS, noun="care plan")
    for name in ("what_matters", "priorities", "caregiver_name", "advance_directive_reference"):
        if name in values:
            values[name] = (values[name] or "").strip()
    _validate_values(plan, values)
    links_changed = False
    if pathways is not None:
        chosen = _validated_pathways(plan.patient, pathways)
        if {pathway.pk for pathway in chosen} != set(plan.pathways.values_list("pk", flat=True)):
            plan.pathways.set(chosen)
            links_changed = True
    changed = record_change(
        actor=actor,
        instance=plan,
        values=values,
        patient_id=plan.patient_id,
        detail={"care_plan_id": plan.pk, **({"links": ["pathways"]} if links_changed else {})},
        # _validate_values has checked the agreement rules across the fields.
        clean=False,
        always_audit=links_changed,
    )
    if links_changed:
        changed.append("pathways")
    if not changed:
        return plan
    record_version(plan=plan, actor=actor, summary=f"Plan details changed: {', '.join(changed)}")
    return plan


@plan_service
def care_plan_sign(*, actor: Actor, plan: CarePlan, fingerprint: str) -> CarePlanVersion:
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
            actor=actor if summary == "Reviewed without changes" else TASK_LISTS,
            summary=summary,
            snapshot=snapshot,
            fingerprint=current,
        )
    now = timezone.now()
    version.signed_at = now
    version.signed_by = person_of(actor)
    version.save(update_fields=["signed_at", "signed_by"])
    plan.status = CarePlanStatus.ACTIVE
    plan.last_signed_at = now
    plan.unsigned_since = None
    plan.review_requested_at = None
    plan.review_request_reason = ""
    plan.review_requested_by = None
    plan.returned_at = None
    plan.returned_by = None
    plan.return_comments = ""
    plan.save(
        update_fields=[
            "status",
            "version_count",
            "last_signed_at",
            "unsigned_since",
            "review_requested_at",
            "review_request_reason",
            "review_requested_by",
            "returned_at",
            "returned_by",
            "return_comments",
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


def _task_actor(actor: Actor, task: Task) -> Actor:
    """Who closes an intervention's task that a plan change ends: the person, when the task
    rules let them work on it; otherwise the system does it for them and names them (an
    administrator retiring a plan is not on the team)."""
    person = person_behind(actor)
    if person is not None and (
        task_permissions.can_work_on_task(person, task)
        or task_permissions.is_task_admin(person, task.patient)
    ):
        return person  # type: ignore[no-any-return]
    return JobActor(job="careplans.plan_change", for_user=person)


def cancel_open_tasks(*, actor: Actor, plan: CarePlan, tasks: Iterable[Task], reason: str) -> None:
    """Closes the open tasks of interventions the plan no longer carries (the plan service
    has authorised the change)."""
    for task in tasks:
        if task.status in OPEN_STATUSES:
            task.patient = plan.patient
            task_cancel(actor=_task_actor(actor, task), task=task, reason=reason)


@plan_service
def care_plan_retire(*, actor: Actor, plan: CarePlan, reason: str) -> CarePlan:
    """Ends the plan (the patient left, died, or a new plan replaces it); open work is cancelled."""
    plan = lock_plan(plan.pk)
    if not permissions.can_retire_care_plan(actor, plan.patient):
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
    record_change(
        actor=actor,
        instance=plan,
        values={
            "status": CarePlanStatus.RETIRED,
            "retired_at": timezone.now(),
            "retired_reason": reason[:200],
        },
        patient_id=plan.patient_id,
        detail={"care_plan_id": plan.pk},
        clean=False,
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


@plan_service
def care_plan_review_request(*, actor: Actor, patient: Patient, reason: str) -> CarePlan | None:
    """Marks the patient's open plan as due for a PCP review (after a transition of care).

    The earliest outstanding request keeps its time, so the worklist shows how
    long the plan has waited; the latest reason is kept. No plan: nothing to do.
    """
    if not permissions.can_request_care_plan_review(actor, patient):
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
    record_change(
        actor=actor,
        instance=plan,
        values={
            "review_requested_at": plan.review_requested_at or timezone.now(),
            "review_request_reason": reason[:200],
        },
        patient_id=plan.patient_id,
        detail={"care_plan_id": plan.pk},
        clean=False,
        always_audit=True,
    )
    return plan


# The author of a version made for changes that came from the task lists.
TASK_LISTS = JobActor(job="careplans.task_list_changes")
RETURN_DUE_BUSINESS_DAYS = 2


@plan_service
def plan_signoff_request(*, actor: Actor, plan: CarePlan, reason: str) -> CarePlan:
    """Sends a plan changed since its last signature to the PCP, with the reason.

    Anyone who may edit the plan may ask; the plan shows at once on the PCP's
    plan reviews with the reason. A plan without unsigned changes has nothing
    to sign and is refused. Asking again keeps the first request's time (the
    wait shows) and the latest reason and requester.
    """
    plan = lock_plan(plan.pk)
    permissions.require_can_request_care_plan_signoff(actor, plan.patient)
    reason = " ".join((reason or "").split())
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = ["Say what the PCP should look at."]
    elif len(reason) > 200:
        errors["reason"] = ["At most 200 characters."]
    raise_if(errors, "Say why the plan needs the PCP's sign-off.")
    if plan.unsigned_since is None:
        raise ApplicationError(
            "The plan has not changed since the PCP last signed it: there is nothing to sign."
        )
    record_change(
        actor=actor,
        instance=plan,
        values={
            "review_requested_at": plan.review_requested_at or timezone.now(),
            "review_request_reason": reason,
            "review_requested_by": person_behind(actor),
            # Sent again after a return: the PCP's comments have been answered.
            "returned_at": None,
            "returned_by": None,
            "return_comments": "",
        },
        patient_id=plan.patient_id,
        detail={"care_plan_id": plan.pk, "signoff": "requested"},
        clean=False,
        always_audit=True,
    )
    _close_return_tasks(actor=actor, plan=plan)
    return plan


def _return_tasks(plan: CarePlan) -> TaskQuerySet:
    return Task.objects.filter(
        patient_id=plan.patient_id, idempotency_key__startswith=f"care-plan:{plan.pk}:returned:"
    )


def _close_return_tasks(*, actor: Actor, plan: CarePlan) -> None:
    """Sending the plan again answers the PCP's return: its open task is done, when the
    sender may work on it (otherwise its owner closes it)."""
    person = person_behind(actor)
    for task in _return_tasks(plan).open().select_related("patient"):
        if person is not None and task_permissions.can_work_on_task(person, task):
            task_complete(actor=person, task=task, note="Sent for sign-off again")


def _returned_plan_owner(plan: CarePlan) -> User:
    """The person who asked for the sign-off, while they may own work on the team; else the
    lead coordinator. Never someone who cannot act on it."""
    team_id = plan.patient.care_team_id
    requester = plan.review_requested_by
    if requester is not None and is_live_member(team_id=team_id, user=requester):
        return requester
    lead = team_lead(team_id=team_id)
    if lead is None:
        raise ApplicationError(
            "Nobody can take the returned plan: the person who asked has left the team and "
            "the team has no lead coordinator. Ask an administrator to name one."
        )
    return lead.user


@plan_service
def plan_signoff_return(*, actor: Actor, plan: CarePlan, comments: str) -> Task:
    """The PCP sends the plan back to its editors with comments instead of signing it.

    The editors get one task (to the requester while they are a live member of
    the team, else the lead coordinator) carrying the comments; returning it
    again before anyone changed or re-sent it gives back that task. The review
    request is closed; the plan waits for its editors, then for a new request.
    """
    plan = lock_plan(plan.pk)
    permissions.require_can_return_care_plan(actor, plan.patient)
    comments = (comments or "").strip()
    if not comments:
        raise ApplicationError(
            "Say what should change before you sign.",
            field_errors={"comments": ["Comments are required."]},
        )
    if len(comments) > 2000:
        raise ApplicationError(
            "Keep the comments shorter.", field_errors={"comments": ["At most 2,000 characters."]}
        )
    prefix = f"care-plan:{plan.pk}:returned:v{plan.version_count}:"
    if plan.returned_at is not None and plan.review_requested_at is None:
        # Returned already, unchanged and not sent again since: the same return (a
        # second click, a retried API call) gives back its task.
        already = (
            _return_tasks(plan).filter(idempotency_key__startswith=prefix).order_by("id").last()
        )
        if already is not None:
            return already
    if plan.unsigned_since is None and plan.review_requested_at is None:
        raise ApplicationError("Nothing on this plan waits for your sign-off.")
    # One task per version and request: a plan sent again (even unchanged) can be
    # returned again.
    requested = plan.review_requested_at
    key = prefix + (f"{requested.timestamp():.6f}" if requested else "unrequested")
    owner = _returned_plan_owner(plan)
    due_day = organisation_add_business_days(
        organisation=plan.patient.organisation,
        start=timezone.localdate(),
        days=RETURN_DUE_BUSINESS_DAYS,
    )
    task = task_create(
        actor=person_of(actor),
        patient=plan.patient,
        title="Care plan returned by the PCP: revise it and send it for sign-off again",
        owner=owner,
        due_at=due_at_for(due_day),
        priority=TaskPriority.ROUTINE,
        description=comments,
        idempotency_key=key,
    )
    record_change(
        actor=actor,
        instance=plan,
        values={
            "review_requested_at": None,
            "review_request_reason": "",
            "review_requested_by": None,
            "returned_at": timezone.now(),
            "returned_by": person_behind(actor),
            "return_comments": comments,
        },
        patient_id=plan.patient_id,
        detail={"care_plan_id": plan.pk, "signoff": "returned", "task_id": task.pk},
        clean=False,
    )
    return task
