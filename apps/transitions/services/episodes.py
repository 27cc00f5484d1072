"""Recording transitions: admit, register, transfer, discharge, update and the cancels.

One set of services behind every door: HL7 ADT (apps.interop), the manual
entry form for phone and fax, the API and the admin. Each call locks the
patient's row so two messages for one patient apply one after the other.
Repeats are harmless: a discharge already recorded for a visit is returned
as it is, a cancel already applied is a no-op.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.accounts.models import Actor, User
from apps.core.actors import JobActor, person_behind
from apps.core.changes import record_change, record_create
from apps.core.exceptions import ApplicationError
from apps.core.rows import insert_rows
from apps.core.transactions import atomic_service
from apps.patients.models import Patient
from apps.tasks.models import Task, TaskPriority, TaskSource
from apps.tasks.services import task_cancel, task_create
from apps.transitions import permissions
from apps.transitions.dispositions import (
    FOLLOW_UP_SETTINGS,
    NON_STAY_CLASSES,
    setting_for_disposition,
)
from apps.transitions.models import (
    ChecklistItem,
    ChecklistItemCode,
    Episode,
    EpisodeStatus,
    FollowUp,
    FollowUpStatus,
    Handoff,
    HandoffKind,
    HandoffSource,
    Setting,
)
from apps.transitions.selectors import follow_up_owner, transition_settings_for_patient
from apps.transitions.services.deaths import transition_death
from apps.transitions.services.followups import (
    follow_up_plan,
    follow_up_reschedule,
    follow_up_undo,
)
from apps.transitions.services.plan_review import plan_review_request_for
from apps.transitions.states import EPISODE_STATES

# How far ahead of now a transition may be dated (clock skew between systems).
FUTURE_TOLERANCE = timedelta(hours=1)
STAY_KINDS = (HandoffKind.ADMISSION, HandoffKind.REGISTRATION)


@dataclass(frozen=True)
class VisitDetails:
    """What a transition says, whichever door it came through."""

    occurred_at: datetime
    facility: str = ""
    location: str = ""
    visit_number: str = ""
    patient_class: str = ""
    # Where the patient goes: blank derives it (from the disposition for a
    # discharge, the patient class or the episode's last discharge otherwise).
    setting: str = ""
    disposition: str = ""
    discharged_to: str = ""
    # PV1-44, for a discharge whose admission never reached us.
    admitted_at: datetime | None = None
    source: str = HandoffSource.MANUAL
    source_reference: str = ""
    note: str = ""
    # The message says the patient died (HL7 PID-30), and when (PID-29).
    deceased: bool = False
    died_at: datetime | None = None
    # False when `occurred_at` is only when the message was sent (no event or
    # discharge time in it): a repeat then never moves a recorded time.
    time_reported: bool = True

    @classmethod
    def entered_by_hand(cls, values: Mapping[str, Any]) -> "VisitDetails":
        """From the manual entry (the page's form or the API's input); blanks are left out."""
        return cls(
            occurred_at=values["occurred_at"],
            **{name: values[name] for name in HAND_ENTERED if values.get(name)},
        )


# What a person enters by hand for a phone or fax report, besides its time.
HAND_ENTERED = (
    "setting",
    "facility",
    "location",
    "visit_number",
    "disposition",
    "source",
    "source_reference",
    "note",
)


def _validate(visit: VisitDetails) -> None:
    errors: dict[str, list[str]] = {}
    if visit.occurred_at is None or timezone.is_naive(visit.occurred_at):
        errors["occurred_at"] = ["Give the date and time with a time zone."]
    elif visit.occurred_at > timezone.now() + FUTURE_TOLERANCE:
        errors["occurred_at"] = ["The transition cannot be in the future."]
    if visit.setting and visit.setting not in Setting.values:
        errors["setting"] = [f"'{visit.setting}' is not a setting."]
    if visit.source not in HandoffSource.values:
        errors["source"] = [f"'{visit.source}' is not a source."]
    if visit.admitted_at is not None and timezone.is_naive(visit.admitted_at):
        errors["admitted_at"] = ["Give the admission time with a time zone."]
    if errors:
        raise ApplicationError("The transition is not valid.", field_errors=errors)


_LOCK_HELD = "_locked_in_transaction"


def patient_lock_held(patient: Patient) -> Patient:
    """Says the caller read `patient` FOR UPDATE in the current transaction, as ADT
    intake does when it matches the message: the services below
    then take that row as locked instead of reading it again. Valid only until the
    transaction ends."""
    if connection.in_atomic_block:
        patient.__dict__[_LOCK_HELD] = connection.atomic_blocks[0]
    return patient


def _lock(patient: Patient) -> Patient:
    held = patient.__dict__.get(_LOCK_HELD)
    if held is not None and connection.atomic_blocks and held is connection.atomic_blocks[0]:
        return patient
    # Only the patient's row: the care team is read, not locked (a team-wide lock
    # would make every transition in the team wait for the one before).
    return (
        Patient.objects.select_for_update(of=("self",))
        .select_related("care_team")
        .get(pk=patient.pk)
    )


def _handoffs(patient: Patient) -> QuerySet[Handoff]:
    return Handoff.objects.filter(episode__patient=patient, cancelled_at__isnull=True)


def _open_episode(patient: Patient) -> Episode | None:
    return (
        Episode.objects.select_for_update()
        .filter(patient=patient, status__in=(EpisodeStatus.IN_CARE, EpisodeStatus.IN_TRANSIT))
        .order_by("-started_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class _ArrivalReads:
    repeat: Handoff | None  # this visit's stay of this kind, already recorded
    open_episode: Episode | None  # the one `_open_episode` finds
    watched: list[Episode]  # the patient's episodes in follow-up


def _arrival_reads(patient: Patient, *, kind: str, visit_number: str) -> _ArrivalReads:
    """What an admission or registration reads, in one statement: a live stay of this
    kind already recorded for the visit (a repeat), the open episode and the episodes in
    follow-up, those with their whole chains and all of them locked."""
    live = (EpisodeStatus.IN_CARE, EpisodeStatus.IN_TRANSIT, EpisodeStatus.FOLLOW_UP)
    wanted = Q(episode__status__in=live)
    if visit_number:
        wanted |= Q(kind=kind, visit_number=visit_number, cancelled_at__isnull=True)
    rows = list(
        Handoff.objects.filter(wanted, episode__patient=patient)
        .select_related("episode")
        .select_for_update(of=("episode",))
        .order_by("sequence", "id")
    )
    episodes: dict[int, Episode] = {}
    for handoff in rows:
        handoff.episode = episodes.setdefault(handoff.episode_id, handoff.episode)
    chains: dict[int, list[Handoff]] = {}
    for handoff in rows:
        chains.setdefault(handoff.episode_id, []).append(handoff)
    for episode_id, episode in episodes.items():
        if episode.status in live:  # every handoff of these came: the whole chain
            episode.__dict__["_chain"] = chains[episode_id]
    repeats = [
        handoff
        for handoff in rows
        if visit_number
        and handoff.kind == kind
        and handoff.visit_number == visit_number
        and handoff.cancelled_at is None
    ]
    open_episode = max(
        (e for e in episodes.values() if e.status in live and e.status != EpisodeStatus.FOLLOW_UP),
        key=lambda episode: (episode.started_at, episode.pk),
        default=None,
    )
    return _ArrivalReads(
        repeat=min(repeats, key=lambda handoff: handoff.pk, default=None),
        open_episode=open_episode,
        watched=[e for e in episodes.values() if e.status == EpisodeStatus.FOLLOW_UP],
    )


def _stay_for(patient: Patient, visit_number: str) -> Handoff | None:
    """The live admission or registration of this visit, else of the open episode; its
    episode comes with it, locked (one statement)."""
    stays = _handoffs(patient).filter(kind__in=STAY_KINDS)
    if visit_number:
        # The chains of the episodes holding a live stay of this visit (normally one),
        # each handoff once per such stay; a join, not a subquery, whose compiling cost
        # more Python than the rest of the statement.
        rows = (
            Handoff.objects.filter(
                episode__patient=patient,
                episode__handoffs__visit_number=visit_number,
                episode__handoffs__kind__in=STAY_KINDS,
                episode__handoffs__cancelled_at__isnull=True,
            )
            .select_related("episode")
            .select_for_update(of=("episode",))
            .order_by("sequence", "id")
        )
        unique = {handoff.pk: handoff for handoff in rows}
        visits = [
            handoff
            for handoff in unique.values()
            if handoff.kind in STAY_KINDS
            and handoff.visit_number == visit_number
            and handoff.cancelled_at is None
        ]
        if not visits:
            return None
        # The visit's latest stay, and its episode with the whole chain, which every
        # caller reads next.
        found = max(visits, key=lambda handoff: (handoff.sequence, handoff.pk))
        chain = [h for h in unique.values() if h.episode_id == found.episode_id]
        for handoff in chain:
            handoff.episode = found.episode
        found.episode.__dict__["_chain"] = chain
        return found
    episode = _open_episode(patient)
    if episode is None:
        return None
    stay = stays.filter(episode=episode).order_by("-sequence", "-id").first()
    if stay is not None:
        stay.episode = episode
    return stay


def _chain(episode: Episode) -> list[Handoff]:
    """The episode's handoffs in order, read once per service call (chains are short)."""
    cached: list[Handoff] | None = episode.__dict__.get("_chain")
    if cached is None:
        cached = list(Handoff.objects.filter(episode_id=episode.pk).order_by("sequence", "id"))
        episode.__dict__["_chain"] = cached
    return cached


