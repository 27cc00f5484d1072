from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import Role
from apps.careplans import services
from apps.careplans.models import (
    Barrier,
    CarePlan,
    CarePlanStatus,
    CarePlanVersion,
    Goal,
    GoalDomain,
    GoalStatus,
    Intervention,
    InterventionState,
    Pathway,
)
from apps.core.actors import JobActor
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditEvent
from apps.tasks.models import Task, TaskSource, TaskStatus
from apps.teams.models import TeamMembership
from apps.teams.services import team_member_add, team_member_remove
from tests import factories
from tests.careplans.factories import (
    in_days,
    make_barrier,
    make_goal,
    make_intervention,
    make_plan,
)

# A transition of care asks for the review through a job acting for the organisation.
REVIEW_JOB = JobActor(job="transitions.plan_review")


def sign(pcp, plan):
    from apps.careplans.selectors import care_plan_review

    plan.refresh_from_db()
    review = care_plan_review(user=pcp, plan=plan)
    return services.care_plan_sign(actor=pcp, plan=plan, fingerprint=review.fingerprint)


# --- the plan -----------------------------------------------------------------


def test_starting_a_plan_makes_a_draft_with_version_one_and_an_audit_event(patient, nurse):
    plan = make_plan(patient, nurse, what_matters="Walk my granddaughter to school")
    assert plan.status == CarePlanStatus.DRAFT
    assert plan.version_count == 1
    version = plan.versions.get()
    assert version.number == 1
    assert version.created_by == nurse
    assert version.snapshot["what_matters"] == "Walk my granddaughter to school"
    assert plan.unsigned_since is not None
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_type="careplans.careplan", patient_id=patient.pk
    ).exists()


def test_a_patient_has_one_open_plan_the_service_refuses_a_second(patient, nurse):
    make_plan(patient, nurse)
    with pytest.raises(ApplicationError, match="already has a care plan"):
        make_plan(patient, nurse)
    assert CarePlan.objects.filter(patient=patient).count() == 1


def test_the_database_refuses_a_second_open_plan_for_a_patient(patient, nurse):
    make_plan(patient, nurse)
    with pytest.raises(IntegrityError), transaction.atomic():
        CarePlan.objects.create(patient=patient, status=CarePlanStatus.ACTIVE)


def test_a_retired_plan_makes_room_for_a_new_one(patient, nurse):
    plan = make_plan(patient, nurse)
    services.care_plan_retire(actor=nurse, plan=plan, reason="Replaced after a long admission")
    second = make_plan(patient, nurse)
    assert second.pk != plan.pk
    assert CarePlan.objects.filter(patient=patient, status=CarePlanStatus.RETIRED).count() == 1


def test_roles_without_any_plan_right_cannot_start_a_plan(patient, chw, pharmacist, pcp):
    for user in (chw, pharmacist, pcp):
        with pytest.raises(PermissionDenied):
            make_plan(patient, user)
    assert not CarePlan.objects.exists()


def test_an_outsider_cannot_start_a_plan_for_another_teams_patient(patient, outsider):
    with pytest.raises(PermissionDenied):
        make_plan(patient, outsider)


def test_updating_the_patient_voice_records_a_version_and_audits_field_names_only(patient, nurse):
    plan = make_plan(patient, nurse)
    agreed = timezone.now() - timedelta(hours=2)
    services.care_plan_update(
        actor=nurse,
        plan=plan,
        what_matters="Stay in my own home",
        priorities="Stay home\nSee my church friends",
        agreed_by="caregiver",
        agreement_method="phone",
        agreed_at=agreed,
        caregiver_name="Ana Garcia (daughter)",
        pam_level=2,
        health_literacy_limited=True,
    )
    plan.refresh_from_db()
    assert plan.version_count == 2
    assert plan.priority_list == ["Stay home", "See my church friends"]
    event = AuditEvent.objects.filter(
        action=AuditAction.UPDATE, object_type="careplans.careplan"
    ).latest("id")
    assert "what_matters" in event.detail["fields"]
    assert "Stay in my own home" not in str(event.detail)


