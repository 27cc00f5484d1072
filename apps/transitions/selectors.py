"""Reading transitions: access-checked and audited, with pinned query counts."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from apps.accounts.models import Organisation, Role, User
from apps.core.audit import audit_record
from apps.core.exceptions import NotFoundError
from apps.core.models import AuditAction
from apps.patients.models import Patient
from apps.patients.permissions import visible_patients
from apps.tasks.models import OPEN_STATUSES
from apps.teams.models import TeamMembership
from apps.teams.selectors import team_lead
from apps.transitions.models import (
    ChecklistItem,
    Episode,
    EpisodeStatus,
    FollowUp,
    Handoff,
    HandoffKind,
    MedicationLine,
    MedicationReconciliation,
    OwnerRule,
    TransitionSettings,
)

EPISODE = "transitions.episode"

# Who owns follow-up work when the team has no lead coordinator: the longest-
# serving member in the first of these roles that has one (all of them hold
# manage_tasks). The fallback is shown on the board so the gap gets fixed.
FALLBACK_OWNER_ROLES = (
    Role.RN_CARE_COORDINATOR,
    Role.CASE_MANAGER,
    Role.NAVIGATOR,
    Role.SOCIAL_WORKER,
    Role.CHW,
)


def transition_settings_for(organisation: Organisation | int) -> TransitionSettings:
    """The organisation's settings, created with the documented defaults on first use."""
    organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    found, _ = TransitionSettings.objects.get_or_create(organisation_id=organisation_id)
    return found


def follow_up_owner(*, patient: Patient) -> tuple[User | None, str]:
    """The accountable owner for a patient's follow-up work, and the rule that chose them."""
    lead = team_lead(team_id=patient.care_team_id)
    if lead is not None:
        return lead.user, OwnerRule.LEAD
    members = {
        member.role: member
        for member in TeamMembership.objects.filter(
            team_id=patient.care_team_id,
            ended_at__isnull=True,
            role__in=FALLBACK_OWNER_ROLES,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("-created_at", "-id")
    }
    for role in FALLBACK_OWNER_ROLES:
        if role in members:
            return members[role].user, OwnerRule.FALLBACK
    return None, OwnerRule.NONE


def verification_owner(*, patient: Patient, performer: User) -> User | None:
    """A pharmacist on the patient's team other than the person who reconciled."""
    member = (
        TeamMembership.objects.filter(
            team_id=patient.care_team_id,
            ended_at__isnull=True,
            role=Role.PHARMACIST,
            user__is_active=True,
        )
        .exclude(user_id=performer.pk)
        .select_related("user")
        .order_by("created_at", "id")
        .first()
    )
    return member.user if member else None


def _episode_queryset() -> QuerySet[Episode]:
    return Episode.objects.select_related("patient", "patient__care_team").prefetch_related(
        Prefetch(
            "handoffs",
            queryset=Handoff.objects.prefetch_related("checklist").order_by("sequence"),
        ),
        Prefetch(
            "follow_ups",
            queryset=FollowUp.objects.select_related(
                "contact_task", "visit_task", "contact_task__owner", "visit_task__owner"
            ),
        ),
    )


def episode_get_for_user(*, user: User, episode_id: int | str) -> Episode:
    """The episode with its chain, if the user may see the patient; audited as a read."""
    try:
        pk = int(episode_id)
    except (TypeError, ValueError) as error:
        raise NotFoundError("No such episode.") from error
    episode = _episode_queryset().filter(pk=pk, patient__in=visible_patients(user)).first()
    if episode is None:
        raise NotFoundError("No such episode.")
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        object_type=EPISODE,
        object_id=episode.pk,
        patient_id=episode.patient_id,
    )
    return episode


def handoff_get_for_user(*, user: User, handoff_id: int | str) -> Handoff:
    try:
        pk = int(handoff_id)
    except (TypeError, ValueError) as error:
        raise NotFoundError("No such handoff.") from error
    handoff = (
        Handoff.objects.select_related("episode", "episode__patient")
        .filter(pk=pk, episode__patient__in=visible_patients(user))
        .first()
    )
    if handoff is None:
        raise NotFoundError("No such handoff.")
    return handoff


def checklist_item_get_for_user(*, user: User, item_id: int | str) -> ChecklistItem:
    try:
        pk = int(item_id)
    except (TypeError, ValueError) as error:
        raise NotFoundError("No such checklist item.") from error
    item = (
        ChecklistItem.objects.select_related("handoff", "handoff__episode__patient")
        .filter(pk=pk, handoff__episode__patient__in=visible_patients(user))
        .first()
    )
    if item is None:
        raise NotFoundError("No such checklist item.")
    return item


