"""Reading transitions: access-checked and audited, with pinned query counts."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from django.db.models import Model, Prefetch, QuerySet
from django.utils import timezone

from apps.accounts.models import Organisation, Role, User
from apps.accounts.selectors import organisation_closure_dates, organisation_closures_loaded
from apps.core.audit import audit_record
from apps.core.exceptions import ApplicationError, NotFoundError
from apps.core.lookups import one_or_not_found
from apps.core.models import AuditAction
from apps.patients.models import Patient, PatientComplexity
from apps.patients.permissions import can_read_patient_record, visible_patients
from apps.tasks.models import OPEN_STATUSES, Task, task_is_overdue
from apps.teams.models import TeamMembership
from apps.teams.selectors import team_lead
from apps.transitions.models import (
    FOLLOW_UP_PROBLEM_STATUSES,
    ChecklistItem,
    Episode,
    FollowUp,
    Handoff,
    HandoffKind,
    MedicationLine,
    MedicationReconciliation,
    OwnerRule,
    TransitionSettings,
)
from apps.transitions.process import ProcessMeasures, process_measures
from apps.transitions.risk import ChainRisk, chain_risk

M = TypeVar("M", bound=Model)

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


def _audit_list(
    user: User, model: type[Model], patient_ids: Iterable[int], *, view: str = ""
) -> None:
    """A list read: which patients' rows the user was shown (each once), and on which page."""
    audit_record(
        actor=user,
        action=AuditAction.LIST,
        object_type=model,
        patient_ids=sorted(set(patient_ids)),
        detail={"view": view} if view else None,
    )


def transition_settings_for(organisation: Organisation | int) -> TransitionSettings:
    """The organisation's settings, created with the documented defaults on first use.

    No statement when `organisation` comes with its settings loaded (read with it by
    `select_related("transition_settings")` in the caller's transaction)."""
    if isinstance(organisation, Organisation) and Organisation.transition_settings.is_cached(
        organisation
    ):
        loaded = Organisation.transition_settings.related.get_cached_value(organisation)
        if loaded is not None:
            return loaded  # type: ignore[return-value]
    organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    found = (
        TransitionSettings.objects.select_related("organisation")
        .filter(organisation_id=organisation_id)
        .first()
    )
    if found is None:
        found, _ = TransitionSettings.objects.get_or_create(organisation_id=organisation_id)
    return found


# What a discharge reads about its patient besides the patient's row: the complexity
# flag (the visit's due day), the organisation's settings (due days, watch window) and
# its closure days (the contact's business days).
DISCHARGE_READS = ("complexity", "organisation__transition_settings")
_CLOSURES = "discharge_closure_dates"


def with_discharge_reads(
    rows: QuerySet[M], *, patient_path: str, organisation_id: int
) -> QuerySet[M]:
    """`rows`, which hold the patient at `patient_path`, also loading what a discharge reads
    about that patient, for a caller that reads and locks the patient anyway (ADT intake's
    match): the discharge then takes them from the patient (`discharge_reads_loaded`)
    instead of with statements of its own."""
    # Of the complexity row only its flag: the rest (evidence, JSON) is for the chart.
    evidence = (
        f"{patient_path}__complexity__{field.name}"
        for field in PatientComplexity._meta.concrete_fields
        if field.name not in ("patient", "is_complex")
    )
    rows = rows.select_related(*(f"{patient_path}__{path}" for path in DISCHARGE_READS)).defer(
        *evidence
    )
    closures = organisation_closure_dates(organisation_id)
    return rows if closures is None else rows.annotate(**{_CLOSURES: closures})


def discharge_reads_loaded(patient: Patient, row: Model, *, organisation_id: int) -> Patient:
    """The patient of a row read `with_discharge_reads(organisation_id=...)`, with the
    closures of that organisation kept on the patient's (the same one)."""
    dates = getattr(row, _CLOSURES, None)
    if dates is not None and patient.organisation_id == organisation_id:
        organisation_closures_loaded(patient.organisation, dates)
    return patient