def test_an_unchanged_update_records_no_version(patient, nurse):
    plan = make_plan(patient, nurse, what_matters="Garden again")
    services.care_plan_update(actor=nurse, plan=plan, what_matters="Garden again")
    plan.refresh_from_db()
    assert plan.version_count == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"agreed_by": "patient"}, "agreed_at"),
        ({"agreed_by": "patient", "agreed_at": "soon"}, "agreement_method"),
        ({"agreement_method": "phone"}, "agreed_by"),
        ({"pam_level": 5}, "pam_level"),
        (
            {"agreed_by": "caregiver", "agreement_method": "phone", "agreed_at": "past"},
            "caregiver_name",
        ),
        ({"advance_directive_date": "future", "advance_directive_reference": "x"}, None),
        ({"advance_directive_date": "past"}, "advance_directive_reference"),
    ],
)
def test_invalid_plan_details_are_refused_with_the_field_named(patient, nurse, values, field):
    plan = make_plan(patient, nurse)
    resolved = dict(values)
    for key, value in values.items():
        if value == "past":
            resolved[key] = (
                timezone.now() - timedelta(days=1)
                if key == "agreed_at"
                else timezone.localdate() - timedelta(days=30)
            )
        elif value == "future":
            resolved[key] = timezone.localdate() + timedelta(days=5)
        elif value == "soon":
            resolved[key] = timezone.now() - timedelta(minutes=5)
    with pytest.raises(ApplicationError) as error:
        services.care_plan_update(actor=nurse, plan=plan, **resolved)
    if field:
        assert field in error.value.field_errors
    plan.refresh_from_db()
    assert plan.version_count == 1


def test_an_agreement_in_the_future_is_refused(patient, nurse):
    plan = make_plan(patient, nurse)
    with pytest.raises(ApplicationError) as error:
        services.care_plan_update(
            actor=nurse,
            plan=plan,
            agreed_by="patient",
            agreement_method="in_person",
            agreed_at=timezone.now() + timedelta(days=1),
        )
    assert "agreed_at" in error.value.field_errors


def test_pathways_of_another_organisation_cannot_be_linked(patient, nurse):
    plan = make_plan(patient, nurse)
    elsewhere = factories.make_organisation()
    foreign = Pathway.objects.create(organisation=elsewhere, code="CHF", name="Heart failure")
    own = Pathway.objects.create(organisation=patient.organisation, code="DM2", name="Diabetes")
    with pytest.raises(ApplicationError):
        services.care_plan_update(actor=nurse, plan=plan, pathways=[foreign])
    services.care_plan_update(actor=nurse, plan=plan, pathways=[own])
    assert list(plan.pathways.all()) == [own]
    plan.refresh_from_db()
    assert plan.versions.get(number=plan.version_count).snapshot["pathways"] == ["DM2: Diabetes"]


def test_the_advance_directive_is_kept_as_a_reference_with_its_date(patient, nurse):
    plan = make_plan(patient, nurse)
    services.care_plan_update(
        actor=nurse,
        plan=plan,
        advance_directive_reference="DMS-2024-000871",
        advance_directive_date=timezone.localdate() - timedelta(days=400),
    )
    plan.refresh_from_db()
    assert plan.advance_directive_reference == "DMS-2024-000871"


def test_the_social_worker_cannot_edit_the_patient_voice_of_another_team(patient, nurse, outsider):
    plan = make_plan(patient, nurse)
    with pytest.raises(PermissionDenied):
        services.care_plan_update(actor=outsider, plan=plan, what_matters="x")


def test_a_retired_plan_refuses_changes(patient, nurse):
    plan = make_plan(patient, nurse)
    services.care_plan_retire(actor=nurse, plan=plan, reason="Moved away")
    with pytest.raises(ApplicationError, match="retired"):
        make_goal(plan, nurse)


# --- goals and domain rights ---------------------------------------------------


@pytest.mark.parametrize(
    ("member", "allowed"),
    [
        ("nurse", {"medical", "behavioral", "functional"}),
        ("social_worker", {"social"}),
        ("pcp", set()),
        ("chw", set()),
        ("pharmacist", set()),
        ("specialist", set()),
    ],
)
def test_each_role_adds_goals_only_in_its_domains(request, patient, nurse, member, allowed):
    user = request.getfixturevalue(member)
    plan = make_plan(patient, nurse)
    for domain in GoalDomain.values:
        if domain in allowed:
            goal = make_goal(plan, user, domain=domain, owner=nurse)
            assert goal.domain == domain
        else:
            with pytest.raises(PermissionDenied):
                make_goal(plan, user, domain=domain, owner=nurse)
    assert Goal.objects.filter(plan=plan).count() == len(allowed)


