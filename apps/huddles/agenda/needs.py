"""Agenda sources over the patient record: urgent social needs and newly complex patients."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from apps.core.audit import object_type_of
from apps.huddles.agenda.base import AgendaContext, Candidate, Evidence
from apps.huddles.models import AgendaItem, ItemSource, ItemStatus
from apps.patients import hrsn
from apps.patients.models import PatientComplexity, SdohScreen

SCREEN = object_type_of(SdohScreen)
COMPLEXITY = object_type_of(PatientComplexity)

# What each urgent need (apps.patients.hrsn.urgent_needs, the one triage rule) adds to the
# item's urgency.
NEED_URGENCY = {"housing": 6, "safety": 8, "food": 5, "utilities": 3}
NEED_HEADINGS = {"housing": "Housing", "safety": "Safety", "food": "Food", "utilities": "Utilities"}


def _urgent_screens(context: AgendaContext) -> QuerySet[SdohScreen]:
    newer = SdohScreen.objects.filter(patient_id=OuterRef("patient_id")).filter(
        Q(screened_on__gt=OuterRef("screened_on"))
        | Q(screened_on=OuterRef("screened_on"), pk__gt=OuterRef("pk"))
    )
    carried = context.carried_ids(ItemSource.URGENT_SOCIAL_NEED, "s")
    return (
        SdohScreen.objects.filter(
            patient__care_team_id=context.team_id,
            patient__is_active=True,
        )
        .urgent()
        .filter(Q(created_at__gte=context.since) | Q(pk__in=carried))
        # A later screen replaces this one: if it is no longer urgent, neither is the item.
        .exclude(Exists(newer))
    )


def urgent_social_needs(context: AgendaContext) -> list[Candidate]:
    """The triage queue: a newest screen showing an urgent need (hrsn.urgent_needs).

    New screens since the last huddle come up; one left unfinished comes back
    until a newer screen no longer shows the need.
    """
    rows = _urgent_screens(context).values(
        "pk",
        "patient_id",
        "screened_on",
        "living_situation",
        "safety_positive",
        "safety_score",
        "utilities",
        "food_ran_out",
    )
    candidates = []
    for row in rows:
        needs: list[Evidence] = []
        urgency = 85
        for need in hrsn.urgent_needs(row, safety_positive=row["safety_positive"]):
            text = hrsn.URGENT_LABELS[need]
            if need == "safety":
                text = f"Interpersonal safety score {row['safety_score']}"
            needs.append(Evidence(NEED_HEADINGS[need], text))
            urgency += NEED_URGENCY[need]
        names = ", ".join(entry.label.lower() for entry in needs)
        candidates.append(
            Candidate.about(
                ItemSource.URGENT_SOCIAL_NEED,
                f"s{row['pk']}",
                patient_id=row["patient_id"],
                title=f"Urgent social need: {names}",
                urgency=urgency,
                evidence=[
                    Evidence(
                        "Screen",
                        f"AHC HRSN screen of {row['screened_on']:%Y-%m-%d}",
                        SCREEN,
                        row["pk"],
                    ),
                    *needs,
                ],
            )
        )
    return candidates


def newly_complex(context: AgendaContext) -> list[Candidate]:
    """Patients whose complex-needs flag turned on since the last huddle.

    Each comes up once; after the team has discussed (or skipped) it, it
    returns only if the flag goes off and on again. Fresh evidence for a
    patient already flagged is not news.
    """
    carried = context.carried_ids(ItemSource.NEWLY_COMPLEX, "p")
    seen = AgendaItem.objects.filter(
        huddle__team_id=context.team_id,
        source=ItemSource.NEWLY_COMPLEX,
        patient_id=OuterRef("patient_id"),
        status__in=[ItemStatus.DISCUSSED, ItemStatus.SKIPPED],
        closed_at__gte=OuterRef("flagged_at"),
    )
    rows = (
        PatientComplexity.objects.filter(
            patient__care_team_id=context.team_id, patient__is_active=True, is_complex=True
        )
        .filter(Q(flagged_at__gte=context.since) | Q(patient_id__in=carried))
        .exclude(Exists(seen))
        .values("patient_id", "cci", "acute_events_12m", "reasons")
    )
    candidates = []
    for row in rows:
        reasons = row["reasons"] if isinstance(row["reasons"], dict) else {}
        evidence = [
            Evidence(
                domain.capitalize(),
                str((reasons.get(domain) or {}).get("text", "")),
                COMPLEXITY,
                row["patient_id"],
            )
            for domain in ("clinical", "utilization", "social")
        ]
        urgency = 35 + min(row["cci"], 10) + min(row["acute_events_12m"], 10)
        candidates.append(
            Candidate.about(
                ItemSource.NEWLY_COMPLEX,
                f"p{row['patient_id']}",
                patient_id=row["patient_id"],
                title=f"Newly flagged complex needs (Charlson {row['cci']})",
                urgency=urgency,
                evidence=evidence,
            )
        )
    return candidates
