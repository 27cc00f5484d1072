from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import Role
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditEvent
from apps.tasks.models import Task, TaskEvent, TaskPriority, TaskStatus
from apps.teams.models import TeamMembership
from apps.teams.services import team_member_remove
from apps.transitions.models import (
    ChecklistItem,
    ChecklistItemCode,
    Complexity,
    Episode,
    EpisodeStatus,
    FollowUp,
    FollowUpStatus,
    Handoff,
    HandoffKind,
    OwnerRule,
    Setting,
)
from apps.transitions.selectors import transition_settings_for
from apps.transitions.services import (
    checklist_item_set,
    follow_up_schedule,
    follow_up_sweep,
    transition_admit_cancel,
    transition_discharge_cancel,
    transition_register,
    transition_transfer,
    transition_update,
)
from apps.transitions.services.followups import SWEEP_GRACE
from tests import factories
from tests.careplans.factories import make_plan
from tests.factories import SETUP
from tests.threads import held_open
from tests.transitions.factories import (
    JOB,
    admit,
    discharge,
    discharged_home,
    record_contact,
    visit,
)


def test_admission_starts_an_episode_in_care_from_home_to_hospital(patient):
    handoff = admit(patient, visit_number="V100", location="3W 301")
    episode = handoff.episode
    assert episode.status == EpisodeStatus.IN_CARE
    assert (handoff.kind, handoff.from_setting, handoff.to_setting) == (
        HandoffKind.ADMISSION,
        Setting.HOME,
        Setting.HOSPITAL,
    )
    assert AuditEvent.objects.filter(
        object_type="transitions.handoff", action=AuditAction.CREATE, patient_id=patient.pk
    ).exists()


def test_discharge_home_plans_one_follow_up_with_checklist_and_30_day_watch(patient, nurse):
    admit(patient)
    at = timezone.now() - timedelta(hours=2)
    handoff = discharge(patient, at=at)
    episode = Episode.objects.get(pk=handoff.episode_id)
    assert episode.status == EpisodeStatus.FOLLOW_UP
    assert episode.watch_until == at + timedelta(days=30)
    assert set(handoff.checklist.values_list("code", flat=True)) == set(ChecklistItemCode.values)
    follow_up = FollowUp.objects.get(handoff=handoff)
    assert follow_up.status == FollowUpStatus.PENDING
    assert follow_up.complexity == Complexity.HIGH
    assert timezone.localtime(follow_up.visit_due_at).date() == (
        timezone.localtime(at).date() + timedelta(days=7)
    )
    assert not Task.objects.exists()  # the job makes the tasks


def test_follow_up_job_creates_one_contact_and_one_visit_task_for_the_lead_even_when_rerun(
    patient, nurse
):
    handoff = discharge(patient)
    follow_up = FollowUp.objects.get(handoff=handoff)
    assert follow_up_schedule(follow_up_id=follow_up.pk) is True
    assert follow_up_schedule(follow_up_id=follow_up.pk) is False
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.SCHEDULED
    assert follow_up.owner_rule == OwnerRule.LEAD
    tasks = Task.objects.filter(patient=patient)
    assert tasks.count() == 2
    contact = follow_up.contact_task
    assert contact.owner == nurse
    assert contact.priority == TaskPriority.URGENT
    assert contact.due_at == follow_up.contact_due_at
    assert contact.idempotency_key == (
        f"episode:{handoff.episode_id}:discharge:{handoff.sequence}:contact"
    )
    assert follow_up.visit_task.due_at == follow_up.visit_due_at
    assert nurse.notifications.filter(kind="transition_follow_up").count() == 1


def test_moderate_complexity_episode_gets_the_visit_in_14_days(patient, nurse):
    handoff = admit(patient)
    Episode.objects.filter(pk=handoff.episode_id).update(complexity=Complexity.MODERATE)
    at = timezone.now() - timedelta(hours=1)
    discharged = discharge(patient, at=at)
    follow_up = FollowUp.objects.get(handoff=discharged)
    assert follow_up.complexity == Complexity.MODERATE
    assert timezone.localtime(follow_up.visit_due_at).date() == (
        timezone.localtime(at).date() + timedelta(days=14)
    )


