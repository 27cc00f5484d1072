from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Role
from apps.careplans import selectors, services
from apps.careplans.models import CarePlanSettings
from apps.core.actors import JobActor
from apps.core.exceptions import NotFoundError
from apps.core.models import AuditAction, AuditEvent
from tests import factories
from tests.careplans.factories import make_goal, make_intervention, make_plan

# A transition of care asks for the review through a job acting for the organisation.
REVIEW_JOB = JobActor(job="transitions.plan_review")


def sign_now(pcp, plan):
    plan.refresh_from_db()
    review = selectors.care_plan_review(user=pcp, plan=plan)
    return services.care_plan_sign(actor=pcp, plan=plan, fingerprint=review.fingerprint)


def due_patient_ids(user, **kwargs):
    return [row.patient.pk for row in selectors.care_plans_due_for_review(user=user, **kwargs)]


def test_a_plan_unsigned_past_the_organisation_limit_is_due(patient, nurse, pcp):
    start = timezone.now()
    with time_machine.travel(start - timedelta(days=15), tick=False):
        make_plan(patient, nurse)
    with time_machine.travel(start, tick=False):
        rows = selectors.care_plans_due_for_review(user=pcp)
    assert [row.patient.pk for row in rows] == [patient.pk]
    assert rows[0].reasons == ["Never signed, started 15 days ago"]


def test_a_plan_unsigned_within_the_limit_is_not_due(patient, nurse, pcp):
    start = timezone.now()
    with time_machine.travel(start - timedelta(days=13), tick=False):
        make_plan(patient, nurse)
    assert due_patient_ids(pcp) == []


def test_the_unsigned_limit_is_an_organisation_setting(patient, nurse, pcp, organisation):
    CarePlanSettings.objects.create(organisation=organisation, unsigned_days=3)
    start = timezone.now()
    with time_machine.travel(start - timedelta(days=4), tick=False):
        make_plan(patient, nurse)
    assert due_patient_ids(pcp) == [patient.pk]


def test_changes_after_a_signature_are_due_once_unsigned_too_long(patient, nurse, pcp):
    start = timezone.now()
    with time_machine.travel(start - timedelta(days=30), tick=False):
        plan = make_plan(patient, nurse)
        sign_now(pcp, plan)
    with time_machine.travel(start - timedelta(days=20), tick=False):
        make_goal(plan, nurse)
    rows = selectors.care_plans_due_for_review(user=pcp)
    assert rows[0].reasons == ["Changes unsigned for 20 days"]


def test_a_plan_not_reviewed_for_ninety_days_is_due(patient, other_patient, nurse, pcp, team):
    third = factories.make_patient(team)
    start = timezone.now()
    with time_machine.travel(start - timedelta(days=91), tick=False):
        old = make_plan(patient, nurse)
        sign_now(pcp, old)
    with time_machine.travel(start - timedelta(days=89), tick=False):
        recent = make_plan(third, nurse)
        sign_now(pcp, recent)
    rows = selectors.care_plans_due_for_review(user=pcp)
    assert [row.patient.pk for row in rows] == [patient.pk]
    assert rows[0].reasons == ["Not reviewed for 91 days"]


def test_a_review_requested_after_a_transition_is_due_at_once(patient, nurse, pcp):
    plan = make_plan(patient, nurse)
    sign_now(pcp, plan)
    assert due_patient_ids(pcp) == []
    services.care_plan_review_request(actor=REVIEW_JOB, patient=patient, reason="Discharged home")
    rows = selectors.care_plans_due_for_review(user=pcp)
    assert rows[0].reasons == ["Review requested: Discharged home"]
    sign_now(pcp, plan)
    assert due_patient_ids(pcp) == []


def test_retired_plans_and_other_teams_plans_are_not_listed(
    patient, other_patient, nurse, pcp, outsider
):
    make_plan(other_patient, outsider)
    services.care_plan_review_request(actor=REVIEW_JOB, patient=other_patient, reason="ED visit")
    plan = make_plan(patient, nurse)
    services.care_plan_review_request(actor=REVIEW_JOB, patient=patient, reason="Admitted")
    assert due_patient_ids(pcp) == [patient.pk]
    assert due_patient_ids(outsider) == [other_patient.pk]
    services.care_plan_retire(actor=nurse, plan=plan, reason="Moved away")
    assert due_patient_ids(pcp) == []


