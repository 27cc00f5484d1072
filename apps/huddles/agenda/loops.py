"""Agenda source over closed-loop referrals: loops past their state's time limit."""

from django.db.models import BooleanField, ExpressionWrapper
from django.utils import timezone

from apps.core.audit import object_type_of
from apps.huddles.agenda.base import AgendaContext, Candidate, Evidence
from apps.huddles.models import ItemSource
from apps.referrals.models import (
    Referral,
    ReferralState,
    ReferralUrgency,
    escalation_due_condition,
)

REFERRAL = object_type_of(Referral)
STATE_LABELS = dict(ReferralState.choices)
_URGENCY_BONUS: dict[str, int] = {ReferralUrgency.ASAP: 10, ReferralUrgency.URGENT: 5}
LOOP_URGENCY_CAP = 84


def overdue_referrals(context: AgendaContext) -> list[Candidate]:
    """Each open referral whose current state has run past its time limit."""
    rows = (
        Referral.objects.overdue(context.now)
        .filter(patient__care_team_id=context.team_id, patient__is_active=True)
        .annotate(
            escalated=ExpressionWrapper(
                escalation_due_condition(context.now), output_field=BooleanField()
            )
        )
        .values(
            "pk",
            "patient_id",
            "state",
            "urgency",
            "state_entered_at",
            "remind_at",
            "service__name",
            "specialist_name",
            "owner__first_name",
            "owner__last_name",
            "owner__username",
            "escalated",
        )
    )
    candidates = []
    for row in rows:
        limit_passed = row["remind_at"] or context.now
        days_over = max(0, (context.now - limit_passed).days)
        escalated = row["escalated"]
        urgency = 55 + min(days_over, 15) + _URGENCY_BONUS.get(row["urgency"], 0)
        urgency += 10 if escalated else 0
        target = row["specialist_name"] or row["service__name"]
        state = str(STATE_LABELS.get(row["state"], row["state"]))
        owner = (
            f"{row['owner__first_name']} {row['owner__last_name']}".strip()
            or row["owner__username"]
            or "nobody"
        )
        in_state = timezone.localtime(row["state_entered_at"])
        candidates.append(
            Candidate.about(
                ItemSource.REFERRAL_OVERDUE,
                f"r{row['pk']}",
                patient_id=row["patient_id"],
                title=f"Referral to {target} stuck in '{state.lower()}'",
                urgency=min(urgency, LOOP_URGENCY_CAP),
                evidence=[
                    Evidence(
                        "Referral",
                        f"{state} since {in_state:%Y-%m-%d}, owner {owner}",
                        REFERRAL,
                        row["pk"],
                    ),
                    Evidence(
                        "Time limit",
                        f"passed {days_over} day{'s' if days_over != 1 else ''} ago"
                        + ("; escalation due" if escalated else ""),
                    ),
                ],
            )
        )
    return candidates