def test_discharge_to_snf_waits_in_transit_and_the_arrival_continues_the_chain(patient, nurse):
    admit(patient, at=timezone.now() - timedelta(days=10))
    to_snf = discharge(patient, at=timezone.now() - timedelta(days=6), disposition="03")
    episode = Episode.objects.get(pk=to_snf.episode_id)
    assert episode.status == EpisodeStatus.IN_TRANSIT
    assert not FollowUp.objects.exists()
    arrival = admit(patient, at=timezone.now() - timedelta(days=6), visit_number="SNF-9")
    assert arrival.episode_id == episode.pk
    assert (arrival.from_setting, arrival.to_setting) == (Setting.HOSPITAL, Setting.SNF)
    home = discharge(patient, visit_number="SNF-9")
    assert (home.from_setting, home.to_setting) == (Setting.SNF, Setting.HOME)
    chain = list(Handoff.objects.filter(episode=episode).values_list("kind", "to_setting"))
    assert chain == [
        (HandoffKind.ADMISSION, Setting.HOSPITAL),
        (HandoffKind.DISCHARGE, Setting.SNF),
        (HandoffKind.ADMISSION, Setting.SNF),
        (HandoffKind.DISCHARGE, Setting.HOME),
    ]
    assert FollowUp.objects.filter(handoff=home).count() == 1


def test_a_discharge_repeated_for_the_same_visit_changes_nothing(patient, nurse):
    admit(patient)
    first = discharge(patient)
    again = discharge(patient, at=timezone.now() - timedelta(minutes=5))
    assert again.pk == first.pk
    assert Handoff.objects.filter(kind=HandoffKind.DISCHARGE).count() == 1
    assert FollowUp.objects.count() == 1


def test_discharge_without_a_recorded_admission_infers_it(patient, nurse):
    admitted = timezone.now() - timedelta(days=4)
    handoff = discharge(patient, admitted_at=admitted, visit_number="V77")
    stay = Handoff.objects.get(episode=handoff.episode, kind=HandoffKind.ADMISSION)
    assert stay.inferred is True
    assert stay.occurred_at == admitted
    assert handoff.episode.started_at == admitted


def test_ed_treat_and_release_closes_the_episode_without_follow_up(patient, nurse):
    registration = transition_register(
        actor=JOB,
        patient=patient,
        visit=visit(timezone.now() - timedelta(hours=5), patient_class="E", visit_number="ED1"),
    )
    assert registration.to_setting == Setting.EMERGENCY
    handoff = discharge(patient, visit_number="ED1", patient_class="E")
    assert Episode.objects.get(pk=handoff.episode_id).status == EpisodeStatus.CLOSED
    assert not FollowUp.objects.exists()


def test_outpatient_registration_is_not_a_transition(patient):
    result = transition_register(
        actor=JOB, patient=patient, visit=visit(patient_class="O", visit_number="CLINIC1")
    )
    assert result is None
    assert not Episode.objects.exists()


def test_death_closes_the_episode_without_follow_up(patient, nurse):
    admit(patient)
    handoff = discharge(patient, disposition="20")
    assert handoff.to_setting == Setting.EXPIRED
    assert Episode.objects.get(pk=handoff.episode_id).status == EpisodeStatus.CLOSED
    assert not FollowUp.objects.exists()


def test_transfer_records_the_move_within_the_stay(patient):
    stay = admit(patient, location="ED")
    moved = transition_transfer(
        actor=JOB, patient=patient, visit=visit(visit_number="V1", location="ICU 4")
    )
    assert moved.episode_id == stay.episode_id
    assert (moved.kind, moved.location, moved.to_setting) == (
        HandoffKind.TRANSFER,
        "ICU 4",
        Setting.HOSPITAL,
    )


def test_update_changes_descriptive_fields_of_the_visit_only(patient):
    stay = admit(patient, patient_class="O")
    updated = transition_update(
        actor=JOB, patient=patient, visit=visit(visit_number="V1", patient_class="I")
    )
    assert updated.pk == stay.pk
    stay.refresh_from_db()
    assert stay.patient_class == "I"
    assert transition_update(actor=JOB, patient=patient, visit=visit(visit_number="NOPE")) is None


