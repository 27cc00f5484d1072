"""An intervention and its task never disagree about who owns the work, whatever the door.

The owner lives only on the task, so the checks here look for the ways that
could still go wrong: an intervention without a task, a second open task for
the same intervention, an open task without an owner, an API or page showing
someone else than the task's owner.
"""

import pytest
from django.contrib.admin.sites import site
from django.db import IntegrityError, transaction
from django.test import RequestFactory
from django.urls import reverse

from apps.careplans import selectors, services
from apps.careplans.admin import CarePlanAdmin
from apps.careplans.models import CarePlan, CarePlanStatus, Intervention
from apps.core.exceptions import ApplicationError
from apps.tasks.models import OPEN_STATUSES, Task, TaskSource
from apps.tasks.services import task_cancel, task_complete, task_reassign
from apps.teams.models import TeamMembership
from apps.teams.services import team_member_remove
from tests.careplans.factories import in_days, make_goal, make_intervention, make_plan


def assert_in_step(plan: CarePlan, viewer) -> None:
    interventions = list(Intervention.objects.filter(plan=plan).select_related("task"))
    for intervention in interventions:
        assert intervention.task_id is not None
        sourced = Task.objects.filter(
            source_type=TaskSource.CARE_PLAN_INTERVENTION, source_id=intervention.pk
        )
        assert sourced.count() == 1, "one task per intervention, never a twin"
        task = sourced.get()
        assert task.pk == intervention.task_id
        if task.status in OPEN_STATUSES:
            assert task.owner_id is not None
        assert intervention.owner_id == task.owner_id
    # Every care plan task belongs to a live intervention.
    orphans = Task.objects.filter(
        source_type=TaskSource.CARE_PLAN_INTERVENTION, status__in=OPEN_STATUSES
    ).exclude(care_plan_intervention__isnull=False)
    assert not orphans.exists()
    # What the plan shows and what the API says is the task's owner.
    detail = selectors.care_plan_detail_for_user(user=viewer, patient_id=plan.patient_id)
    for intervention in detail.interventions:
        assert intervention.owner_id == Task.objects.get(pk=intervention.task_id).owner_id


def test_no_path_leaves_an_intervention_and_its_task_out_of_step(
    patient, nurse, social_worker, chw, pcp, org_admin, client_for, api_for, team
):
    plan = make_plan(patient, nurse)
    goal = make_goal(plan, nurse)

    # Service door.
    first = make_intervention(goal, nurse, owner=chw)
    assert_in_step(plan, pcp)
    services.intervention_update(
        actor=nurse, intervention=first, owner=social_worker, reason="Housing is hers"
    )
    assert_in_step(plan, pcp)
    services.intervention_update(actor=nurse, intervention=first, due_date=in_days(20))
    assert_in_step(plan, pcp)

    # UI door.
    client_for(nurse).post(
        reverse("careplans:intervention_add", args=[patient.pk, goal.pk]),
        {
            f"new-intervention-{goal.pk}-description": "UI step",
            f"new-intervention-{goal.pk}-owner": chw.pk,
            f"new-intervention-{goal.pk}-due_date": in_days(2).isoformat(),
        },
    )
    from_ui = Intervention.objects.get(description="UI step")
    client_for(nurse).post(
        reverse("careplans:intervention_edit", args=[patient.pk, from_ui.pk]),
        {
            f"intervention-{from_ui.pk}-description": "UI step",
            f"intervention-{from_ui.pk}-owner": nurse.pk,
            f"intervention-{from_ui.pk}-due_date": in_days(2).isoformat(),
            f"intervention-{from_ui.pk}-reason": "Taking it over",
        },
    )
    assert Task.objects.get(pk=from_ui.task_id).owner == nurse
    assert_in_step(plan, pcp)

    # API door.
    created = api_for(nurse).post(
        reverse("api-careplan-interventions", args=[plan.pk]),
        {
            "goal_id": goal.pk,
            "description": "API step",
            "owner_id": chw.pk,
            "due_date": in_days(3).isoformat(),
        },
        format="json",
    )
    api_id = created.json()["id"]
    api_for(nurse).patch(
        reverse("api-careplan-intervention", args=[plan.pk, api_id]),
        {"owner_id": social_worker.pk, "reason": "Rebalancing"},
        format="json",
    )
    assert Intervention.objects.get(pk=api_id).owner == social_worker
    assert_in_step(plan, pcp)

    # The task lists (My work): reassigned, completed and cancelled there.
    from_tasks = make_intervention(goal, nurse, owner=chw, description="Worklist step")
    task_reassign(actor=chw, task=from_tasks.task, new_owner=nurse, reason="Swapped days")
    from_tasks.refresh_from_db()
    assert from_tasks.owner == nurse
    assert_in_step(plan, pcp)
    task_complete(actor=nurse, task=from_tasks.task)
    task_cancel(actor=nurse, task=Intervention.objects.get(pk=api_id).task, reason="Not needed")
    assert_in_step(plan, pcp)

    # A refused reassignment leaves both as they were.
    before = Task.objects.get(pk=first.task_id).owner_id
    with pytest.raises(ApplicationError, match="care team"):
        services.intervention_update(
            actor=nurse, intervention=first, owner=org_admin, reason="Not on the team"
        )
    assert Task.objects.get(pk=first.task_id).owner_id == before
    assert_in_step(plan, pcp)

    # A member leaves: their open work stays theirs, visible as orphaned, never unowned.
    team_member_remove(actor=org_admin, membership=TeamMembership.objects.get(user=social_worker))
    assert Task.objects.get(pk=first.task_id).owner == social_worker
    assert_in_step(plan, pcp)

    # Goal cancelled, goal removed, then the admin retires the plan.
    other_goal = make_goal(plan, nurse, description="Second goal")
    make_intervention(other_goal, nurse, description="Will be removed")
    services.goal_remove(actor=nurse, goal=other_goal)
    assert_in_step(plan, pcp)
    request = RequestFactory().post("/admin/careplans/careplan/")
    request.user = org_admin
    request._messages = _Messages()  # type: ignore[attr-defined]
    CarePlanAdmin(CarePlan, site).retire_plans(request, CarePlan.objects.filter(pk=plan.pk))
    plan.refresh_from_db()
    assert plan.status == CarePlanStatus.RETIRED
    assert not Task.objects.filter(
        source_type=TaskSource.CARE_PLAN_INTERVENTION, status__in=OPEN_STATUSES
    ).exists()
    assert_in_step(plan, pcp)


def test_the_database_refuses_an_open_intervention_task_without_an_owner(patient, nurse):
    plan = make_plan(patient, nurse)
    intervention = make_intervention(make_goal(plan, nurse), nurse)
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=intervention.task_id).update(owner=None)


def test_two_editors_changing_the_owner_at_once_end_with_one_owner(
    patient, nurse, social_worker, chw, pcp
):
    plan = make_plan(patient, nurse)
    intervention = make_intervention(make_goal(plan, nurse), nurse)
    services.intervention_update(actor=nurse, intervention=intervention, owner=chw, reason="First")
    # The second editor still holds the old object: the service re-reads under a lock.
    services.intervention_update(
        actor=nurse, intervention=intervention, owner=social_worker, reason="Second"
    )
    task = Task.objects.get(pk=intervention.task_id)
    assert task.owner == social_worker
    assert list(task.events.filter(kind="reassigned").values_list("reason", flat=True)) == [
        "First",
        "Second",
    ]
    assert_in_step(plan, pcp)


class _Messages:
    """The admin's message_user needs a message store; this one keeps them for the test."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, level: int, message: str, extra_tags: str = "") -> None:
        self.messages.append(message)
