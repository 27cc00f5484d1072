"""Medication reconciliation: two lists compared line by line, then a pharmacist's check."""

from copy import copy
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Actor, Role, User
from apps.core.actors import JobActor
from apps.core.audit import audit_record
from apps.core.changes import record_change, record_create, refuse_unknown_fields
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.patients.models import Patient
from apps.patients.selectors.record import active_medications
from apps.tasks.models import Task, TaskPriority, TaskSource, TaskStatus
from apps.tasks.services import task_complete, task_create, task_verify
from apps.transitions import permissions
from apps.transitions.models import (
    ChecklistItemCode,
    Handoff,
    HandoffKind,
    MedicationClass,
    MedicationLine,
    MedicationReconciliation,
    ReconciliationStatus,
)
from apps.transitions.selectors import follow_up_owner, verification_owner
from apps.transitions.services.checklist import checklist_item_tick

LINE_FIELDS = (
    "name",
    "on_pre_admission",
    "pre_dose",
    "pre_route",
    "pre_frequency",
    "on_discharge",
    "discharge_dose",
    "discharge_route",
    "discharge_frequency",
    "reason",
)


def classify(line: MedicationLine) -> str:
    """Continued / changed / new / stopped / unexplained omission, from the two lists."""
    if line.on_pre_admission and line.on_discharge:
        return MedicationClass.CHANGED if line.changed_attributes else MedicationClass.CONTINUED
    if line.on_discharge:
        return MedicationClass.NEW
    return MedicationClass.STOPPED if line.reason.strip() else MedicationClass.OMISSION


def _locked(reconciliation: MedicationReconciliation) -> MedicationReconciliation:
    return (
        MedicationReconciliation.objects.select_for_update(of=("self",))
        .select_related("handoff__episode__patient")
        .get(pk=reconciliation.pk)
    )


def _open_for_change(
    reconciliation: MedicationReconciliation, *, actor: User
) -> tuple[MedicationReconciliation, Patient]:
    """Locks the reconciliation for a change by someone who reconciles, while it is open."""
    reconciliation = _locked(reconciliation)
    patient = reconciliation.handoff.episode.patient
    permissions.require_can_reconcile(actor, patient)
    if reconciliation.status != ReconciliationStatus.IN_PROGRESS:
        raise ApplicationError("The reconciliation is complete; it can no longer be edited.")
    if reconciliation.handoff.cancelled_at is not None:
        raise ApplicationError("This discharge was cancelled.")
    return reconciliation, patient


@transaction.atomic
def reconciliation_start(*, actor: User, handoff: Handoff) -> MedicationReconciliation:
    """Opens (or returns) the reconciliation of a discharge."""
    handoff = (
        Handoff.objects.select_for_update(of=("self",))
        .select_related("episode__patient")
        .get(pk=handoff.pk)
    )
    permissions.require_can_reconcile(actor, handoff.episode.patient)
    if handoff.kind != HandoffKind.DISCHARGE or handoff.cancelled_at is not None:
        raise ApplicationError("Medications are reconciled for a recorded discharge.")
    reconciliation = MedicationReconciliation.objects.filter(handoff=handoff).first()
    if reconciliation is not None:
        return reconciliation
    reconciliation = record_create(
        actor=actor,
        instance=MedicationReconciliation(handoff=handoff),
        patient_id=handoff.episode.patient_id,
        clean=False,
    )
    _seed_from_chart(actor=actor, reconciliation=reconciliation, patient=handoff.episode.patient)
    return reconciliation


# The dose a chart medication goes onto the "before" list with when its source gave none.
DOSE_NOT_GIVEN = "as on the medication list"


def _seed_from_chart(
    *, actor: User, reconciliation: MedicationReconciliation, patient: Patient
) -> None:
    """The chart's active medications become the pre-admission list: each line starts
    as an omission until the discharge list says continued, changed or stopped."""
    for medication in active_medications(patient):
        line = MedicationLine(
            reconciliation=reconciliation,
            name=medication.display[:120],
            on_pre_admission=True,
            pre_dose=(medication.dose_text or DOSE_NOT_GIVEN)[:60],
        )
        line.classification = classify(line)
        record_create(
            actor=actor,
            instance=line,
            patient_id=patient.pk,
            detail={"classification": line.classification, "from": "medication list"},
            clean=False,
        )


def _clean_values(values: dict[str, Any]) -> dict[str, Any]:
    refuse_unknown_fields(values, LINE_FIELDS, noun="medication")
    return {
        name: (value.strip() if isinstance(value, str) else bool(value))
        for name, value in values.items()
    }