def _last_live(episode: Episode) -> Handoff | None:
    live = [handoff for handoff in _chain(episode) if handoff.cancelled_at is None]
    return live[-1] if live else None


def _next_sequence(episode: Episode) -> int:
    return max((handoff.sequence for handoff in _chain(episode)), default=0) + 1


def _recorder(actor: Actor) -> User | None:
    """The person who entered a transition by hand (not an interface account or a job)."""
    person = person_behind(actor)
    return person if person is not None and not person.is_interface else None


def _add_handoff(
    *,
    actor: Actor,
    episode: Episode,
    kind: str,
    visit: VisitDetails,
    from_setting: str | None = None,
    to_setting: str | None = None,
    occurred_at: datetime | None = None,
    inferred: bool = False,
) -> Handoff:
    """The next link of the episode's chain. It leaves where the patient is now, unless
    `from_setting` says otherwise; an arrival goes where `_arrival_setting` says."""
    if from_setting is None:
        from_setting = _current_setting(episode)
    if to_setting is None:
        to_setting = _arrival_setting(episode, visit, kind)
    handoff = record_create(
        actor=actor,
        instance=Handoff(
            episode=episode,
            sequence=_next_sequence(episode),
            kind=kind,
            occurred_at=occurred_at or visit.occurred_at,
            from_setting=from_setting,
            to_setting=to_setting,
            facility=visit.facility[:120],
            location=visit.location[:120],
            visit_number=visit.visit_number[:64],
            patient_class=visit.patient_class[:4],
            disposition=visit.disposition[:20] if kind == HandoffKind.DISCHARGE else "",
            discharged_to=visit.discharged_to[:120] if kind == HandoffKind.DISCHARGE else "",
            source=visit.source,
            source_reference=visit.source_reference[:120],
            note=visit.note,
            recorded_by=_recorder(actor),
            inferred=inferred,
        ),
        patient_id=episode.patient_id,
        detail={"kind": kind, "episode_id": episode.pk, "inferred": inferred},
        clean=False,
    )
    _chain(episode).append(handoff)
    return handoff