def transition_settings_for_patient(patient: Patient) -> TransitionSettings:
    """`transition_settings_for` the patient's organisation, loaded with the patient or read."""
    if Patient.organisation.is_cached(patient):
        return transition_settings_for(patient.organisation)
    return transition_settings_for(patient.organisation_id)


def follow_up_owner(*, patient: Patient) -> tuple[User | None, str]:
    """The accountable owner for a patient's follow-up work, and the rule that chose them."""
    lead = team_lead(team_id=patient.care_team_id)
    if lead is not None:
        return lead.user, OwnerRule.LEAD
    members = {
        member.role: member
        for member in TeamMembership.objects.live()
        .filter(team_id=patient.care_team_id, role__in=FALLBACK_OWNER_ROLES)
        .select_related("user")
        .order_by("-created_at", "-id")
    }
    for role in FALLBACK_OWNER_ROLES:
        if role in members:
            return members[role].user, OwnerRule.FALLBACK
    return None, OwnerRule.NONE


def organisation_admins(*, organisation_id: int) -> list[User]:
    """The organisation's active administrators (Django admin staff), who fix its teams."""
    return list(
        User.objects.filter(
            organisation_id=organisation_id, is_active=True, is_staff=True, is_interface=False
        ).order_by("pk")
    )


def follow_up_problems_for_user(*, user: User, limit: int = 50) -> list[FollowUp]:
    """Follow-ups on the user's teams that wait for a fix (no owner, or an error), oldest
    first, whatever the date of their discharge: the board shows them above its table."""
    problems = list(
        FollowUp.objects.filter(
            status__in=FOLLOW_UP_PROBLEM_STATUSES,
            episode__patient__in=visible_patients(user),
        )
        .select_related("episode__patient", "episode__patient__care_team", "handoff")
        .order_by("created_at", "id")[:limit]
    )
    if problems:
        _audit_list(
            user,
            FollowUp,
            (follow_up.episode.patient_id for follow_up in problems),
            view="follow_up_problems",
        )
    return problems


def follow_up_problem_counts(*, team_ids: list[int]) -> int:
    """How many follow-ups of these teams' patients wait for a fix (ids only, no PHI)."""
    return FollowUp.objects.filter(
        status__in=FOLLOW_UP_PROBLEM_STATUSES, episode__patient__care_team_id__in=team_ids
    ).count()


def verification_owner(*, patient: Patient, performer: User) -> User | None:
    """A pharmacist on the patient's team other than the person who reconciled."""
    member = (
        TeamMembership.objects.live()
        .filter(team_id=patient.care_team_id, role=Role.PHARMACIST)
        .exclude(user_id=performer.pk)
        .select_related("user")
        .order_by("created_at", "id")
        .first()
    )
    return member.user if member else None


def _handoff_queryset() -> QuerySet[Handoff]:
    return (
        Handoff.objects.select_related(
            "reconciliation",
            "reconciliation__performed_by",
            "reconciliation__verified_by",
            "reconciliation__verification_task",
            "reconciliation__verification_task__owner",
            "follow_up",
            "follow_up__contact_task",
            "follow_up__contact_task__owner",
            "follow_up__contact_task__follow_up_contact__performed_by",
            "follow_up__visit_task",
            "follow_up__visit_task__owner",
            "follow_up__visit_task__follow_up_contact__performed_by",
        )
        .prefetch_related(
            Prefetch(
                "checklist",
                queryset=ChecklistItem.objects.select_related("done_by").order_by("id"),
            ),
            Prefetch(
                "reconciliation__lines", queryset=MedicationLine.objects.order_by("name", "id")
            ),
        )
        .order_by("sequence")
    )


def _episode_queryset() -> QuerySet[Episode]:
    return Episode.objects.select_related(
        "patient", "patient__care_team", "readmission_of"
    ).prefetch_related(Prefetch("handoffs", queryset=_handoff_queryset()))


def episode_get_for_user(*, user: User, episode_id: int | str) -> Episode:
    """The episode with its chain, if the user may see the patient; audited as a read."""
    episode = one_or_not_found(
        _episode_queryset().filter(patient__in=visible_patients(user)), episode_id, noun="episode"
    )
    audit_record(
        actor=user,
        action=AuditAction.VIEW,
        object_type=Episode,
        object_id=episode.pk,
        patient_id=episode.patient_id,
    )
    return episode