def _check_line(line: MedicationLine) -> None:
    errors: dict[str, list[str]] = {}
    if not line.name:
        errors["name"] = ["Name the medication."]
    if not (line.on_pre_admission or line.on_discharge):
        errors["on_discharge"] = ["Put the medication on at least one of the two lists."]
    if line.on_pre_admission and not line.pre_dose:
        errors["pre_dose"] = ["Give the dose taken before admission."]
    if line.on_discharge and not line.discharge_dose:
        errors["discharge_dose"] = ["Give the dose on the discharge list."]
    for name in ("pre_dose", "pre_route", "pre_frequency"):
        if not line.on_pre_admission and getattr(line, name):
            setattr(line, name, "")
    for name in ("discharge_dose", "discharge_route", "discharge_frequency"):
        if not line.on_discharge and getattr(line, name):
            setattr(line, name, "")
    if errors:
        raise ApplicationError("The medication is not complete.", field_errors=errors)


@transaction.atomic
def medication_line_add(
    *, actor: User, reconciliation: MedicationReconciliation, **values: Any
) -> MedicationLine:
    reconciliation, patient = _open_for_change(reconciliation, actor=actor)
    line = MedicationLine(reconciliation=reconciliation, **_clean_values(values))
    _check_line(line)
    line.classification = classify(line)
    return record_create(
        actor=actor,
        instance=line,
        patient_id=patient.pk,
        detail={"classification": line.classification},
        clean=False,
    )


@transaction.atomic
def medication_line_update(*, actor: User, line: MedicationLine, **values: Any) -> MedicationLine:
    """Changes a line (most often: gives the reason that resolves a discrepancy)."""
    reconciliation, patient = _open_for_change(line.reconciliation, actor=actor)
    line = MedicationLine.objects.get(pk=line.pk, reconciliation=reconciliation)
    # Checked on a draft: the check clears the doses of a list the medication left.
    draft = copy(line)
    for name, value in _clean_values(values).items():
        setattr(draft, name, value)
    _check_line(draft)
    classification = classify(draft)
    record_change(
        actor=actor,
        instance=line,
        values={name: getattr(draft, name) for name in LINE_FIELDS}
        | {"classification": classification},
        patient_id=patient.pk,
        detail={"classification": classification},
        clean=False,
    )
    return line


@transaction.atomic
def medication_line_remove(*, actor: User, line: MedicationLine) -> None:
    reconciliation, patient = _open_for_change(line.reconciliation, actor=actor)
    line_id = line.pk
    MedicationLine.objects.filter(pk=line_id, reconciliation=reconciliation).delete()
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        object_type=line,
        object_id=line_id,
        patient_id=patient.pk,
    )


def discrepancies(reconciliation: MedicationReconciliation) -> list[MedicationLine]:
    return [line for line in reconciliation.lines.all() if line.is_discrepancy]


def verification_key(reconciliation: MedicationReconciliation) -> str:
    return f"reconciliation:{reconciliation.pk}:verify"


@transaction.atomic
def reconciliation_complete(
    *, actor: User, reconciliation: MedicationReconciliation
) -> MedicationReconciliation:
    """Closes the comparison and asks a pharmacist (not the actor) to verify it.

    Refused while any unexplained omission or change without a reason is
    left; the refusal names each one. The verification is a Task with
    verification_role pharmacist, performed by the actor: the tasks app then
    only lets a different person in that role verify it.
    """
    reconciliation, patient = _open_for_change(reconciliation, actor=actor)
    handoff = reconciliation.handoff
    open_lines = discrepancies(reconciliation)
    if open_lines:
        raise ApplicationError(
            "Resolve the discrepancies first: give a reason for each change or omission.",
            field_errors={
                f"line_{line.pk}": [
                    f"{line.name}: "
                    + (
                        "on the pre-admission list but missing at discharge without a reason."
                        if line.classification == MedicationClass.OMISSION
                        else f"{', '.join(line.changed_attributes)} changed without a reason."
                    )
                ]
                for line in open_lines
            },
        )
    owner = verification_owner(patient=patient, performer=actor)
    if owner is None:
        # No second pharmacist on the team: the lead holds the task until one
        # joins; only a pharmacist other than the actor can still verify it.
        owner, _rule = follow_up_owner(patient=patient)
    if owner is None:
        raise ApplicationError(
            "Nobody on the care team can hold the verification task; add a pharmacist."
        )
    now = timezone.now()
    # The system makes the verification task for the person who reconciled.
    task = task_create(
        actor=JobActor(job="transitions.reconciliation_verification", for_user=actor),
        patient=patient,
        title="Verify the discharge medication reconciliation",
        owner=owner,
        due_at=now + timedelta(days=1),
        priority=TaskPriority.URGENT,
        description="Check the pre-admission and discharge lists and each classification.",
        source_type=TaskSource.TRANSITION,
        source_id=handoff.pk,
        verification_role=Role.PHARMACIST,
        idempotency_key=verification_key(reconciliation),
    )
    if task.status != TaskStatus.AWAITING_VERIFICATION:
        task = task_complete(actor=actor, task=task, note="Reconciliation done")
    record_change(
        actor=actor,
        instance=reconciliation,
        values={
            "status": ReconciliationStatus.AWAITING_VERIFICATION,
            "performed_by": actor,
            "performed_at": now,
            "verification_task": task,
        },
        patient_id=patient.pk,
        detail={"task_id": task.pk},
        clean=False,
    )
    checklist_item_tick(
        actor=actor,
        handoff=handoff,
        code=ChecklistItemCode.RECONCILIATION_DONE,
        when=now,
        done_by=actor,
    )
    return reconciliation