def _set_episode(episode: Episode, *, actor: Actor, **values: object) -> None:
    """Changes the episode's fields; a status change must be a move of EPISODE_STATES."""
    if "status" in values and values["status"] != episode.status:
        EPISODE_STATES.move(episode.status, str(values["status"]))
    # The values are the services' own (states, times, links), not user input to validate.
    record_change(
        actor=actor, instance=episode, values=values, patient_id=episode.patient_id, clean=False
    )


def _new_episode(
    *,
    actor: Actor,
    patient: Patient,
    started_at: datetime,
    readmission_of: Episode | None = None,
) -> Episode:
    episode = record_create(
        actor=actor,
        instance=Episode(patient=patient, started_at=started_at, readmission_of=readmission_of),
        patient_id=patient.pk,
        clean=False,
    )
    episode.__dict__["_chain"] = []  # nothing to read back: the chain starts here
    return episode


def _arrival_setting(episode: Episode | None, visit: VisitDetails, kind: str) -> str:
    if visit.setting:
        return visit.setting
    if visit.patient_class.upper() == "E" or kind == HandoffKind.REGISTRATION:
        return Setting.EMERGENCY
    if episode is not None and episode.status == EpisodeStatus.IN_TRANSIT:
        last = _last_live(episode)
        if last is not None and last.to_setting not in (Setting.UNKNOWN, *FOLLOW_UP_SETTINGS):
            return last.to_setting
    return Setting.HOSPITAL