def test_cancel_discharge_cancels_the_pending_follow_ups_and_reopens_the_stay(patient, nurse):
    handoff = discharged_home(patient)
    follow_up = FollowUp.objects.get(handoff=handoff)
    record_contact(nurse, follow_up)
    transition_discharge_cancel(actor=JOB, patient=patient, visit_number="V1", reason="A13")
    follow_up.refresh_from_db()
    handoff.refresh_from_db()
    assert handoff.cancelled_at is not None
    assert follow_up.status == FollowUpStatus.CANCELLED
    assert follow_up.contact_task.status == TaskStatus.DONE  # the call happened
    assert follow_up.visit_task.status == TaskStatus.CANCELLED
    episode = Episode.objects.get(pk=handoff.episode_id)
    assert (episode.status, episode.watch_until) == (EpisodeStatus.IN_CARE, None)
    # repeated A13: nothing more changes
    transition_discharge_cancel(actor=JOB, patient=patient, visit_number="V1", reason="A13")
    assert Task.objects.filter(status=TaskStatus.CANCELLED).count() == 1


def test_cancel_discharge_before_the_job_ran_leaves_the_job_nothing_to_do(patient, nurse):
    admit(patient)
    handoff = discharge(patient)
    follow_up = FollowUp.objects.get(handoff=handoff)
    transition_discharge_cancel(actor=JOB, patient=patient, visit_number="V1", reason="A13")
    assert follow_up_schedule(follow_up_id=follow_up.pk) is False
    assert not Task.objects.exists()


def test_a_new_discharge_after_a_cancelled_one_gets_its_own_follow_up(patient, nurse):
    first = discharged_home(patient)
    transition_discharge_cancel(actor=JOB, patient=patient, visit_number="V1", reason="A13")
    second = discharge(patient, at=timezone.now() - timedelta(minutes=10))
    assert second.pk != first.pk
    follow_up_schedule(follow_up_id=FollowUp.objects.get(handoff=second).pk)
    assert Task.objects.filter(status=TaskStatus.REQUESTED).count() == 2


def test_readmission_within_30_days_is_flagged_on_both_episodes_and_the_worklist(patient, nurse):
    first = discharged_home(patient, at=timezone.now() - timedelta(days=12))
    readmission = admit(patient, at=timezone.now() - timedelta(days=1), visit_number="V2")
    previous = Episode.objects.get(pk=first.episode_id)
    current = Episode.objects.get(pk=readmission.episode_id)
    assert current.pk != previous.pk
    assert current.readmission_of_id == previous.pk
    assert previous.readmitted_at == readmission.occurred_at
    assert previous.status == EpisodeStatus.CLOSED
    flag = Task.objects.get(idempotency_key=f"episode:{previous.pk}:readmission:{current.pk}")
    assert (flag.owner, flag.priority) == (nurse, TaskPriority.URGENT)


def test_admission_after_the_watch_is_not_a_readmission(patient, nurse):
    first = discharged_home(patient, at=timezone.now() - timedelta(days=40))
    follow_up_sweep()  # closes the ended watch
    readmission = admit(patient, at=timezone.now() - timedelta(days=1), visit_number="V2")
    assert Episode.objects.get(pk=first.episode_id).readmitted_at is None
    assert Episode.objects.get(pk=readmission.episode_id).readmission_of is None


def test_cancelled_readmission_unflags_the_previous_episode(patient, nurse):
    first = discharged_home(patient, at=timezone.now() - timedelta(days=5))
    admit(patient, at=timezone.now() - timedelta(hours=6), visit_number="V2")
    transition_admit_cancel(actor=JOB, patient=patient, visit_number="V2", reason="A11")
    previous = Episode.objects.get(pk=first.episode_id)
    assert previous.readmitted_at is None
    assert previous.status == EpisodeStatus.FOLLOW_UP
    flag = Task.objects.get(idempotency_key__contains=":readmission:")
    assert flag.status == TaskStatus.CANCELLED


def test_cancel_admission_after_a_discharge_is_refused_and_changes_nothing(patient, nurse):
    handoff = discharged_home(patient)
    with pytest.raises(ApplicationError):
        transition_admit_cancel(actor=JOB, patient=patient, visit_number="V1", reason="A11")
    assert not Handoff.objects.filter(cancelled_at__isnull=False).exists()
    assert Episode.objects.get(pk=handoff.episode_id).status == EpisodeStatus.FOLLOW_UP


def test_cancel_admission_cancels_the_episode(patient):
    handoff = admit(patient)
    transition_admit_cancel(actor=JOB, patient=patient, visit_number="V1", reason="A11")
    assert Episode.objects.get(pk=handoff.episode_id).status == EpisodeStatus.CANCELLED