def handoff_get_for_user(*, user: User, handoff_id: int | str) -> Handoff:
    handoffs = Handoff.objects.select_related("episode", "episode__patient").filter(
        episode__patient__in=visible_patients(user)
    )
    return one_or_not_found(handoffs, handoff_id, noun="handoff")


def checklist_item_get_for_user(*, user: User, item_id: int | str) -> ChecklistItem:
    items = ChecklistItem.objects.select_related("handoff", "handoff__episode__patient").filter(
        handoff__episode__patient__in=visible_patients(user)
    )
    return one_or_not_found(items, item_id, noun="checklist item")


def reconciliation_for_handoff(*, handoff: Handoff) -> MedicationReconciliation | None:
    return (
        MedicationReconciliation.objects.select_related(
            "performed_by", "verified_by", "verification_task", "verification_task__owner"
        )
        .prefetch_related(Prefetch("lines", queryset=MedicationLine.objects.order_by("name", "id")))
        .filter(handoff=handoff)
        .first()
    )


def reconciliation_get_for_user(
    *, user: User, handoff_id: int | str
) -> tuple[Handoff, MedicationReconciliation]:
    """A discharge the user may see and its reconciliation; refused (400) before it is started."""
    handoff = handoff_get_for_user(user=user, handoff_id=handoff_id)
    reconciliation = reconciliation_for_handoff(handoff=handoff)
    if reconciliation is None:
        raise ApplicationError("Start the reconciliation first.")
    return handoff, reconciliation


def medication_line_get_for_user(*, user: User, line_id: int | str) -> MedicationLine:
    lines = MedicationLine.objects.select_related(
        "reconciliation", "reconciliation__handoff__episode__patient"
    ).filter(reconciliation__handoff__episode__patient__in=visible_patients(user))
    return one_or_not_found(lines, line_id, noun="medication")


def episode_list_for_user(*, user: User, status: str = "", limit: int = 100) -> list[Episode]:
    """The user's teams' episodes, newest first, with their chains; audited as a list."""
    episodes = _episode_queryset().filter(patient__in=visible_patients(user))
    if status:
        episodes = episodes.filter(status=status)
    rows = list(episodes.order_by("-started_at", "-id")[:limit])
    _audit_list(user, Episode, (episode.patient_id for episode in rows))
    return rows


def patient_episodes(*, user: User, patient: Patient) -> list[Episode]:
    """One patient's episodes for the chart section (the caller audited the chart read)."""
    # The chart's own rule (team or live break-the-glass): under emergency access the
    # section loads like every other one instead of staying "Loading…".
    if not can_read_patient_record(user, patient):
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

    @property
    def next_task(self) -> Task | None:
        """The follow-up task that falls due first among the open ones."""
        if self.follow_up is None:
            return None
        open_tasks = [
            task
            for task in (self.follow_up.contact_task, self.follow_up.visit_task)
            if task is not None and task.status in OPEN_STATUSES
        ]
        return min(open_tasks, key=lambda task: task.due_at) if open_tasks else None


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
        .select_related(
            "episode",
            "episode__patient",
            "episode__patient__care_team",
            "follow_up",
            "follow_up__contact_task",
            "follow_up__contact_task__owner",
            "follow_up__visit_task",
            "follow_up__visit_task__owner",
        )
        .prefetch_related(Prefetch("checklist", queryset=ChecklistItem.objects.order_by("id")))
        .order_by("-occurred_at", "-id")
    )
    rows = []
    for handoff in discharges:
        follow_up = _follow_up_of(handoff)
        row = BoardRow(
            handoff=handoff,
            episode=handoff.episode,
            patient=handoff.episode.patient,
            follow_up=follow_up,
            missing=[
                str(item.get_code_display()) for item in handoff.checklist.all() if not item.done_at
            ],
        )
        if follow_up is not None:
            row.contact_overdue = _overdue(follow_up.contact_task, now)
            row.visit_overdue = _overdue(follow_up.visit_task, now)
        rows.append(row)
    _audit_list(user, Episode, (row.patient.pk for row in rows), view="transitions_board")
    return rows