def _current_setting(episode: Episode) -> str:
    last = _last_live(episode)
    return last.to_setting if last is not None else Setting.HOME


def _arrive(*, actor: Actor, patient: Patient, visit: VisitDetails, kind: str) -> Handoff:
    """Admission or registration: joins the open episode, else starts one."""
    reads = _arrival_reads(patient, kind=kind, visit_number=visit.visit_number)
    if reads.repeat is not None:
        return _refresh(actor=actor, handoff=reads.repeat, visit=visit)
    episode, watched = reads.open_episode, reads.watched
    previous = (
        _readmission_of(episode, admitted_at=visit.occurred_at, watched=watched)
        if kind == HandoffKind.ADMISSION
        else None
    )
    from_setting: str
    if episode is None:
        # A readmission's new episode is stored with its link (no UPDATE after the INSERT).
        episode = _new_episode(
            actor=actor, patient=patient, started_at=visit.occurred_at, readmission_of=previous
        )
        from_setting = Setting.HOME
    else:
        last = _last_live(episode)
        from_setting = (
            last.from_setting
            if last is not None
            and last.kind == HandoffKind.DISCHARGE
            and episode.status == EpisodeStatus.IN_TRANSIT
            else _current_setting(episode)
        )
    handoff = _add_handoff(
        actor=actor, episode=episode, kind=kind, visit=visit, from_setting=from_setting
    )
    flag = {"readmission_of": previous} if previous is not None else {}
    _set_episode(episode, actor=actor, status=EpisodeStatus.IN_CARE, ended_at=None, **flag)
    if previous is not None:
        _flag_readmission(
            actor=actor, episode=episode, previous=previous, admitted_at=visit.occurred_at
        )
    return handoff


def _refresh(*, actor: Actor, handoff: Handoff, visit: VisitDetails) -> Handoff:
    """A repeat of a message we already applied: only descriptive fields may change."""
    values = {
        "facility": visit.facility[:120] or handoff.facility,
        "location": visit.location[:120] or handoff.location,
        "patient_class": visit.patient_class[:4] or handoff.patient_class,
    }
    record_change(
        actor=actor,
        instance=handoff,
        values=values,
        patient_id=handoff.episode.patient_id,
        clean=False,
    )
    return handoff


def _readmission_of(
    episode: Episode | None, *, admitted_at: datetime, watched: list[Episode]
) -> Episode | None:
    """The episode whose watch window an admission falls in (the latest such), if it is a
    readmission: `watched` are the patient's episodes in follow-up, read locked with the
    open one. An episode already flagged is not flagged again."""
    if episode is not None and episode.readmission_of_id is not None:
        return None
    return max(
        (
            other
            for other in watched
            if (episode is None or other.pk != episode.pk)
            and other.watch_until is not None
            and other.watch_until > admitted_at
        ),
        key=lambda other: (other.watch_until, other.pk),
        default=None,
    )