def test_without_a_lead_the_follow_up_goes_to_the_fallback_coordinator(team, patient, nurse):
    other_nurse = factories.make_member(team, Role.RN_CARE_COORDINATOR)
    team_member_remove(actor=SETUP, membership=TeamMembership.objects.get(team=team, user=nurse))
    handoff = discharged_home(patient)
    follow_up = FollowUp.objects.get(handoff=handoff)
    assert follow_up.owner_rule == OwnerRule.FALLBACK
    assert follow_up.contact_task.owner == other_nurse
    assert "no lead coordinator" in follow_up.contact_task.description


def test_with_nobody_to_own_it_the_follow_up_waits_unassigned_until_the_sweep_finds_a_lead(
    team, patient
):
    handoff = discharged_home(patient)
    follow_up = FollowUp.objects.get(handoff=handoff)
    assert follow_up.status == FollowUpStatus.UNASSIGNED
    assert not Task.objects.exists()
    lead = factories.make_member(team, Role.RN_CARE_COORDINATOR, is_lead=True)
    FollowUp.objects.filter(pk=follow_up.pk).update(
        created_at=timezone.now() - SWEEP_GRACE * 2,
        last_attempt_at=timezone.now() - SWEEP_GRACE * 2,
    )
    assert follow_up_sweep()["scheduled"] == 1
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.SCHEDULED
    assert follow_up.contact_task.owner == lead


def test_sweep_schedules_a_follow_up_whose_job_was_lost_and_only_once(patient, nurse):
    admit(patient)
    handoff = discharge(patient)
    FollowUp.objects.filter(handoff=handoff).update(created_at=timezone.now() - SWEEP_GRACE * 2)
    assert follow_up_sweep()["scheduled"] == 1
    assert follow_up_sweep()["scheduled"] == 0
    assert Task.objects.count() == 2


def test_sweep_closes_episodes_whose_watch_ended(patient, nurse):
    handoff = discharged_home(patient, at=timezone.now() - timedelta(days=31))
    assert follow_up_sweep()["closed"] == 1
    episode = Episode.objects.get(pk=handoff.episode_id)
    assert episode.status == EpisodeStatus.CLOSED
    assert episode.ended_at == episode.watch_until


def test_transition_in_the_future_is_refused(patient):
    with pytest.raises(ApplicationError) as error:
        admit(patient, at=timezone.now() + timedelta(days=2))
    assert "occurred_at" in error.value.field_errors
    assert not Episode.objects.exists()


def test_naive_time_is_refused(patient):
    with pytest.raises(ApplicationError):
        admit(patient, at=datetime(2024, 1, 1, 12, 0))  # noqa: DTZ001
    assert not Episode.objects.exists()


def test_pharmacist_and_outsider_may_not_record_transitions(patient, pharmacist, outsider):
    for user in (pharmacist, outsider):
        with pytest.raises(PermissionDenied):
            admit(patient, actor=user)
    assert not Episode.objects.exists()


def test_interface_account_of_the_organisation_records_but_one_of_another_does_not(
    organisation, patient
):
    interface = factories.make_user(organisation, is_interface=True)
    admit(patient, actor=interface)
    stranger = factories.make_user(factories.make_organisation(), is_interface=True)
    with pytest.raises(PermissionDenied):
        admit(patient, actor=stranger, visit_number="V2")
    assert Handoff.objects.count() == 1


def test_checklist_item_is_ticked_with_when_and_who_and_audited(patient, nurse):
    handoff = discharged_home(patient)
    item = ChecklistItem.objects.get(handoff=handoff, code=ChecklistItemCode.FOLLOW_UP_BOOKED)
    when = handoff.occurred_at - timedelta(hours=1)
    checklist_item_set(actor=nurse, item=item, done=True, done_at=when, note="Dr Lee, Tue 10:00")
    item.refresh_from_db()
    assert (item.done_at, item.done_by, item.note) == (when, nurse, "Dr Lee, Tue 10:00")
    assert AuditEvent.objects.filter(
        object_type="transitions.checklistitem", object_id=str(item.pk)
    ).exists()


def test_reconciliation_items_cannot_be_ticked_by_hand(patient, nurse):
    handoff = discharged_home(patient)
    item = ChecklistItem.objects.get(handoff=handoff, code=ChecklistItemCode.RECONCILIATION_DONE)
    with pytest.raises(ApplicationError):
        checklist_item_set(actor=nurse, item=item, done=True)
    item.refresh_from_db()
    assert item.done_at is None


def test_checklist_needs_the_right_to_manage_transitions(patient, nurse, pharmacist):
    handoff = discharged_home(patient)
    item = ChecklistItem.objects.get(handoff=handoff, code=ChecklistItemCode.SUMMARY_RECEIVED)
    with pytest.raises(PermissionDenied):
        checklist_item_set(actor=pharmacist, item=item, done=True)
    item.refresh_from_db()
    assert item.done_at is None


