"""Agenda sources over transitions of care: discharges since the last huddle, readmissions."""

from collections import defaultdict

from django.db.models import Count, Q
from django.utils import timezone

from apps.core.audit import object_type_of
from apps.huddles.agenda.base import AgendaContext, Candidate, Evidence
from apps.huddles.models import ItemSource
from apps.transitions.models import (
    ChecklistItem,
    Episode,
    Handoff,
    HandoffKind,
    Setting,
)

HANDOFF = object_type_of(Handoff)
EPISODE = object_type_of(Episode)
SETTING_LABELS = dict(Setting.choices)


def _setting(code: str) -> str:
    return str(SETTING_LABELS.get(code, code or "unknown"))


def discharges(context: AgendaContext) -> list[Candidate]:
    """Each discharge since the last huddle (not cancelled), with its checklist's open steps.

    An unfinished one carries over while the discharge stands.
    """
    carried = context.carried_ids(ItemSource.DISCHARGE, "h")
    rows = (
        Handoff.objects.filter(
            kind=HandoffKind.DISCHARGE,
            cancelled_at__isnull=True,
            episode__patient__care_team_id=context.team_id,
            episode__patient__is_active=True,
        )
        .filter(Q(occurred_at__gte=context.since) | Q(pk__in=carried))
        .annotate(
            open_steps=Count("checklist", filter=Q(checklist__done_at__isnull=True)),
        )
        .values(
            "pk",
            "episode_id",
            "episode__patient_id",
            "occurred_at",
            "from_setting",
            "to_setting",
            "facility",
            "open_steps",
        )
    )
    candidates = []
    for row in rows:
        open_steps = row["open_steps"]
        when = timezone.localtime(row["occurred_at"])
        where = row["facility"] or _setting(row["from_setting"])
        candidates.append(
            Candidate.about(
                ItemSource.DISCHARGE,
                f"h{row['pk']}",
                patient_id=row["episode__patient_id"],
                title=f"Discharged from {where} to {_setting(row['to_setting']).lower()} "
                f"on {when:%Y-%m-%d}",
                urgency=72 + min(open_steps * 2, 12),
                evidence=[
                    Evidence(
                        "Discharge",
                        f"{when:%Y-%m-%d %H:%M} from {where} to {_setting(row['to_setting'])}",
                        HANDOFF,
                        row["pk"],
                    ),
                    Evidence(
                        "Checklist",
                        f"{open_steps} step{'s' if open_steps != 1 else ''} still open"
                        if open_steps
                        else "All steps done",
                    ),
                ],
            )
        )
    return candidates


def discharges_enrich(context: AgendaContext, candidates: list[Candidate]) -> None:
    """Names the open checklist steps of the discharges on the agenda (one query)."""
    by_handoff = {
        int(candidate.key.rsplit(":h", 1)[1]): candidate
        for candidate in candidates
        if candidate.key.rsplit(":h", 1)[-1].isdigit()
    }
    if not by_handoff:
        return
    open_steps: dict[int, list[str]] = defaultdict(list)
    for item in ChecklistItem.objects.filter(
        handoff_id__in=list(by_handoff), done_at__isnull=True
    ).order_by("handoff_id", "id"):
        open_steps[item.handoff_id].append(item.get_code_display())
    for handoff_id, candidate in by_handoff.items():
        for label in open_steps.get(handoff_id, []):
            candidate.evidence.append(Evidence("Open step", label))


def readmissions(context: AgendaContext) -> list[Candidate]:
    """Each readmission inside a watch window flagged since the last huddle."""
    carried = context.carried_ids(ItemSource.READMISSION, "e")
    rows = (
        Episode.objects.filter(
            readmission_of__isnull=False,
            readmission_of__readmitted_at__isnull=False,
            patient__care_team_id=context.team_id,
            patient__is_active=True,
        )
        .filter(Q(readmission_of__readmitted_at__gte=context.since) | Q(pk__in=carried))
        .values(
            "pk",
            "patient_id",
            "readmission_of_id",
            "readmission_of__readmitted_at",
            "readmission_of__watch_until",
        )
    )
    candidates = []
    for row in rows:
        readmitted = timezone.localtime(row["readmission_of__readmitted_at"])
        candidates.append(
            Candidate.about(
                ItemSource.READMISSION,
                f"e{row['pk']}",
                patient_id=row["patient_id"],
                title=f"Readmitted on {readmitted:%Y-%m-%d} within the watch window",
                urgency=82,
                evidence=[
                    Evidence(
                        "Readmission",
                        f"Admitted again on {readmitted:%Y-%m-%d %H:%M}",
                        EPISODE,
                        row["pk"],
                    ),
                    Evidence(
                        "Earlier episode",
                        "Discharge being watched for readmission",
                        EPISODE,
                        row["readmission_of_id"],
                    ),
                ],
            )
        )
    return candidates