def _flag_readmission(
    *, actor: Actor, episode: Episode, previous: Episode, admitted_at: datetime
) -> None:
    """A readmission (`episode`, already linked to `previous`): the previous episode closes
    as readmitted, and the lead coordinator gets a task to review the last transition."""
    _set_episode(
        previous,
        actor=actor,
        readmitted_at=admitted_at,
        status=EpisodeStatus.CLOSED,
        ended_at=admitted_at,
    )
    owner, _rule = follow_up_owner(patient=episode.patient)
    if owner is None:
        return  # the flag on both episodes still shows on the board
    task_create(
        actor=JobActor(job="transitions.readmission_review", for_user=person_behind(actor)),
        patient=episode.patient,
        title="Readmitted within 30 days: review the last transition",
        owner=owner,
        due_at=timezone.now() + timedelta(days=1),
        priority=TaskPriority.URGENT,
        description=(
            "The patient was admitted again inside the readmission window of the previous "
            "discharge. Review what was missed and the open follow-up tasks."
        ),
        source_type=TaskSource.TRANSITION,
        source_id=episode.pk,
        idempotency_key=readmission_key(previous, episode),
    )


def readmission_key(previous: Episode, episode: Episode) -> str:
    return f"episode:{previous.pk}:readmission:{episode.pk}"


def _unflag_readmission(*, actor: Actor, episode: Episode) -> None:
    previous = episode.readmission_of
    if previous is None:
        return
    _set_episode(episode, actor=actor, readmission_of=None)
    watching = previous.watch_until is not None and previous.watch_until > timezone.now()
    _set_episode(
        previous,
        actor=actor,
        readmitted_at=None,
        status=EpisodeStatus.FOLLOW_UP if watching else EpisodeStatus.CLOSED,
        ended_at=None if watching else previous.watch_until,
    )
    task = Task.objects.filter(idempotency_key=readmission_key(previous, episode)).first()
    if task is not None:
        task_cancel(
            actor=JobActor(job="transitions.readmission_cancel", for_user=person_behind(actor)),
            task=task,
            reason="The readmission was cancelled by the hospital.",
        )


@atomic_service
def transition_admit(*, actor: Actor, patient: Patient, visit: VisitDetails) -> Handoff:
    """A01: the patient is admitted. An admission inside a watch window flags a readmission."""
    permissions.require_can_record_transition(actor, patient)
    _validate(visit)
    patient = _lock(patient)
    return _arrive(actor=actor, patient=patient, visit=visit, kind=HandoffKind.ADMISSION)


@atomic_service
def transition_register(*, actor: Actor, patient: Patient, visit: VisitDetails) -> Handoff | None:
    """A04: an emergency registration starts (or joins) an episode; outpatient ones do not."""
    permissions.require_can_record_transition(actor, patient)
    _validate(visit)
    if visit.patient_class.upper() not in ("E", "") and not visit.setting:
        return None
    patient = _lock(patient)
    return _arrive(actor=actor, patient=patient, visit=visit, kind=HandoffKind.REGISTRATION)


@atomic_service
def transition_transfer(*, actor: Actor, patient: Patient, visit: VisitDetails) -> Handoff:
    """A02: a move within the facility (new unit or bed); recorded in the chain."""
    permissions.require_can_record_transition(actor, patient)
    _validate(visit)
    patient = _lock(patient)
    stay = _stay_for(patient, visit.visit_number) or _infer_stay(
        actor=actor, patient=patient, visit=visit
    )
    episode = stay.episode
    # A move within the facility stays in its setting unless the message names another.
    setting = visit.setting or _current_setting(episode)
    return _add_handoff(
        actor=actor, episode=episode, kind=HandoffKind.TRANSFER, visit=visit, to_setting=setting
    )


def _infer_stay(*, actor: Actor, patient: Patient, visit: VisitDetails) -> Handoff:
    """A later message for a stay whose admission never arrived: record it as implied."""
    episode = _open_episode(patient)
    arrived_at = visit.admitted_at or visit.occurred_at
    if episode is None:
        episode = _new_episode(actor=actor, patient=patient, started_at=arrived_at)
    setting = visit.setting if visit.setting and visit.setting not in FOLLOW_UP_SETTINGS else ""
    arrival = VisitDetails(**{**visit.__dict__, "setting": setting})
    handoff = _add_handoff(
        actor=actor,
        episode=episode,
        kind=HandoffKind.ADMISSION,
        visit=arrival,
        from_setting=_current_setting(episode) if _chain(episode) else Setting.HOME,
        occurred_at=arrived_at,
        inferred=True,
    )
    _set_episode(episode, actor=actor, status=EpisodeStatus.IN_CARE, ended_at=None)
    return handoff