def test_a_goal_needs_a_target_a_future_date_and_a_team_member_as_owner(patient, nurse, outsider):
    plan = make_plan(patient, nurse)
    with pytest.raises(ApplicationError) as error:
        make_goal(plan, nurse, target=" ", target_date=in_days(-1))
    assert set(error.value.field_errors) == {"target", "target_date"}
    with pytest.raises(ApplicationError) as error:
        make_goal(plan, nurse, owner=outsider)
    assert "owner" in error.value.field_errors
    assert not Goal.objects.exists()
    plan.refresh_from_db()
    assert plan.version_count == 1


def test_the_database_refuses_a_goal_without_a_target(patient, nurse):
    plan = make_plan(patient, nurse)
    with pytest.raises(IntegrityError), transaction.atomic():
        Goal.objects.create(
            plan=plan,
            domain="medical",
            description="x",
            target="",
            target_date=in_days(5),
            owner=nurse,
        )


def test_moving_a_goal_to_another_domain_needs_the_rights_of_both(patient, nurse, social_worker):
    plan = make_plan(patient, nurse)
    goal = make_goal(plan, nurse, domain=GoalDomain.MEDICAL)
    with pytest.raises(PermissionDenied):
        services.goal_update(actor=nurse, goal=goal, domain=GoalDomain.SOCIAL)
    with pytest.raises(PermissionDenied):
        services.goal_update(actor=social_worker, goal=goal, domain=GoalDomain.SOCIAL)
    goal.refresh_from_db()
    assert goal.domain == GoalDomain.MEDICAL


def test_cancelling_a_goal_cancels_the_open_tasks_of_its_interventions(
    patient, nurse, social_worker
):
    plan = make_plan(patient, nurse)
    goal = make_goal(plan, nurse)
    first = make_intervention(goal, nurse, owner=social_worker)
    second = make_intervention(goal, nurse, description="Teach insulin pen use")
    services.goal_update(actor=nurse, goal=goal, status=GoalStatus.CANCELLED)
    for intervention in (first, second):
        intervention.task.refresh_from_db()
        assert intervention.task.status == TaskStatus.CANCELLED
        assert intervention.task.status_reason
    with pytest.raises(ApplicationError):
        make_intervention(goal, nurse)


def test_removing_a_goal_removes_its_interventions_cancels_tasks_and_unlinks_barriers(
    patient, nurse
):
    plan = make_plan(patient, nurse)
    goal = make_goal(plan, nurse)
    intervention = make_intervention(goal, nurse)
    barrier = make_barrier(plan, nurse, intervention=intervention)
    task_id = intervention.task_id
    services.goal_remove(actor=nurse, goal=goal)
    assert not Goal.objects.filter(pk=goal.pk).exists()
    assert not Intervention.objects.filter(pk=intervention.pk).exists()
    assert Task.objects.get(pk=task_id).status == TaskStatus.CANCELLED
    barrier.refresh_from_db()
    assert barrier.intervention is None


# --- interventions and their tasks ---------------------------------------------


def test_an_intervention_creates_one_task_for_its_owner_due_that_day(patient, nurse, social_worker):
    plan = make_plan(patient, nurse)
    goal = make_goal(plan, nurse)
    intervention = make_intervention(goal, nurse, owner=social_worker, due_date=in_days(3))
    task = Task.objects.get(
        source_type=TaskSource.CARE_PLAN_INTERVENTION, source_id=intervention.pk
    )
    assert intervention.task == task
    assert task.owner == social_worker
    assert task.title == intervention.description
    assert task.patient == patient
    assert timezone.localtime(task.due_at).date() == in_days(3)
    assert intervention.state == InterventionState.PLANNED


def test_an_intervention_owner_must_be_on_the_team_and_nothing_is_half_written(
    patient, nurse, outsider
):
    plan = make_plan(patient, nurse)
    goal = make_goal(plan, nurse)
    with pytest.raises(ApplicationError) as error:
        make_intervention(goal, nurse, owner=outsider)
    assert "owner" in error.value.field_errors
    assert not Intervention.objects.exists()
    assert not Task.objects.exists()


