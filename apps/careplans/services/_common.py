"""What every care plan write shares: the plan lock, the version record, the audit event."""

from datetime import date, datetime, time
from typing import Any

from django.db import models
from django.utils import timezone

from apps.accounts.models import User
from apps.careplans.models import CarePlan, CarePlanStatus, CarePlanVersion
from apps.careplans.snapshots import plan_snapshot, snapshot_fingerprint
from apps.core.audit import audit_record, object_type_of
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.teams.selectors import membership_active

# An intervention due on a day is due by the end of that working day.
DUE_TIME = time(17, 0)


def due_at_for(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, DUE_TIME))


def lock_plan(plan_id: int) -> CarePlan:
    """The plan row, locked: writes to one plan happen one at a time, so versions never race."""
    plan = (
        CarePlan.objects.select_for_update(of=("self",)).select_related("patient").get(pk=plan_id)
    )
    if not plan.is_open:
        raise ApplicationError("This care plan is retired. Start a new plan to make changes.")
    return plan


def owner_on_team(*, plan: CarePlan, user: User | None, field: str) -> User:
    if (
        user is None
        or membership_active(team_id=plan.patient.care_team_id, user_id=user.pk) is None
    ):
        raise ApplicationError(
            "The owner must be a person on the patient's care team.",
            field_errors={field: ["Choose a current member of the patient's care team."]},
        )
    return user


def text_or_error(errors: dict[str, list[str]], name: str, value: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        errors.setdefault(name, []).append(message)
    return value


def date_not_past_or_error(errors: dict[str, list[str]], name: str, value: date | None) -> None:
    if value is not None and value < timezone.localdate():
        errors.setdefault(name, []).append("Choose today or a later date.")


def raise_if(errors: dict[str, list[str]], message: str) -> None:
    if errors:
        raise ApplicationError(message, field_errors=errors)


def audit(
    *,
    actor: User | None,
    action: AuditAction,
    obj: models.Model,
    plan: CarePlan,
    detail: dict[str, Any] | None = None,
) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type=object_type_of(obj),
        object_id=obj.pk,
        patient_id=plan.patient_id,
        detail={"care_plan_id": plan.pk, **(detail or {})},
    )


def latest_version(plan: CarePlan) -> CarePlanVersion | None:
    return plan.versions.order_by("-number").first()


def create_version(
    *, plan: CarePlan, actor: User | None, summary: str, snapshot: dict[str, Any], fingerprint: str
) -> CarePlanVersion:
    plan.version_count += 1
    return CarePlanVersion.objects.create(
        plan=plan,
        number=plan.version_count,
        created_by=actor,
        summary=summary[:200],
        snapshot=snapshot,
        fingerprint=fingerprint,
    )


def record_version(*, plan: CarePlan, actor: User | None, summary: str) -> CarePlanVersion | None:
    """Keeps the plan as it now stands as the next version, unless nothing changed.

    A change to a signed plan makes it "revised" and starts the unsigned clock.
    Call it with the plan locked (lock_plan) and after the change is saved.
    """
    snapshot = plan_snapshot(plan)
    fingerprint = snapshot_fingerprint(snapshot)
    previous = latest_version(plan)
    if previous is not None and previous.fingerprint == fingerprint:
        return None
    version = create_version(
        plan=plan, actor=actor, summary=summary, snapshot=snapshot, fingerprint=fingerprint
    )
    fields = ["version_count", "updated_at"]
    if plan.status == CarePlanStatus.ACTIVE:
        plan.status = CarePlanStatus.REVISED
        fields.append("status")
    if plan.unsigned_since is None:
        plan.unsigned_since = timezone.now()
        fields.append("unsigned_since")
    plan.save(update_fields=fields)
    return version
