"""What every care plan write shares: the plan lock, the version record, the audit event."""

import functools
from collections.abc import Callable
from contextvars import ContextVar
from datetime import date, datetime, time
from typing import Any, ParamSpec, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone

from apps.accounts.models import Actor, User
from apps.careplans.models import CarePlan, CarePlanStatus, CarePlanVersion
from apps.careplans.snapshots import plan_snapshot, snapshot_fingerprint
from apps.core.actors import person_behind
from apps.core.audit import audit_record, object_type_of
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction
from apps.core.transactions import in_one_transaction
from apps.teams.selectors import live_member_validate

# An intervention due on a day is due by the end of that working day.
DUE_TIME = time(17, 0)

P = ParamSpec("P")
R = TypeVar("R")
# True while a care plan service runs: the task changes it makes (a reassignment, a
# cancellation) belong to the version that service records, under its own summary.
_plan_service_running: ContextVar[bool] = ContextVar("care_plan_service_running", default=False)


def plan_service(func: Callable[P, R]) -> Callable[P, R]:
    """A care plan write: one transaction, and its task changes versioned by the service itself."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        token = _plan_service_running.set(True)
        try:
            with transaction.atomic(savepoint=not in_one_transaction()):
                return func(*args, **kwargs)
        finally:
            _plan_service_running.reset(token)

    return run


def plan_service_running() -> bool:
    return _plan_service_running.get()


def due_at_for(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, DUE_TIME))


def person_of(actor: Actor) -> User:
    """The person doing a plan edit. Plan rights are held only by people, so a job has
    been refused by the permission check before this is asked."""
    if not isinstance(actor, User):
        raise PermissionDenied("A scheduled job does not edit care plans.")
    return actor


def lock_plan(plan_id: int) -> CarePlan:
    """The plan row, locked: writes to one plan happen one at a time, so versions never race."""
    plan = (
        CarePlan.objects.select_for_update(of=("self",)).select_related("patient").get(pk=plan_id)
    )
    if not plan.is_open:
        raise ApplicationError("This care plan is retired. Start a new plan to make changes.")
    return plan


def owner_on_team(*, plan: CarePlan, user: User | None, field: str) -> User:
    """Goal and intervention owners follow the one rule for who may own work (teams)."""
    return live_member_validate(team_id=plan.patient.care_team_id, user=user, field=field)


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
    actor: Actor,
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
    *, plan: CarePlan, actor: Actor, summary: str, snapshot: dict[str, Any], fingerprint: str
) -> CarePlanVersion:
    """The next version; a job's version names the person it acted for (or no one)."""
    plan.version_count += 1
    return CarePlanVersion.objects.create(
        plan=plan,
        number=plan.version_count,
        created_by=person_behind(actor),
        summary=summary[:200],
        snapshot=snapshot,
        fingerprint=fingerprint,
    )


def record_version(*, plan: CarePlan, actor: Actor, summary: str) -> CarePlanVersion | None:
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