def test_roles_without_edit_care_plan_cannot_add_interventions(patient, nurse, chw, pcp):
    plan = make_plan(patient, nurse)
    goal = make_goal(plan, nurse)
    for user in (chw, pcp):
        with pytest.raises(PermissionDenied):
            make_intervention(goal, user, owner=nurse)
    assert not Task.objects.exists()


def test_changing_the_owner_reassigns_the_task_with_the_reason(patient, nurse, social_worker):
    plan = make_plan(patient, nurse)
    goal = make_goal(plan, nurse)
    intervention = make_intervention(goal, nurse)
    task_id = intervention.task_id
    with pytest.raises(ApplicationError) as error:
        services.intervention_update(actor=nurse, intervention=intervention, owner=social_worker)
    assert "reason" in error.value.field_errors
    services.intervention_update(
        actor=nurse,
        intervention=intervention,
        owner=social_worker,
        reason="Housing questions are hers",
    )
    intervention.refresh_from_db()
    assert intervention.task_id == task_id
    task = Task.objects.get(pk=task_id)
    assert task.owner == social_worker
    event = task.events.get(kind="reassigned")
    assert event.reason == "Housing questions are hers"
    assert event.from_owner == nurse


def test_changing_the_title_or_due_date_updates_the_same_task(patient, nurse):
    plan = make_plan(patient, nurse)
    goal = make_goal(plan, nurse)
    intervention = make_intervention(goal, nurse, due_date=in_days(3))
    task_id = intervention.task_id
    services.intervention_update(
        actor=nurse,
        intervention=intervention,
        description="Call twice a week",
        due_date=in_days(10),
    )
    task = Task.objects.get(pk=task_id)
    assert task.title == "Call twice a week"
    assert timezone.localtime(task.due_at).date() == in_days(10)
    assert task.is_open
    assert Task.objects.filter(source_id=intervention.pk).count() == 1


def test_cancelling_an_intervention_cancels_its_task_and_keeps_the_row(patient, nurse):
    plan = make_plan(patient, nurse)
    goal = make_goal(plan, nurse)
    intervention = make_intervention(goal, nurse)
    with pytest.raises(ApplicationError):
        services.intervention_cancel(actor=nurse, intervention=intervention, reason=" ")
    services.intervention_cancel(actor=nurse, intervention=intervention, reason="Not needed")
    intervention.refresh_from_db()
    assert intervention.task.status == TaskStatus.CANCELLED
    assert intervention.state == InterventionState.CANCELLED
    with pytest.raises(ApplicationError, match="finished or cancelled"):
        services.intervention_update(actor=nurse, intervention=intervention, due_date=in_days(9))


def test_a_non_lead_editor_cannot_reassign_someone_elses_task(patient, nurse, social_worker, chw):
    plan = make_plan(patient, nurse)
    goal = make_goal(plan, nurse)
    intervention = make_intervention(goal, nurse, owner=chw)
    with pytest.raises(PermissionDenied):
        services.intervention_update(
            actor=social_worker, intervention=intervention, owner=social_worker, reason="Mine now"
        )
    intervention.task.refresh_from_db()
    assert intervention.task.owner == chw


def test_retiring_a_plan_cancels_every_open_intervention_task(patient, nurse, org_admin):
    plan = make_plan(patient, nurse)
    goal = make_goal(plan, nurse)
    tasks = [make_intervention(goal, nurse, description=f"Step {n}").task_id for n in range(3)]
    with pytest.raises(ApplicationError):
        services.care_plan_retire(actor=nurse, plan=plan, reason="")
    services.care_plan_retire(actor=org_admin, plan=plan, reason="Patient moved out of state")
    assert set(Task.objects.filter(pk__in=tasks).values_list("status", flat=True)) == {
        TaskStatus.CANCELLED
    }
    plan.refresh_from_db()
    assert plan.status == CarePlanStatus.RETIRED
    assert plan.versions.get(number=plan.version_count).summary == "Plan retired"


# --- barriers ------------------------------------------------------------------


def test_a_barrier_points_to_an_intervention_of_the_same_plan(
    patient, other_patient, nurse, outsider
):
    plan = make_plan(patient, nurse)
    goal = make_goal(plan, nurse)
    intervention = make_intervention(goal, nurse)
    other_plan = make_plan(other_patient, outsider)
    other_goal = make_goal(other_plan, outsider)
    foreign = make_intervention(other_goal, outsider)
    barrier = make_barrier(plan, nurse, intervention=intervention)
    assert barrier.intervention == intervention
    with pytest.raises(ApplicationError) as error:
        make_barrier(plan, nurse, intervention=foreign)
    assert "intervention" in error.value.field_errors