def test_the_team_filter_narrows_the_list(patient, nurse, team, other_team, pcp):
    other_patient = factories.make_patient(other_team)
    factories.make_member(other_team, Role.RN_CARE_COORDINATOR, user=nurse)
    make_plan(patient, nurse)
    make_plan(other_patient, nurse)
    for each in (patient, other_patient):
        services.care_plan_review_request(actor=REVIEW_JOB, patient=each, reason="Admitted")
    assert sorted(due_patient_ids(nurse)) == sorted([patient.pk, other_patient.pk])
    assert due_patient_ids(nurse, team_id=other_team.pk) == [other_patient.pk]


def test_the_due_list_is_audited_with_the_patients_shown(patient, nurse, pcp):
    make_plan(patient, nurse)
    services.care_plan_review_request(actor=REVIEW_JOB, patient=patient, reason="Admitted")
    selectors.care_plans_due_for_review(user=pcp)
    event = AuditEvent.objects.filter(actor=pcp, action=AuditAction.LIST).latest("id")
    assert event.patient_ids == [patient.pk]
    assert event.object_type == "careplans.careplan"


def test_the_due_list_runs_a_fixed_number_of_queries(team, nurse, pcp):
    def count_for(number):
        for _ in range(number):
            make_plan(factories.make_patient(team), nurse)
        services_patients = [plan.patient for plan in selectors.care_plan_list_for_user(user=nurse)]
        for each in services_patients:
            services.care_plan_review_request(actor=REVIEW_JOB, patient=each, reason="Admitted")
        as_in_a_request = type(pcp).objects.get(pk=pcp.pk)  # no rights cached from before
        with CaptureQueriesContext(connection) as queries:
            rows = selectors.care_plans_due_for_review(user=as_in_a_request)
        return len(rows), len(queries)

    small_rows, small_queries = count_for(2)
    large_rows, large_queries = count_for(12)
    assert (small_rows, large_rows) == (2, 14)
    assert small_queries == large_queries


def test_the_plan_page_query_count_does_not_grow_with_goals(patient, nurse, client_for):
    plan = make_plan(patient, nurse)
    goal = make_goal(plan, nurse)
    make_intervention(goal, nurse)
    client = client_for(nurse)
    url = reverse("careplans:plan", args=[patient.pk])
    client.get(url)  # warm the session and the per-process lookups
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    for number in range(6):
        more = make_goal(plan, nurse, description=f"Goal {number}")
        make_intervention(more, nurse, description=f"Step {number}")
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small)


def test_another_teams_plan_is_not_found_like_a_missing_one(patient, nurse, outsider):
    plan = make_plan(patient, nurse)
    with pytest.raises(NotFoundError):
        selectors.care_plan_get_for_user(user=outsider, plan_id=plan.pk)
    with pytest.raises(NotFoundError):
        selectors.care_plan_get_for_user(user=outsider, plan_id=987654)
    assert AuditEvent.objects.filter(
        actor=outsider, action=AuditAction.DENIED, patient_id=patient.pk
    ).exists()


def test_reading_a_plan_is_audited_with_the_patient(patient, nurse, pcp):
    plan = make_plan(patient, nurse)
    selectors.care_plan_get_for_user(user=pcp, plan_id=plan.pk)
    assert AuditEvent.objects.filter(
        actor=pcp,
        action=AuditAction.VIEW,
        object_type="careplans.careplan",
        patient_id=patient.pk,
    ).exists()


def test_the_detail_flags_work_owned_by_someone_who_left_the_team(patient, nurse, team, org_admin):
    from apps.teams.models import TeamMembership
    from apps.teams.services import team_member_remove

    leaver = factories.make_member(team, Role.SOCIAL_WORKER, username="leaver")
    plan = make_plan(patient, nurse)
    goal = make_goal(plan, nurse, owner=leaver)
    make_intervention(goal, nurse, owner=leaver)
    team_member_remove(actor=org_admin, membership=TeamMembership.objects.get(user=leaver))
    detail = selectors.care_plan_detail_for_user(user=nurse, patient_id=patient.pk)
    assert [g.pk for g in detail.orphaned_goals] == [goal.pk]
    assert len(detail.open_interventions_without_owner_on_team) == 1
