"""The self-building agenda, source by source, with the clock frozen."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import Role
from apps.huddles import services
from apps.huddles.models import AgendaItem, Huddle, HuddleSettings, ItemSource, ItemStatus
from apps.patients.services import clinical
from apps.referrals.models import Referral
from apps.tasks.models import TaskPriority
from apps.tasks.services import task_complete
from apps.teams.models import TeamMembership
from apps.teams.services import team_member_remove
from tests import factories
from tests.careplans import factories as careplans
from tests.factories import SETUP
from tests.huddles.factories import make_huddle, make_task, open_huddle, run_and_close
from tests.referrals import factories as referrals
from tests.transitions import factories as transitions

NEW_YORK = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=NEW_YORK)


def agenda(huddle):
    return list(AgendaItem.objects.filter(huddle=huddle).order_by("position"))


@pytest.fixture
def frozen():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def test_overdue_task_becomes_an_item_once_its_due_time_passes(frozen, team, nurse, patient):
    make_task(patient, nurse, due_in=timedelta(days=2), title="Call about scales")
    first = open_huddle(team, nurse)
    assert agenda(first) == []
    run_and_close(first, nurse)
    frozen.shift(timedelta(days=5))
    items = agenda(open_huddle(team, nurse))
    assert [(item.source, item.patient_id) for item in items] == [
        (ItemSource.OVERDUE_TASKS, patient.pk)
    ]
    assert items[0].key == f"overdue_tasks:p{patient.pk}"
    assert "3 days late" in items[0].title
    assert any("Call about scales" in entry["detail"] for entry in items[0].evidence)
    assert any(entry["object_type"] == "tasks.task" for entry in items[0].evidence)


def test_overdue_tasks_of_one_patient_make_one_item_with_each_task_as_evidence(
    frozen, team, nurse, pcp, patient
):
    make_task(patient, nurse, due_in=-timedelta(days=1), title="Weigh-in call")
    make_task(patient, pcp, due_in=-timedelta(days=4), title="Review labs")
    make_task(patient, pcp, due_in=timedelta(days=4), title="Not due yet")
    items = agenda(open_huddle(team, nurse))
    assert len(items) == 1
    details = " ".join(entry["detail"] for entry in items[0].evidence)
    assert "Weigh-in call" in details
    assert "Review labs" in details
    assert "Not due yet" not in details
    assert items[0].title.startswith("2 overdue tasks")


def test_work_of_someone_who_left_the_team_is_orphaned_not_overdue(
    frozen, team, nurse, chw, patient
):
    make_task(patient, chw, due_in=-timedelta(days=2), title="Home visit")
    team_member_remove(
        actor=SETUP, membership=TeamMembership.objects.get(team=team, user=chw, ended_at=None)
    )
    items = agenda(open_huddle(team, nurse))
    assert [item.source for item in items] == [ItemSource.ORPHANED_TASKS]
    assert items[0].key == f"orphaned_tasks:p{patient.pk}"
    assert "Home visit" in " ".join(entry["detail"] for entry in items[0].evidence)


def test_orphaned_work_is_surfaced_even_before_it_is_due(frozen, team, nurse, chw, patient):
    make_task(patient, chw, due_in=timedelta(days=10))
    team_member_remove(
        actor=SETUP, membership=TeamMembership.objects.get(team=team, user=chw, ended_at=None)
    )
    assert [item.source for item in agenda(open_huddle(team, nurse))] == [ItemSource.ORPHANED_TASKS]


def test_agenda_is_ordered_by_urgency(frozen, team, nurse, chw, org_admin):
    routine = factories.make_patient(team, actor=org_admin)
    stat = factories.make_patient(team, actor=org_admin)
    orphan = factories.make_patient(team, actor=org_admin)
    make_task(routine, nurse, due_in=-timedelta(days=1))
    make_task(stat, nurse, due_in=-timedelta(days=1), priority=TaskPriority.STAT)
    make_task(orphan, chw, due_in=timedelta(days=1))
    team_member_remove(
        actor=SETUP, membership=TeamMembership.objects.get(team=team, user=chw, ended_at=None)
    )
    items = agenda(open_huddle(team, nurse))
    assert [item.patient_id for item in items] == [stat.pk, orphan.pk, routine.pk]
    assert [item.position for item in items] == [1, 2, 3]
    assert items[0].urgency > items[1].urgency > items[2].urgency


def test_unfinished_item_carries_over_to_the_next_huddle(frozen, team, nurse, patient):
    make_task(patient, nurse, due_in=-timedelta(days=1))
    first = open_huddle(team, nurse)
    (left,) = agenda(first)
    run_and_close(first, nurse)
    frozen.shift(timedelta(days=7))
    second = open_huddle(team, nurse)
    (carried,) = agenda(second)
    assert carried.key == left.key
    assert carried.carried_from_id == left.pk
    assert second.previous_id == first.pk


def test_resolved_item_drops_off_instead_of_carrying_over(frozen, team, nurse, patient):
    task = make_task(patient, nurse, due_in=-timedelta(days=1))
    first = open_huddle(team, nurse)
    assert len(agenda(first)) == 1
    run_and_close(first, nurse)
    task_complete(actor=nurse, task=task)
    frozen.shift(timedelta(days=7))
    assert agenda(open_huddle(team, nurse)) == []


def test_item_discussed_last_time_comes_back_fresh_while_still_true(frozen, team, nurse, patient):
    make_task(patient, nurse, due_in=-timedelta(days=1))
    first = open_huddle(team, nurse)
    (item,) = agenda(first)
    services.huddle_item_discuss(actor=nurse, item=item, decision="Wait for the family")
    run_and_close(first, nurse)
    frozen.shift(timedelta(days=7))
    (again,) = agenda(open_huddle(team, nurse))
    assert again.key == item.key
    assert again.carried_from_id is None
    assert "8 days late" in again.title


def test_manual_item_left_unfinished_carries_over_with_its_note(frozen, team, nurse, patient):
    first = make_huddle(team, nurse)
    services.huddle_item_add(
        actor=nurse, huddle=first, patient=patient, title="Family meeting?", note="Daughter asked"
    )
    services.huddle_open(actor=nurse, huddle=first)
    run_and_close(first, nurse)
    frozen.shift(timedelta(days=7))
    (carried,) = agenda(open_huddle(team, nurse))
    assert carried.source == ItemSource.MANUAL
    assert carried.title == "Family meeting?"
    assert carried.evidence[0]["detail"] == "Daughter asked"
    assert carried.carried_from is not None


def test_limit_keeps_the_most_urgent_and_counts_the_rest(frozen, team, nurse, org_admin):
    HuddleSettings.objects.create(organisation=team.organisation, max_agenda_items=2)
    patients = [factories.make_patient(team, actor=org_admin) for _ in range(3)]
    for days, patient in zip((1, 5, 3), patients, strict=True):
        make_task(patient, nurse, due_in=-timedelta(days=days))
    huddle = open_huddle(team, nurse)
    assert [item.patient_id for item in agenda(huddle)] == [patients[1].pk, patients[2].pk]
    assert huddle.candidates_left_out == 1


def test_carried_items_stay_even_beyond_the_limit(frozen, team, nurse, org_admin):
    HuddleSettings.objects.create(organisation=team.organisation, max_agenda_items=1)
    old = factories.make_patient(team, actor=org_admin)
    make_task(old, nurse, due_in=-timedelta(days=1))
    first = open_huddle(team, nurse)
    run_and_close(first, nurse)
    newer = factories.make_patient(team, actor=org_admin)
    make_task(newer, nurse, due_in=-timedelta(days=1), priority=TaskPriority.STAT)
    frozen.shift(timedelta(days=1))
    items = agenda(open_huddle(team, nurse))
    assert {item.patient_id for item in items} == {old.pk}
    assert items[0].carried_from is not None


def test_refresh_marks_a_matter_resolved_during_the_huddle_and_adds_new_ones(
    frozen, team, nurse, org_admin, patient
):
    task = make_task(patient, nurse, due_in=-timedelta(days=1))
    huddle = open_huddle(team, nurse)
    (item,) = agenda(huddle)
    task_complete(actor=nurse, task=task)
    newcomer = factories.make_patient(team, actor=org_admin)
    make_task(newcomer, nurse, due_in=-timedelta(hours=1))
    services.huddle_agenda_refresh(actor=nurse, huddle=huddle)
    item.refresh_from_db()
    assert item.status == ItemStatus.RESOLVED
    assert [i.patient_id for i in agenda(huddle) if i.is_pending] == [newcomer.pk]


def test_inactive_patients_do_not_come_up(frozen, team, nurse, org_admin, patient):
    from apps.patients.services import patient_update

    make_task(patient, nurse, due_in=-timedelta(days=1))
    patient_update(actor=org_admin, patient=patient, is_active=False)
    assert agenda(open_huddle(team, nurse)) == []


def test_other_teams_work_never_reaches_the_agenda(
    frozen, team, other_team, nurse, outsider, other_patient
):
    make_task(other_patient, outsider, due_in=-timedelta(days=3))
    assert agenda(open_huddle(team, nurse)) == []


def _build_queries(team, nurse):
    huddle = make_huddle(team, nurse)
    with CaptureQueriesContext(connection) as captured:
        services.huddle_open(actor=nurse, huddle=huddle)
    run_and_close(huddle, nurse)
    return len(captured), huddle


def _leave(team, user, *, actor):
    team_member_remove(
        actor=SETUP, membership=TeamMembership.objects.get(team=team, user=user, ended_at=None)
    )


def _add_patients(team, org_admin, count, *, owner, leaver):
    """Patients with evidence for every source: tasks, a screen, a discharge, a readmission."""
    service = referrals.make_service(team.organisation, actor=org_admin)
    for number in range(count):
        patient = factories.make_patient(team, actor=org_admin)
        careplans.make_plan(patient, owner)
        referral = referrals.make_referral(patient, actor=owner, service=service, state="sent")
        Referral.objects.filter(pk=referral.pk).update(remind_at=timezone.now())
        make_task(patient, owner, due_in=-timedelta(days=2))
        make_task(patient, leaver, due_in=timedelta(days=1))
        _screen(owner, patient, living_situation="not_steady")
        transitions.discharged_home(patient, at=timezone.now() - timedelta(hours=5), schedule=False)
        if number % 2:
            transitions.admit(patient, at=timezone.now() - timedelta(hours=1), visit_number="V2")


def test_agenda_query_count_does_not_grow_with_the_team(frozen, team, nurse, org_admin):
    first_leaver = factories.make_member(team, Role.CHW)
    second_leaver = factories.make_member(team, Role.SOCIAL_WORKER)
    _add_patients(team, org_admin, 2, owner=nurse, leaver=first_leaver)
    _leave(team, first_leaver, actor=org_admin)
    _build_queries(team, nurse)  # a previous huddle with unfinished items, as in every later one
    frozen.shift(timedelta(days=15))  # long enough for the unsigned care plans to come due
    baseline, small = _build_queries(team, nurse)
    _add_patients(team, org_admin, 25, owner=nurse, leaver=second_leaver)
    _leave(team, second_leaver, actor=org_admin)
    frozen.shift(timedelta(days=15))
    grown, large = _build_queries(team, nurse)
    assert {item.source for item in agenda(small)} == set(ItemSource) - {
        ItemSource.MANUAL,
        ItemSource.NEWLY_COMPLEX,
    }
    assert len(agenda(large)) == 30  # the default limit; the rest are counted
    large.refresh_from_db()
    assert large.candidates_left_out > 25
    assert grown == baseline
    assert baseline <= 26


# --- urgent social needs and newly complex patients ----------------------------------

NEGATIVE_SCREEN = {
    "living_situation": "steady",
    "housing_problems": ["none"],
    "food_worry": "never",
    "food_ran_out": "never",
    "transportation": "no",
    "utilities": "no",
    "safety_hurt": 1,
    "safety_insult": 1,
    "safety_threaten": 1,
    "safety_scream": 1,
}


def _screen(actor, patient, **answers):
    return clinical.sdoh_screen_record(
        actor=actor,
        patient=patient,
        screened_on=timezone.localdate(),
        answers=NEGATIVE_SCREEN | answers,
    )


def _needs(items):
    return [item for item in items if item.source == ItemSource.URGENT_SOCIAL_NEED]


def _make_complex(actor, patient):
    for code in ("I50.9", "N18.4", "E11.22", "J44.9"):
        clinical.condition_add(actor=actor, patient=patient, code=code)
    for days in (20, 90):
        clinical.encounter_add(
            actor=actor, patient=patient, kind="ed", admit_date=MONDAY.date() - timedelta(days)
        )
    clinical.patient_area_deprivation_set(
        actor=actor, patient=patient, national_percentile=91, state_decile=9
    )


def test_screen_showing_no_steady_home_goes_to_the_top_as_urgent(frozen, team, nurse, patient):
    make_task(patient, nurse, due_in=-timedelta(days=20), priority=TaskPriority.STAT)
    screen = _screen(nurse, patient, living_situation="not_steady")
    items = agenda(open_huddle(team, nurse))
    assert [item.source for item in items] == [
        ItemSource.URGENT_SOCIAL_NEED,
        ItemSource.OVERDUE_TASKS,
    ]
    assert items[0].key == f"urgent_social_need:s{screen.pk}"
    assert "housing" in items[0].title
    assert items[0].evidence[0]["object_id"] == screen.pk


def test_unsafe_home_is_urgent_but_food_worry_alone_is_not(frozen, team, nurse, org_admin):
    unsafe = factories.make_patient(team, actor=org_admin)
    hungry = factories.make_patient(team, actor=org_admin)
    _screen(nurse, unsafe, safety_hurt=4, safety_insult=4, safety_threaten=3, safety_scream=3)
    _screen(nurse, hungry, food_worry="often")
    items = agenda(open_huddle(team, nurse))
    assert [(item.patient_id, item.source) for item in items] == [
        (unsafe.pk, ItemSource.URGENT_SOCIAL_NEED)
    ]
    assert "safety" in items[0].title


def test_food_that_often_ran_out_is_urgent_by_the_same_rule_as_the_triage_queue(
    frozen, team, nurse, patient
):
    _screen(nurse, patient, food_ran_out="often")
    (item,) = _needs(agenda(open_huddle(team, nurse)))
    assert "food" in item.title
    assert [entry["label"] for entry in item.evidence] == ["Screen", "Food"]


def test_urgent_need_left_unfinished_carries_until_a_newer_screen_clears_it(
    frozen, team, nurse, patient
):
    _screen(nurse, patient, utilities="already_shut_off")
    first = open_huddle(team, nurse)
    (item,) = agenda(first)
    run_and_close(first, nurse)
    frozen.shift(timedelta(days=7))
    second = open_huddle(team, nurse)
    # The triage task for the need (apps.measures.triage) is overdue work of its own.
    (carried,) = _needs(agenda(second))
    assert carried.key == item.key
    assert carried.carried_from_id == item.pk
    run_and_close(second, nurse)
    frozen.shift(timedelta(days=7))
    _screen(nurse, patient)
    assert _needs(agenda(open_huddle(team, nurse))) == []


def test_urgent_screen_discussed_last_time_does_not_come_back(frozen, team, nurse, patient):
    _screen(nurse, patient, living_situation="not_steady")
    first = open_huddle(team, nurse)
    (item,) = agenda(first)
    services.huddle_item_discuss(actor=nurse, item=item, decision="Housing referral today")
    run_and_close(first, nurse)
    frozen.shift(timedelta(days=7))
    assert _needs(agenda(open_huddle(team, nurse))) == []


def test_newly_complex_patient_comes_up_once_with_the_three_domains(frozen, team, nurse, patient):
    _make_complex(nurse, patient)
    first = open_huddle(team, nurse)
    (item,) = agenda(first)
    assert item.source == ItemSource.NEWLY_COMPLEX
    assert item.key == f"newly_complex:p{patient.pk}"
    assert [entry["label"] for entry in item.evidence] == ["Clinical", "Utilization", "Social"]
    assert all(entry["detail"] for entry in item.evidence)
    services.huddle_item_discuss(actor=nurse, item=item, decision="Enrol in programme")
    run_and_close(first, nurse)
    frozen.shift(timedelta(days=7))
    assert agenda(open_huddle(team, nurse)) == []


def test_fresh_evidence_for_a_patient_already_discussed_as_complex_is_not_news(
    frozen, team, nurse, patient
):
    _make_complex(nurse, patient)
    first = open_huddle(team, nurse)
    (item,) = agenda(first)
    services.huddle_item_discuss(actor=nurse, item=item, decision="Enrol in programme")
    run_and_close(first, nurse)
    frozen.shift(timedelta(days=2))
    clinical.encounter_add(
        actor=nurse, patient=patient, kind="ed", admit_date=MONDAY.date() + timedelta(days=1)
    )  # recomputed, still complex
    frozen.shift(timedelta(days=5))
    assert agenda(open_huddle(team, nurse)) == []


def test_patient_flagged_before_the_last_huddle_is_not_new(frozen, team, nurse, patient):
    _make_complex(nurse, patient)
    frozen.shift(timedelta(days=1))
    first = make_huddle(team, nurse)
    services.huddle_item_add(actor=nurse, huddle=first, patient=patient, title="Other matter")
    services.huddle_open(actor=nurse, huddle=first)
    # Already flagged when the team met (the complex item was left for time), then a week on:
    run_and_close(first, nurse)
    frozen.shift(timedelta(days=7))
    sources = {item.source for item in agenda(open_huddle(team, nurse))}
    assert ItemSource.MANUAL in sources  # the manual item carried over
    assert ItemSource.NEWLY_COMPLEX in sources  # the unfinished complex item carried over


def test_patient_not_crossing_every_domain_is_not_flagged(frozen, team, nurse, patient):
    for code in ("I50.9", "N18.4", "E11.22", "J44.9"):
        clinical.condition_add(actor=nurse, patient=patient, code=code)
    assert agenda(open_huddle(team, nurse)) == []


def test_event_left_out_for_room_is_looked_at_again_next_time(frozen, team, nurse, org_admin):
    HuddleSettings.objects.create(organisation=team.organisation, max_agenda_items=1)
    housing = factories.make_patient(team, actor=org_admin)
    safety = factories.make_patient(team, actor=org_admin)
    _screen(nurse, housing, living_situation="not_steady")
    _screen(nurse, safety, safety_hurt=5, safety_insult=5, safety_threaten=5, safety_scream=5)
    first = open_huddle(team, nurse)
    (shown,) = agenda(first)
    assert shown.patient_id == safety.pk
    services.huddle_item_discuss(actor=nurse, item=shown, decision="Safety plan today")
    run_and_close(first, nurse)
    frozen.shift(timedelta(days=7))
    assert [item.patient_id for item in agenda(open_huddle(team, nurse))] == [housing.pk]


# --- transitions of care ---------------------------------------------------------------


def test_discharge_since_the_last_huddle_comes_up_with_its_open_checklist_steps(
    frozen, team, nurse, patient
):
    first = open_huddle(team, nurse)
    run_and_close(first, nurse)
    frozen.shift(timedelta(days=2))
    handoff = transitions.discharged_home(patient, at=timezone.now() - timedelta(hours=3))
    items = [i for i in agenda(open_huddle(team, nurse)) if i.source == ItemSource.DISCHARGE]
    assert [item.key for item in items] == [f"discharge:h{handoff.pk}"]
    labels = [entry["label"] for entry in items[0].evidence]
    assert labels[:2] == ["Discharge", "Checklist"]
    assert "Open step" in labels
    assert items[0].evidence[0]["object_id"] == handoff.pk


def test_discharge_before_the_last_huddle_is_not_new(frozen, team, nurse, patient):
    handoff = transitions.discharged_home(patient, at=timezone.now() - timedelta(hours=3))
    first = open_huddle(team, nurse)
    (item,) = [i for i in agenda(first) if i.source == ItemSource.DISCHARGE]
    assert item.key == f"discharge:h{handoff.pk}"
    services.huddle_item_discuss(actor=nurse, item=item, decision="Contact booked")
    run_and_close(first, nurse)
    frozen.shift(timedelta(days=7))
    assert not [i for i in agenda(open_huddle(team, nurse)) if i.source == ItemSource.DISCHARGE]


def test_unfinished_discharge_carries_over_but_a_cancelled_one_drops_off(
    frozen, team, nurse, org_admin, patient
):
    from apps.transitions.services import transition_discharge_cancel

    other = factories.make_patient(team, actor=org_admin)
    kept = transitions.discharged_home(patient, at=timezone.now() - timedelta(hours=3))
    cancelled = transitions.discharged_home(other, at=timezone.now() - timedelta(hours=2))
    first = open_huddle(team, nurse)
    run_and_close(first, nurse)
    transition_discharge_cancel(
        actor=nurse, patient=other, visit_number="V1", reason="Sent in error"
    )
    assert cancelled.pk
    frozen.shift(timedelta(days=7))
    keys = {i.key for i in agenda(open_huddle(team, nurse)) if i.source == ItemSource.DISCHARGE}
    assert keys == {f"discharge:h{kept.pk}"}


def test_readmission_within_the_watch_comes_up_above_the_discharge(frozen, team, nurse, patient):
    transitions.discharged_home(patient, at=timezone.now() - timedelta(days=10))
    first = open_huddle(team, nurse)
    for item in agenda(first):
        services.huddle_item_discuss(actor=nurse, item=item, decision="Noted")
    run_and_close(first, nurse)
    frozen.shift(timedelta(days=3))
    transitions.admit(patient, at=timezone.now() - timedelta(hours=5), visit_number="V2")
    items = agenda(open_huddle(team, nurse))
    readmitted = [item for item in items if item.source == ItemSource.READMISSION]
    assert len(readmitted) == 1
    assert readmitted[0].patient_id == patient.pk
    assert readmitted[0].key.startswith("readmission:e")
    assert items[0].source == ItemSource.READMISSION


# --- closed-loop referrals ----------------------------------------------------------------


@pytest.fixture
def food_service(organisation, org_admin):
    return referrals.make_service(organisation, actor=org_admin, name="Weekly food boxes")


def test_referral_past_its_time_limit_comes_up_until_it_moves_on(
    frozen, team, nurse, social_worker, patient, food_service
):
    referral = referrals.make_referral(
        patient, actor=nurse, service=food_service, owner=social_worker, state="sent"
    )
    first = open_huddle(team, nurse)
    assert not [i for i in agenda(first) if i.source == ItemSource.REFERRAL_OVERDUE]
    run_and_close(first, nurse)
    frozen.shift(timedelta(days=30))
    second = open_huddle(team, nurse)
    (item,) = [i for i in agenda(second) if i.source == ItemSource.REFERRAL_OVERDUE]
    assert item.key == f"referral_overdue:r{referral.pk}"
    assert "Weekly food boxes" in item.title
    assert item.evidence[0]["object_id"] == referral.pk
    assert social_worker.last_name in item.evidence[0]["detail"]
    run_and_close(second, nurse)
    referrals.move_along(referral, actor=nurse, path=["received"])
    frozen.shift(timedelta(days=1))
    assert not [
        i for i in agenda(open_huddle(team, nurse)) if i.source == ItemSource.REFERRAL_OVERDUE
    ]


def test_work_of_a_deactivated_account_is_orphaned(frozen, team, nurse, chw, patient):
    make_task(patient, chw, due_in=-timedelta(days=1), title="Home visit")
    chw.is_active = False
    chw.save(update_fields=["is_active"])
    assert [item.source for item in agenda(open_huddle(team, nurse))] == [ItemSource.ORPHANED_TASKS]


# --- care plans ---------------------------------------------------------------------------


def test_plan_left_unsigned_too_long_comes_up_until_a_pcp_signs_it(
    frozen, team, nurse, pcp, patient
):
    from apps.careplans.selectors import care_plan_review
    from apps.careplans.services import care_plan_sign

    plan = careplans.make_plan(patient, nurse)
    assert not [
        i for i in agenda(open_huddle(team, nurse)) if i.source == ItemSource.CARE_PLAN_REVIEW
    ]
    run_and_close(Huddle.objects.get(status="open"), nurse)
    frozen.shift(timedelta(days=20))
    second = open_huddle(team, nurse)
    (item,) = [i for i in agenda(second) if i.source == ItemSource.CARE_PLAN_REVIEW]
    assert item.key == f"care_plan_review:c{plan.pk}"
    assert item.patient_id == patient.pk
    assert item.evidence[0]["object_id"] == plan.pk
    assert "20 days" in item.evidence[0]["detail"]
    run_and_close(second, nurse)
    review = care_plan_review(user=pcp, plan=plan)
    care_plan_sign(actor=pcp, plan=plan, fingerprint=review.fingerprint)
    frozen.shift(timedelta(days=7))
    assert not [
        i for i in agenda(open_huddle(team, nurse)) if i.source == ItemSource.CARE_PLAN_REVIEW
    ]
