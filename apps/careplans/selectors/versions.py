"""A plan's versions: the PCP's review of what changed since the last signature, the history."""

from dataclasses import dataclass

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.careplans import permissions
from apps.careplans.models import (
    CarePlan,
    CarePlanVersion,
)
from apps.careplans.selectors.plans import care_plan_open_for_user
from apps.careplans.snapshots import PlanDiff, plan_snapshot, snapshot_diff, snapshot_fingerprint
from apps.core.exceptions import NotFoundError


@dataclass
class CarePlanReview:
    """What a PCP sees before signing: the difference since the last signed version."""

    plan: CarePlan
    last_signed: CarePlanVersion | None
    diff: PlanDiff
    fingerprint: str
    can_sign: bool
    latest_number: int
    can_return: bool = False


def _last_signed_version(plan: CarePlan) -> CarePlanVersion | None:
    return (
        plan.versions.filter(signed_at__isnull=False)
        .select_related("signed_by")
        .order_by("-number")
        .first()
    )


def care_plan_review_for_user(*, user: User, patient_id: int | str) -> CarePlanReview:
    """The plan as it stands now against the last signed version (all added if never signed)."""
    plan = care_plan_open_for_user(user=user, patient_id=patient_id, what="review")
    return care_plan_review(user=user, plan=plan)


def care_plan_review(*, user: User, plan: CarePlan) -> CarePlanReview:
    """The review of a plan already loaded through an access-checked selector."""
    current = plan_snapshot(plan)
    last_signed = _last_signed_version(plan)
    return CarePlanReview(
        plan=plan,
        last_signed=last_signed,
        diff=snapshot_diff(last_signed.snapshot if last_signed else None, current),
        fingerprint=snapshot_fingerprint(current),
        can_sign=plan.is_open and permissions.can_sign_care_plan(user, plan.patient),
        latest_number=plan.version_count,
        can_return=plan.is_open and permissions.can_return_care_plan(user, plan.patient),
    )


def care_plan_history_for_user(
    *, user: User, patient_id: int | str
) -> tuple[CarePlan, list[CarePlanVersion]]:
    """The patient's current plan and all its versions, newest first."""
    plan = care_plan_open_for_user(user=user, patient_id=patient_id, what="versions")
    return plan, list(care_plan_versions(plan=plan))


def care_plan_versions(*, plan: CarePlan) -> QuerySet[CarePlanVersion]:
    """The versions of a plan loaded through an access-checked selector, newest first."""
    return (
        plan.versions.select_related("created_by", "signed_by")
        .defer("snapshot")
        .order_by("-number")
    )


def care_plan_version_get(*, plan: CarePlan, number: int | str) -> CarePlanVersion:
    try:
        wanted = int(number)
    except (TypeError, ValueError) as error:
        raise NotFoundError("No such version.") from error
    version = plan.versions.select_related("created_by", "signed_by").filter(number=wanted).first()
    if version is None:
        raise NotFoundError("No such version.")
    return version


def care_plan_version_diff(
    *, plan: CarePlan, from_number: int | None, to_number: int
) -> tuple[CarePlanVersion | None, CarePlanVersion, PlanDiff]:
    """The difference between two versions (from None: the version before `to_number`)."""
    after = care_plan_version_get(plan=plan, number=to_number)
    if from_number is None:
        before = plan.versions.filter(number__lt=after.number).order_by("-number").first()
    else:
        before = care_plan_version_get(plan=plan, number=from_number)
    return before, after, snapshot_diff(before.snapshot if before else None, after.snapshot)