def test_a_barrier_sub_component_must_belong_to_its_component(patient, nurse):
    plan = make_plan(patient, nurse)
    with pytest.raises(ApplicationError) as error:
        make_barrier(plan, nurse, component="capability", sub_component="social_opportunity")
    assert "sub_component" in error.value.field_errors
    with pytest.raises(IntegrityError), transaction.atomic():
        Barrier.objects.create(
            plan=plan,
            component="motivation",
            sub_component="physical_capability",
            description="x",
        )
    barrier = make_barrier(plan, nurse, component="motivation", sub_component="")
    services.barrier_update(actor=nurse, barrier=barrier, sub_component="automatic_motivation")
    barrier.refresh_from_db()
    assert barrier.sub_component == "automatic_motivation"


def test_barriers_need_the_edit_care_plan_right(patient, nurse, chw):
    plan = make_plan(patient, nurse)
    with pytest.raises(PermissionDenied):
        make_barrier(plan, chw)
    barrier = make_barrier(plan, nurse)
    with pytest.raises(PermissionDenied):
        services.barrier_remove(actor=chw, barrier=barrier)
    services.barrier_remove(actor=nurse, barrier=barrier)
    assert not Barrier.objects.exists()


# --- signing ---------------------------------------------------------------------


def test_a_pcp_on_the_team_signs_and_the_plan_becomes_active(patient, nurse, pcp):
    plan = make_plan(patient, nurse)
    make_goal(plan, nurse)
    version = sign(pcp, plan)
    plan.refresh_from_db()
    assert version.signed_by == pcp
    assert version.number == plan.version_count == 2
    assert plan.status == CarePlanStatus.ACTIVE
    assert plan.unsigned_since is None
    assert plan.last_signed_at == version.signed_at


def test_a_change_after_signing_makes_the_plan_revised_and_starts_the_unsigned_clock(
    patient, nurse, pcp
):
    plan = make_plan(patient, nurse)
    sign(pcp, plan)
    make_goal(plan, nurse)
    plan.refresh_from_db()
    assert plan.status == CarePlanStatus.REVISED
    assert plan.unsigned_since is not None


@pytest.mark.parametrize("member", ["nurse", "social_worker", "chw", "pharmacist", "specialist"])
def test_signing_is_refused_for_every_role_but_the_pcp(request, patient, nurse, member):
    user = request.getfixturevalue(member)
    plan = make_plan(patient, nurse)
    with pytest.raises(PermissionDenied):
        sign(user, plan)
    assert not CarePlanVersion.objects.filter(signed_at__isnull=False).exists()


def test_signing_is_refused_for_a_pcp_of_another_team(patient, nurse, other_team):
    other_pcp = factories.make_member(other_team, Role.PCP, username="otherpcp")
    plan = make_plan(patient, nurse)
    with pytest.raises(PermissionDenied):
        services.care_plan_sign(
            actor=other_pcp, plan=plan, fingerprint=plan.versions.get().fingerprint
        )
    plan.refresh_from_db()
    assert plan.status == CarePlanStatus.DRAFT


def test_signing_is_refused_for_a_pcp_who_left_the_team(patient, nurse, pcp, org_admin):
    plan = make_plan(patient, nurse)
    team_member_remove(actor=org_admin, membership=TeamMembership.objects.get(user=pcp))
    with pytest.raises(PermissionDenied):
        sign(pcp, plan)


def test_signing_is_refused_for_a_non_pcp_even_if_they_hold_the_sign_right_elsewhere(
    patient, nurse, team, org_admin
):
    # A specialist given a second membership as PCP on another team still cannot sign here.
    specialist = factories.make_member(team, Role.SPECIALIST, username="spec2")
    other = factories.make_team(team.organisation)
    team_member_add(actor=org_admin, team=other, user=specialist, role=Role.PCP)
    plan = make_plan(patient, nurse)
    with pytest.raises(PermissionDenied):
        sign(specialist, plan)


