"""Interventions and barriers under a goal need the right for that goal's domain."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from apps.careplans import services
from apps.careplans.models import GoalDomain, Intervention
from apps.tasks.models import Task
from tests.careplans.factories import in_days, make_goal, make_intervention, make_plan, state


@pytest.fixture
def plan_with_goals(patient, nurse, social_worker):
    plan = make_plan(patient, nurse, what_matters="Stay in my flat")
    medical = make_goal(plan, nurse, description="Breathe easier on walks")
    social = make_goal(
        plan,
        social_worker,
        domain=GoalDomain.SOCIAL,
        description="Keep my housing",
        target="Lease renewed",
    )
    plan.refresh_from_db()
    return plan, medical, social


def test_a_social_worker_adds_an_intervention_to_a_social_goal(plan_with_goals, social_worker):
    _, _, social = plan_with_goals
    intervention = make_intervention(social, social_worker, description="Call the landlord")
    assert intervention.goal == social
    assert intervention.task is not None
    assert intervention.task.owner == social_worker


def test_a_social_worker_cannot_add_an_intervention_to_a_medical_goal(
    plan_with_goals, social_worker
):
    plan, medical, _ = plan_with_goals
    before = state(plan)
    with pytest.raises(PermissionDenied, match="Medical goals are edited by"):
        make_intervention(medical, social_worker, description="Double the inhaler")
    assert state(plan) == before


def test_a_nurse_adds_an_intervention_to_a_medical_goal_but_not_a_social_one(
    plan_with_goals, nurse
):
    plan, medical, social = plan_with_goals
    assert make_intervention(medical, nurse, description="Check oxygen").goal == medical
    before = state(plan)
    with pytest.raises(PermissionDenied, match="Social goals are edited by the team"):
        make_intervention(social, nurse, description="Fill in the housing form")
    assert state(plan) == before


def test_a_social_worker_cannot_reassign_or_stop_an_intervention_under_a_medical_goal(
    plan_with_goals, nurse, social_worker, chw
):
    plan, medical, _ = plan_with_goals
    intervention = make_intervention(medical, nurse, owner=chw, description="Home visit")
    before = state(plan)
    with pytest.raises(PermissionDenied):
        services.intervention_update(
            actor=social_worker, intervention=intervention, owner=social_worker, reason="Mine now"
        )
    with pytest.raises(PermissionDenied):
        services.intervention_cancel(actor=social_worker, intervention=intervention, reason="No")
    assert state(plan) == before
    assert Task.objects.get(source_id=intervention.pk).owner == chw


def test_a_barrier_tied_to_a_medical_intervention_needs_the_medical_right(
    plan_with_goals, nurse, social_worker
):
    plan, medical, social = plan_with_goals
    medical_work = make_intervention(medical, nurse, description="Spacer teaching")
    social_work = make_intervention(social, social_worker, description="Call the landlord")
    before = state(plan)
    with pytest.raises(PermissionDenied):
        services.barrier_create(
            actor=social_worker,
            plan=plan,
            component="capability",
            description="Forgets doses",
            intervention=medical_work,
        )
    assert state(plan) == before
    barrier = services.barrier_create(
        actor=social_worker,
        plan=plan,
        component="opportunity",
        description="Landlord does not answer",
        intervention=social_work,
    )
    plan_wide = services.barrier_create(
        actor=social_worker, plan=plan, component="motivation", description="Feels hopeless"
    )
    before = state(plan)
    with pytest.raises(PermissionDenied):
        services.barrier_update(actor=social_worker, barrier=barrier, intervention=medical_work)
    with pytest.raises(PermissionDenied):
        services.barrier_update(actor=nurse, barrier=barrier, description="Changed by the RN")
    assert state(plan) == before
    services.barrier_remove(actor=nurse, barrier=plan_wide)
    assert not plan.barriers.filter(pk=plan_wide.pk).exists()


def intervention_payload(goal, owner):
    return {
        "goal_id": goal.pk,
        "description": "Weekly check-in",
        "owner_id": owner.pk,
        "due_date": in_days(5).isoformat(),
    }


def test_the_api_refuses_a_social_worker_an_intervention_under_a_medical_goal(
    plan_with_goals, social_worker, api_for
):
    plan, medical, _ = plan_with_goals
    before = state(plan)
    response = api_for(social_worker).post(
        reverse("api-careplan-interventions", args=[plan.pk]),
        intervention_payload(medical, social_worker),
        format="json",
    )
    assert response.status_code == 403
    assert "Medical goals are edited by" in response.content.decode()
    assert "Rosa" not in response.content.decode()
    assert state(plan) == before


def test_the_api_lets_a_social_worker_add_to_a_social_goal_and_an_rn_to_a_medical_one(
    plan_with_goals, social_worker, nurse, api_for
):
    plan, medical, social = plan_with_goals
    url = reverse("api-careplan-interventions", args=[plan.pk])
    social_response = api_for(social_worker).post(
        url, intervention_payload(social, social_worker), format="json"
    )
    assert social_response.status_code == 201, social_response.content
    medical_response = api_for(nurse).post(url, intervention_payload(medical, nurse), format="json")
    assert medical_response.status_code == 201, medical_response.content
    assert set(Intervention.objects.filter(plan=plan).values_list("goal_id", flat=True)) == {
        social.pk,
        medical.pk,
    }


def test_the_plan_page_offers_interventions_only_under_goals_of_the_users_domain(
    plan_with_goals, social_worker, client_for
):
    plan, medical, social = plan_with_goals
    page = client_for(social_worker).get(reverse("careplans:plan", args=[plan.patient_id]))
    assert page.status_code == 200
    body = page.content.decode()
    assert f'id="add-intervention-{social.pk}"' in body
    assert f'id="add-intervention-{medical.pk}"' not in body