@atomic_service
def transition_discharge(*, actor: Actor, patient: Patient, visit: VisitDetails) -> Handoff:
    """A03: the patient leaves the setting.

    Home or community: the episode's follow-up starts (contact, visit and the
    readmission watch; the tasks come from a Celery job after commit). To
    another facility: the episode waits for the arrival. Death ends it.
    """
    permissions.require_can_record_transition(actor, patient)
    _validate(visit)
    patient = _lock(patient)
    stay = _stay_for(patient, visit.visit_number)
    if stay is None:
        stay = _infer_stay(actor=actor, patient=patient, visit=visit)
        episode = stay.episode
    else:
        episode = stay.episode
        repeat = next(
            (
                handoff
                for handoff in _chain(episode)
                if handoff.kind == HandoffKind.DISCHARGE
                and handoff.cancelled_at is None
                and handoff.sequence > stay.sequence
            ),
            None,
        )
        if repeat is not None:
            return _correct_discharge(
                actor=actor, patient=patient, episode=episode, discharge=repeat, visit=visit
            )
    episode.patient = patient
    destination = _destination(visit)
    handoff = _add_handoff(
        actor=actor,
        episode=episode,
        kind=HandoffKind.DISCHARGE,
        visit=visit,
        to_setting=destination,
    )
    insert_rows(
        ChecklistItem,
        [ChecklistItem(handoff=handoff, code=code) for code in ChecklistItemCode.values],
    )
    patient_class = (visit.patient_class or stay.patient_class).upper()
    if destination == Setting.EXPIRED or (
        destination in FOLLOW_UP_SETTINGS and patient_class in NON_STAY_CLASSES
    ):
        _set_episode(episode, actor=actor, status=EpisodeStatus.CLOSED, ended_at=visit.occurred_at)
    elif destination in FOLLOW_UP_SETTINGS:
        config = transition_settings_for_patient(patient)
        _set_episode(
            episode,
            actor=actor,
            status=EpisodeStatus.FOLLOW_UP,
            watch_until=visit.occurred_at + timedelta(days=config.readmission_window_days),
        )
        follow_up_plan(actor=actor, handoff=handoff, episode=episode, config=config)
    else:
        _set_episode(episode, actor=actor, status=EpisodeStatus.IN_TRANSIT)
    if destination == Setting.EXPIRED:
        # No plan review: the lead's one task after a death is to reach the family and
        # close the plan.
        transition_death(
            actor=actor,
            patient=patient,
            died_at=visit.died_at or visit.occurred_at,
            source=visit.source_reference or visit.source,
        )
    else:
        plan_review_request_for(actor=actor, handoff=handoff)
    return handoff


def _destination(visit: VisitDetails) -> str:
    if visit.deceased:
        return Setting.EXPIRED
    return visit.setting or setting_for_disposition(visit.disposition, visit.discharged_to)