def test_signing_a_stale_review_is_refused(patient, nurse, pcp):
    from apps.careplans.selectors import care_plan_review

    plan = make_plan(patient, nurse)
    review = care_plan_review(user=pcp, plan=plan)
    make_goal(plan, nurse)
    plan.refresh_from_db()
    with pytest.raises(ApplicationError) as error:
        services.care_plan_sign(actor=pcp, plan=plan, fingerprint=review.fingerprint)
    assert "fingerprint" in error.value.field_errors
    assert not plan.versions.filter(signed_at__isnull=False).exists()


def test_a_review_without_changes_is_kept_as_a_new_signed_version(patient, nurse, pcp):
    plan = make_plan(patient, nurse)
    first = sign(pcp, plan)
    second = sign(pcp, plan)
    assert second.number == first.number + 1
    assert second.summary == "Reviewed without changes"
    assert second.snapshot == first.snapshot


def test_a_reassignment_from_the_task_lists_is_its_own_version_at_once_and_is_signed(
    patient, nurse, pcp, social_worker
):
    """Was: the change waited for the next signature to become a version (no author)."""
    from apps.tasks.services import task_reassign

    plan = make_plan(patient, nurse)
    intervention = make_intervention(make_goal(plan, nurse), nurse)
    sign(pcp, plan)
    task_reassign(actor=nurse, task=intervention.task, new_owner=social_worker, reason="Leave")
    plan.refresh_from_db()
    latest = plan.versions.order_by("-number").first()
    assert latest.summary == "Intervention task reassigned from the task lists"
    assert latest.created_by == nurse
    version = sign(pcp, plan)
    assert version.pk == latest.pk
    assert version.snapshot["interventions"][0]["owner_id"] == social_worker.pk


def test_signing_clears_a_review_request(patient, nurse, pcp):
    plan = make_plan(patient, nurse)
    services.care_plan_review_request(actor=REVIEW_JOB, patient=patient, reason="Discharged home")
    plan.refresh_from_db()
    assert plan.review_requested_at is not None
    sign(pcp, plan)
    plan.refresh_from_db()
    assert plan.review_requested_at is None
    assert plan.review_request_reason == ""


# --- review requests --------------------------------------------------------------


def test_a_review_request_keeps_the_first_time_and_the_latest_reason(patient, nurse):
    plan = make_plan(patient, nurse)
    services.care_plan_review_request(actor=nurse, patient=patient, reason="Admitted")
    plan.refresh_from_db()
    first = plan.review_requested_at
    services.care_plan_review_request(actor=REVIEW_JOB, patient=patient, reason="Discharged to SNF")
    plan.refresh_from_db()
    assert plan.review_requested_at == first
    assert plan.review_request_reason == "Discharged to SNF"
    assert plan.version_count == 1


def test_a_review_request_without_a_plan_does_nothing(patient):
    assert services.care_plan_review_request(actor=REVIEW_JOB, patient=patient, reason="x") is None
    assert not CarePlan.objects.exists()


def test_a_review_request_from_outside_the_team_is_refused(patient, nurse, outsider):
    make_plan(patient, nurse)
    with pytest.raises(PermissionDenied):
        services.care_plan_review_request(actor=outsider, patient=patient, reason="x")


def test_a_review_request_by_a_job_is_audited_for_the_person_it_acts_for(patient, nurse):
    from apps.core.models import AuditEvent

    plan = make_plan(patient, nurse)
    job = JobActor(job="transitions.plan_review", for_user=nurse)
    services.care_plan_review_request(actor=job, patient=patient, reason="Discharged home")
    event = AuditEvent.objects.filter(object_id=str(plan.pk)).order_by("-id").first()
    assert event.actor == nurse
    assert "review_requested_at" in event.detail["fields"]


def test_a_job_for_another_organisation_cannot_flag_the_plan(patient, nurse):
    plan = make_plan(patient, nurse)
    elsewhere = JobActor(job="transitions.plan_review", organisation_id=patient.organisation_id + 1)
    with pytest.raises(PermissionDenied):
        services.care_plan_review_request(actor=elsewhere, patient=patient, reason="x")
    plan.refresh_from_db()
    assert plan.review_requested_at is None


def test_care_plan_settings_are_created_with_defaults_on_first_use(organisation):
    settings_row = services.care_plan_settings_get(organisation=organisation)
    assert (settings_row.unsigned_days, settings_row.review_interval_days) == (14, 90)
    assert services.care_plan_settings_get(organisation=organisation).pk == settings_row.pk