# Said by the refusal and by the page where the verify button is not offered.
SAME_PERSON_VERIFY = "The person who reconciled cannot also verify."


@transaction.atomic
def reconciliation_verify(
    *, actor: User, reconciliation: MedicationReconciliation
) -> MedicationReconciliation:
    """The pharmacist's independent check; never by the person who reconciled."""
    reconciliation = _locked(reconciliation)
    patient = reconciliation.handoff.episode.patient
    permissions.require_can_verify_reconciliation(actor, patient)
    if reconciliation.status != ReconciliationStatus.AWAITING_VERIFICATION:
        raise ApplicationError("The reconciliation is not waiting for verification.")
    if reconciliation.performed_by_id == actor.pk:
        raise ApplicationError(
            SAME_PERSON_VERIFY, field_errors={"verified_by": ["Ask another pharmacist to verify."]}
        )
    # Marked first: verifying the task runs this app's task handler, which then
    # finds the reconciliation verified and does not come back here.
    reconciliation = _mark_verified(
        reconciliation, actor=actor, verifier=actor, when=timezone.now()
    )
    task = reconciliation.verification_task
    if task is not None and task.status == TaskStatus.AWAITING_VERIFICATION:
        task_verify(actor=actor, task=task)
    return reconciliation


def reconciliation_task_verified(*, actor: User, task: Task) -> MedicationReconciliation | None:
    """The verification task was verified from another door (My work, the tasks API):
    the reconciliation is verified with it, in the same transaction, or the task's
    verification is refused with the reconciliation's reason."""
    reconciliation = MedicationReconciliation.objects.filter(
        verification_task_id=task.pk, status=ReconciliationStatus.AWAITING_VERIFICATION
    ).first()
    if reconciliation is None:
        return None
    return reconciliation_verify(actor=actor, reconciliation=reconciliation)


def _mark_verified(
    reconciliation: MedicationReconciliation, *, actor: Actor, verifier: User, when: object
) -> MedicationReconciliation:
    record_change(
        actor=actor,
        instance=reconciliation,
        values={
            "status": ReconciliationStatus.VERIFIED,
            "verified_by": verifier,
            "verified_at": when,
        },
        patient_id=reconciliation.handoff.episode.patient_id,
        clean=False,
    )
    checklist_item_tick(
        actor=actor,
        handoff=reconciliation.handoff,
        code=ChecklistItemCode.RECONCILIATION_VERIFIED,
        when=when,
        done_by=verifier,
    )
    return reconciliation


RECONCILIATION_SYNC_JOB = "transitions.reconciliation_sync"


def reconciliation_sync_verified(*, actor: JobActor) -> int:
    """For the sweep, a safety net: reconciliations whose task is verified but which are not.

    Verifying the task from any door now verifies the reconciliation in the
    same transaction (apps.transitions.task_sources); this only catches rows
    left behind before that, and should find none. The job acts for the
    pharmacist who verified the task: the trail names both.
    """
    synced = 0
    waiting = MedicationReconciliation.objects.filter(
        status=ReconciliationStatus.AWAITING_VERIFICATION,
        verification_task__status=TaskStatus.DONE,
        verification_task__verified_by__isnull=False,
    ).values_list("pk", flat=True)
    for pk in waiting:
        with transaction.atomic():
            reconciliation = (
                MedicationReconciliation.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("verification_task__verified_by", "handoff__episode")
                .filter(pk=pk, status=ReconciliationStatus.AWAITING_VERIFICATION)
                .first()
            )
            task = reconciliation.verification_task if reconciliation else None
            verifier = task.verified_by if task else None
            if reconciliation is None or task is None or verifier is None:
                continue
            _mark_verified(
                reconciliation,
                actor=actor.acting_for(verifier),
                verifier=verifier,
                when=task.verified_at,
            )
            synced += 1
    return synced