def _correct_discharge(
    *,
    actor: Actor,
    patient: Patient,
    episode: Episode,
    discharge: Handoff,
    visit: VisitDetails,
) -> Handoff:
    """Another discharge message for a visit already discharged.

    The same time and disposition change nothing. A new time or disposition
    corrects the discharge and what hangs on it: the follow-up's due times
    (and its open tasks' due dates) and the readmission watch move with the
    time; a destination that is no longer home cancels the follow-up, one
    that becomes home starts it, a death ends it.
    """
    destination = _destination(visit)
    occurred_at = visit.occurred_at if visit.time_reported else discharge.occurred_at
    was_home = discharge.to_setting in FOLLOW_UP_SETTINGS
    changed = record_change(
        actor=actor,
        instance=discharge,
        values={
            "occurred_at": occurred_at,
            "disposition": visit.disposition[:20],
            "discharged_to": visit.discharged_to[:120],
            "to_setting": destination,
        },
        patient_id=patient.pk,
        detail={"reason": "discharge corrected"},
        clean=False,
    )
    if not changed:
        return discharge
    follow_up = FollowUp.objects.select_for_update(of=("self",)).filter(handoff=discharge).first()
    live = follow_up is not None and follow_up.status != FollowUpStatus.CANCELLED
    config = transition_settings_for_patient(patient)
    if destination in FOLLOW_UP_SETTINGS and (live or was_home):
        if follow_up is not None and live:
            follow_up_reschedule(
                actor=actor, follow_up=follow_up, discharged_at=occurred_at, config=config
            )
        if episode.status == EpisodeStatus.FOLLOW_UP:
            watch = occurred_at + timedelta(days=config.readmission_window_days)
            _set_episode(episode, actor=actor, watch_until=watch)
        return discharge
    reason = "The discharge was corrected by the hospital."
    if follow_up is not None and live:
        follow_up_undo(actor=actor, follow_up=follow_up, reason=reason)
    if destination == Setting.EXPIRED:
        _set_episode(episode, actor=actor, status=EpisodeStatus.CLOSED, ended_at=occurred_at)
        transition_death(
            actor=actor,
            patient=patient,
            died_at=visit.died_at or occurred_at,
            source=visit.source_reference or visit.source,
        )
    elif destination in FOLLOW_UP_SETTINGS:
        if follow_up is not None:
            raise ApplicationError(
                "The discharge's follow-up was already cancelled: cancel the discharge (A13) "
                "and send it again.",
                field_errors={"visit_number": ["Follow-up already cancelled for this discharge."]},
            )
        _set_episode(
            episode,
            actor=actor,
            status=EpisodeStatus.FOLLOW_UP,
            ended_at=None,
            watch_until=occurred_at + timedelta(days=config.readmission_window_days),
        )
        follow_up_plan(actor=actor, handoff=discharge, episode=episode, config=config)
    else:
        _set_episode(
            episode, actor=actor, status=EpisodeStatus.IN_TRANSIT, ended_at=None, watch_until=None
        )
    return discharge


@atomic_service
def transition_update(*, actor: Actor, patient: Patient, visit: VisitDetails) -> Handoff | None:
    """A08: corrected visit details (class, unit, facility) on the stay's latest handoff.

    That is the admission, a transfer or the discharge, whichever the visit is
    at now: an update describes the current state. None when the visit is unknown.
    """
    permissions.require_can_record_transition(actor, patient)
    patient = _lock(patient)
    if visit.deceased:
        transition_death(
            actor=actor,
            patient=patient,
            died_at=visit.died_at,
            source=visit.source_reference or visit.source,
        )
    if not visit.visit_number:
        return None
    handoff = (
        _handoffs(patient)
        .filter(visit_number=visit.visit_number)
        .select_related("episode")
        .order_by("-sequence", "-id")
        .first()
    )
    if handoff is None:
        return None
    return _refresh(actor=actor, handoff=handoff, visit=visit)


@atomic_service
def transition_admit_cancel(
    *, actor: Actor, patient: Patient, visit_number: str, reason: str
) -> Handoff | None:
    """A11: the admission (and its transfers) never happened. Refused after a discharge."""
    permissions.require_can_record_transition(actor, patient)
    patient = _lock(patient)
    reason = reason.strip() or "Admission cancelled"
    stay = _stay_for(patient, visit_number)
    if stay is None:
        cancelled = (
            Handoff.objects.filter(
                episode__patient=patient,
                kind__in=STAY_KINDS,
                visit_number=visit_number,
                cancelled_at__isnull=False,
            )
            .order_by("-id")
            .first()
        )
        if cancelled is not None or not visit_number:
            return cancelled
        raise ApplicationError(
            "There is no admission to cancel for this visit.",
            field_errors={"visit_number": ["No admission recorded for this visit."]},
        )
    episode = stay.episode
    later = episode.handoffs.filter(cancelled_at__isnull=True, sequence__gt=stay.sequence)
    if later.filter(kind=HandoffKind.DISCHARGE).exists():
        raise ApplicationError(
            "The stay already has a discharge: cancel the discharge first (A13).",
            field_errors={"visit_number": ["Discharged; cancel the discharge first."]},
        )
    for handoff in [stay, *later.filter(kind=HandoffKind.TRANSFER)]:
        _cancel_handoff(actor=actor, handoff=handoff, reason=reason)
    episode.__dict__.pop("_chain", None)
    remaining = _last_live(episode)
    if remaining is None:
        _set_episode(episode, actor=actor, status=EpisodeStatus.CANCELLED, ended_at=timezone.now())
        _unflag_readmission(actor=actor, episode=episode)
    elif remaining.kind == HandoffKind.DISCHARGE:
        _set_episode(episode, actor=actor, status=_status_after_discharge(remaining))
    return stay