def _overdue(task: Task | None, now: datetime) -> bool:
    return task is not None and task_is_overdue(status=task.status, due_at=task.due_at, now=now)


def _follow_up_of(handoff: Handoff) -> FollowUp | None:
    try:
        return handoff.follow_up
    except FollowUp.DoesNotExist:
        return None


def _reconciliation_of(handoff: Handoff) -> MedicationReconciliation | None:
    try:
        return handoff.reconciliation
    except MedicationReconciliation.DoesNotExist:
        return None


def chain_of(handoffs: list[Handoff]) -> list[str]:
    """The settings the patient passed through, e.g. Home -> Hospital -> SNF -> Home."""
    live = [handoff for handoff in handoffs if handoff.cancelled_at is None]
    if not live:
        return []
    labels = [live[0].get_from_setting_display()]
    for handoff in live:
        label = handoff.get_to_setting_display()
        if label != labels[-1]:
            labels.append(label)
    return [str(label) for label in labels]


@dataclass
class DischargeView:
    handoff: Handoff
    checklist: list[ChecklistItem]
    follow_up: FollowUp | None
    reconciliation: MedicationReconciliation | None
    measures: ProcessMeasures


@dataclass
class EpisodeView:
    episode: Episode
    handoffs: list[Handoff]
    chain: list[str]
    discharges: list[DischargeView]
    risk: ChainRisk

    @property
    def last_discharge(self) -> DischargeView | None:
        live = [view for view in self.discharges if view.handoff.cancelled_at is None]
        return live[-1] if live else None


def episode_view(
    episode: Episode, *, config: TransitionSettings, now: datetime | None = None
) -> EpisodeView:
    """Everything the episode page and list show, from the prefetched chain (no queries)."""
    handoffs = list(episode.handoffs.all())
    discharges = []
    for handoff in handoffs:
        if handoff.kind != HandoffKind.DISCHARGE:
            continue
        follow_up = _follow_up_of(handoff)
        discharges.append(
            DischargeView(
                handoff=handoff,
                checklist=list(handoff.checklist.all()),
                follow_up=follow_up,
                reconciliation=_reconciliation_of(handoff),
                measures=process_measures(follow_up, handoff, now),
            )
        )
    return EpisodeView(
        episode=episode,
        handoffs=handoffs,
        chain=chain_of(handoffs),
        discharges=discharges,
        risk=chain_risk(handoffs, config),
    )


def episode_views_for_user(
    *, user: User, status: str = "", limit: int = 100, now: datetime | None = None
) -> list[EpisodeView]:
    """The episode list with chain, risk and process measures; a fixed number of queries."""
    episodes = episode_list_for_user(user=user, status=status, limit=limit)
    configs: dict[int, TransitionSettings] = {}
    views = []
    for episode in episodes:
        organisation_id = episode.patient.organisation_id
        if organisation_id not in configs:
            configs[organisation_id] = transition_settings_for(organisation_id)
        views.append(episode_view(episode, config=configs[organisation_id], now=now))
    return views


def follow_up_get_for_user(*, user: User, follow_up_id: int | str) -> FollowUp:
    follow_ups = FollowUp.objects.select_related(
        "episode__patient", "handoff", "contact_task", "visit_task"
    ).filter(episode__patient__in=visible_patients(user))
    return one_or_not_found(follow_ups, follow_up_id, noun="follow-up")


def discharge_view_for_user(
    *, user: User, handoff_id: int | str, now: datetime | None = None
) -> DischargeView:
    """One discharge as the episode page shows it, for redrawing its sections."""
    discharges = (
        _handoff_queryset()
        .select_related("episode", "episode__patient")
        .filter(kind=HandoffKind.DISCHARGE, episode__patient__in=visible_patients(user))
    )
    handoff = one_or_not_found(discharges, handoff_id, noun="handoff")
    follow_up = _follow_up_of(handoff)
    return DischargeView(
        handoff=handoff,
        checklist=list(handoff.checklist.all()),
        follow_up=follow_up,
        reconciliation=_reconciliation_of(handoff),
        measures=process_measures(follow_up, handoff, now),
    )