def test_settings_are_created_with_documented_defaults(organisation):
    config = transition_settings_for(organisation)
    assert (config.contact_business_days, config.visit_days_high, config.visit_days_moderate) == (
        2,
        7,
        14,
    )
    assert config.readmission_window_days == 30


def test_a_death_asks_for_no_care_plan_review(patient, nurse):
    plan = make_plan(patient, nurse, what_matters="Stay at home")
    admit(patient)
    discharge(patient, disposition="20")
    plan.refresh_from_db()
    assert plan.review_requested_at is None


def test_discharge_asks_for_a_care_plan_review_and_ticks_the_checklist(patient, nurse):
    plan = make_plan(patient, nurse, what_matters="Stay at home")
    handoff = discharged_home(patient)
    plan.refresh_from_db()
    assert plan.review_requested_at is not None
    assert "discharge to home" in plan.review_request_reason.lower()
    item = ChecklistItem.objects.get(handoff=handoff, code=ChecklistItemCode.PLAN_REVIEW_TRIGGERED)
    assert item.done_at is not None


def test_the_automatic_plan_review_tick_is_audited_as_a_step_of_the_discharge(patient, nurse):
    make_plan(patient, nurse, what_matters="Stay at home")
    handoff = discharged_home(patient)
    item = ChecklistItem.objects.get(handoff=handoff, code=ChecklistItemCode.PLAN_REVIEW_TRIGGERED)
    tick = AuditEvent.objects.get(object_type="transitions.checklistitem", object_id=str(item.pk))
    assert tick.detail["code"] == ChecklistItemCode.PLAN_REVIEW_TRIGGERED
    assert "done_at" in tick.detail["fields"]


def test_without_a_care_plan_the_review_item_stays_open(patient, nurse):
    handoff = discharged_home(patient)
    item = ChecklistItem.objects.get(handoff=handoff, code=ChecklistItemCode.PLAN_REVIEW_TRIGGERED)
    assert item.done_at is None


# --- Concurrency on real PostgreSQL ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_open_transition_does_not_hold_up_another_patient_of_the_same_team(
    team, patient, org_admin
):
    """Each transition locks its patient's row only, not the care team all share."""
    neighbour = factories.make_patient(team, actor=org_admin, mrn="MRN-NEIGHBOUR")
    with held_open(lambda: admit(patient)), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
        admit(neighbour)  # before: waited on the team's row until the first committed
    assert Episode.objects.filter(patient__in=[patient, neighbour]).count() == 2


def test_follow_up_tasks_cancelled_by_a_nurses_action_are_audited_with_that_nurse(patient, nurse):
    handoff = discharged_home(patient)
    follow_up = FollowUp.objects.get(handoff=handoff)
    task_ids = [follow_up.contact_task_id, follow_up.visit_task_id]
    transition_discharge_cancel(
        actor=nurse, patient=patient, visit_number="V1", reason="Entered on the wrong patient"
    )
    assert set(Task.objects.filter(pk__in=task_ids).values_list("status", flat=True)) == {
        TaskStatus.CANCELLED
    }
    events = AuditEvent.objects.filter(
        object_type="tasks.task", object_id__in=[str(pk) for pk in task_ids]
    ).exclude(action=AuditAction.CREATE)
    assert events.count() == 2
    assert {(event.actor_id, event.detail.get("job")) for event in events} == {
        (nurse.pk, "transitions.follow_up_undo")
    }
    history = TaskEvent.objects.filter(task_id__in=task_ids, to_status=TaskStatus.CANCELLED)
    assert [event.actor_id for event in history] == [nurse.pk, nurse.pk]


def test_the_follow_up_job_acts_for_the_person_who_entered_the_discharge(patient, nurse):
    admit(patient, at=timezone.now() - timedelta(days=2))
    handoff = discharge(patient, actor=nurse)
    follow_up_schedule(follow_up_id=FollowUp.objects.get(handoff=handoff).pk)
    follow_up = FollowUp.objects.get(handoff=handoff)
    created = AuditEvent.objects.get(
        object_type="tasks.task",
        object_id=str(follow_up.contact_task_id),
        action=AuditAction.CREATE,
    )
    assert (created.actor_id, created.detail["job"]) == (nurse.pk, "transitions.follow_up_schedule")