def _status_after_discharge(discharge: Handoff) -> str:
    if discharge.to_setting in FOLLOW_UP_SETTINGS or discharge.to_setting == Setting.EXPIRED:
        return EpisodeStatus.CLOSED
    return EpisodeStatus.IN_TRANSIT


def _cancel_handoff(*, actor: Actor, handoff: Handoff, reason: str) -> None:
    record_change(
        actor=actor,
        instance=handoff,
        values={"cancelled_at": timezone.now(), "cancel_reason": reason[:200]},
        patient_id=handoff.episode.patient_id,
        clean=False,
    )


@atomic_service
def transition_discharge_cancel(
    *, actor: Actor, patient: Patient, visit_number: str, reason: str
) -> Handoff | None:
    """A13: the discharge never happened. Its pending follow-ups are cancelled.

    Follow-up tasks already done stay done (the work happened); open ones are
    cancelled with the reason, and a follow-up job that runs later finds the
    follow-up cancelled and creates nothing.
    """
    permissions.require_can_record_transition(actor, patient)
    patient = _lock(patient)
    reason = reason.strip() or "Discharge cancelled"
    discharges = Handoff.objects.filter(episode__patient=patient, kind=HandoffKind.DISCHARGE)
    if visit_number:
        discharges = discharges.filter(visit_number=visit_number)
    discharge = (
        discharges.filter(cancelled_at__isnull=True)
        .select_related("episode")
        .order_by("-occurred_at", "-id")
        .first()
    )
    if discharge is None:
        cancelled = discharges.filter(cancelled_at__isnull=False).order_by("-id").first()
        if cancelled is not None:
            return cancelled
        raise ApplicationError(
            "There is no discharge to cancel for this visit.",
            field_errors={"visit_number": ["No discharge recorded for this visit."]},
        )
    episode = Episode.objects.select_for_update().get(pk=discharge.episode_id)
    if episode.handoffs.filter(cancelled_at__isnull=True, sequence__gt=discharge.sequence).exists():
        raise ApplicationError(
            "The patient has arrived somewhere since this discharge: cancel that first.",
            field_errors={"visit_number": ["Later transitions exist."]},
        )
    if episode.readmissions.filter(status__in=(EpisodeStatus.IN_CARE,)).exists():
        raise ApplicationError(
            "The patient was readmitted after this discharge: cancel the readmission first.",
            field_errors={"visit_number": ["A readmission follows this discharge."]},
        )
    _cancel_handoff(actor=actor, handoff=discharge, reason=reason)
    follow_up = FollowUp.objects.select_for_update().filter(handoff=discharge).first()
    if follow_up is not None and follow_up.status != FollowUpStatus.CANCELLED:
        follow_up_undo(actor=actor, follow_up=follow_up, reason=reason)
    _set_episode(
        episode,
        actor=actor,
        status=EpisodeStatus.IN_CARE,
        ended_at=None,
        watch_until=None,
        readmitted_at=None,
    )
    return discharge


def transition_record(*, actor: User, patient: Patient, kind: str, visit: VisitDetails) -> Handoff:
    """A transition reported by phone or fax and entered by hand (the page or the API):
    recorded by the same services as an ADT message, by a member who manages transitions."""
    permissions.require_can_manage_transitions(actor, patient)
    recorders: dict[str, Callable[..., Handoff]] = {
        HandoffKind.ADMISSION: transition_admit,
        HandoffKind.TRANSFER: transition_transfer,
        HandoffKind.DISCHARGE: transition_discharge,
    }
    record = recorders.get(kind)
    if record is None:
        raise ApplicationError(
            "Record an admission, a transfer or a discharge.",
            field_errors={"kind": ["Admission, transfer or discharge."]},
        )
    return record(actor=actor, patient=patient, visit=visit)