def reconciliation_for_handoff(*, handoff: Handoff) -> MedicationReconciliation | None:
    return (
        MedicationReconciliation.objects.select_related(
            "performed_by", "verified_by", "verification_task", "verification_task__owner"
        )
        .prefetch_related(Prefetch("lines", queryset=MedicationLine.objects.order_by("name", "id")))
        .filter(handoff=handoff)
        .first()
    )


def medication_line_get_for_user(*, user: User, line_id: int | str) -> MedicationLine:
    try:
        pk = int(line_id)
    except (TypeError, ValueError) as error:
        raise NotFoundError("No such medication.") from error
    line = (
        MedicationLine.objects.select_related(
            "reconciliation", "reconciliation__handoff__episode__patient"
        )
        .filter(pk=pk, reconciliation__handoff__episode__patient__in=visible_patients(user))
        .first()
    )
    if line is None:
        raise NotFoundError("No such medication.")
    return line


def episode_list_for_user(*, user: User, status: str = "", limit: int = 100) -> list[Episode]:
    """The user's teams' episodes, newest first, with their chains; audited as a list."""
    episodes = _episode_queryset().filter(patient__in=visible_patients(user))
    if status:
        episodes = episodes.filter(status=status)
    rows = list(episodes.order_by("-started_at", "-id")[:limit])
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        object_type=EPISODE,
        patient_ids=sorted({episode.patient_id for episode in rows}),
    )
    return rows


def patient_episodes(*, user: User, patient: Patient) -> list[Episode]:
    """One patient's episodes for the chart section (the caller audited the chart read)."""
    if not visible_patients(user).filter(pk=patient.pk).exists():
        raise NotFoundError("No such patient.")
    return list(_episode_queryset().filter(patient=patient).order_by("-started_at", "-id")[:10])


@dataclass
class BoardRow:
    handoff: Handoff
    episode: Episode
    patient: Patient
    follow_up: FollowUp | None
    missing: list[str] = field(default_factory=list)
    contact_overdue: bool = False
    visit_overdue: bool = False


def transitions_board_for_user(
    *, user: User, days: int = 30, now: datetime | None = None
) -> list[BoardRow]:
    """Discharges of the last `days` days on the user's teams: who, what is missing, what is due.

    A fixed number of queries whatever the number of rows.
    """
    now = now or timezone.now()
    discharges = list(
        Handoff.objects.filter(
            kind=HandoffKind.DISCHARGE,
            cancelled_at__isnull=True,
            occurred_at__gte=now - timedelta(days=days),
            episode__patient__in=visible_patients(user),
        )
        .select_related("episode", "episode__patient", "episode__patient__care_team")
        .prefetch_related(
            "checklist",
            Prefetch(
                "follow_up",
                queryset=FollowUp.objects.select_related(
                    "contact_task", "visit_task", "contact_task__owner", "visit_task__owner"
                ),
            ),
        )
        .order_by("-occurred_at", "-id")
    )
    rows = []
    for handoff in discharges:
        follow_up = getattr(handoff, "follow_up", None) if _has_follow_up(handoff) else None
        row = BoardRow(
            handoff=handoff,
            episode=handoff.episode,
            patient=handoff.episode.patient,
            follow_up=follow_up,
            missing=[
                item.get_code_display() for item in handoff.checklist.all() if not item.done_at
            ],
        )
        if follow_up is not None:
            row.contact_overdue = _overdue(follow_up.contact_task, now)
            row.visit_overdue = _overdue(follow_up.visit_task, now)
        rows.append(row)
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        object_type=EPISODE,
        patient_ids=sorted({row.patient.pk for row in rows}),
        detail={"view": "transitions_board"},
    )
    return rows


def _has_follow_up(handoff: Handoff) -> bool:
    try:
        handoff.follow_up  # noqa: B018 - prefetched; raises when there is none
    except FollowUp.DoesNotExist:
        return False
    return True


def _overdue(task: object, now: datetime) -> bool:
    return bool(
        task is not None
        and getattr(task, "status", None) in OPEN_STATUSES
        and getattr(task, "due_at", now) < now
    )


def readmitted_episode_ids(*, patient_ids: list[int]) -> set[int]:
    return set(
        Episode.objects.filter(patient_id__in=patient_ids, readmitted_at__isnull=False).values_list(
            "pk", flat=True
        )
    )


def open_episode_statuses() -> tuple[str, ...]:
    return (EpisodeStatus.IN_CARE, EpisodeStatus.IN_TRANSIT, EpisodeStatus.FOLLOW_UP)
