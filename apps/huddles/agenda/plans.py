"""Agenda source over care plans: plans due for a PCP's review or waiting for a signature."""

from apps.careplans.models import CarePlan
from apps.careplans.selectors import care_plans_due_for_review
from apps.core.audit import object_type_of
from apps.huddles.agenda.base import AgendaContext, Candidate, Evidence
from apps.huddles.models import ItemSource

CARE_PLAN = object_type_of(CarePlan)
# Plans due for review are read through the care plans app's own selector (its
# rule, its access check); it lists at most this many, the longest waiting first.
PLAN_LIMIT = 2_000


def plans_due_for_review(context: AgendaContext) -> list[Candidate]:
    """Each open plan of the team that needs a PCP: unsigned too long, review overdue,
    or a review requested after a transition of care."""
    if context.viewer is None:
        return []
    rows = care_plans_due_for_review(user=context.viewer, team_id=context.team_id, limit=PLAN_LIMIT)
    candidates = []
    for row in rows:
        waited = (context.now - row.waiting_since).days if row.waiting_since else 0
        requested = row.plan.review_requested_at is not None
        urgency = 30 + min(max(waited, 0), 20) + (15 if requested else 0)
        candidates.append(
            Candidate.about(
                ItemSource.CARE_PLAN_REVIEW,
                f"c{row.plan.pk}",
                patient_id=row.patient.pk,
                title="Care plan needs a PCP review"
                + (" after a transition of care" if requested else ""),
                urgency=urgency,
                evidence=[
                    Evidence("Care plan", reason, CARE_PLAN, row.plan.pk) for reason in row.reasons
                ],
            )
        )
    return candidates
