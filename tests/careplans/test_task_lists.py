"""Work done on an intervention's task from the task lists is part of the plan at once."""

from django.urls import reverse

from apps.careplans import selectors, services
from apps.careplans.models import CarePlan, CarePlanStatus, Intervention, InterventionState
from apps.tasks.models import Task, TaskStatus
from tests.careplans.factories import in_days, make_intervention


def sign(pcp, plan):
    plan.refresh_from_db()
    review = selectors.care_plan_review(user=pcp, plan=plan)
    return services.care_plan_sign(actor=pcp, plan=plan, fingerprint=review.fingerprint)


def latest(plan: CarePlan):
    return plan.versions.order_by("-number").first()


def snapshot_item(version, intervention: Intervention) -> dict:
    return next(item for item in version.snapshot["interventions"] if item["id"] == intervention.pk)


def test_completing_an_intervention_task_from_my_work_records_a_plan_version(
    client_for, setup, chw, pcp
):
    sign(pcp, setup.plan)
    setup.plan.refresh_from_db()
    signed_count = setup.plan.version_count

    response = client_for(chw).post(
        reverse("tasks:complete", args=[setup.intervention.task_id]),
        {"note": "Inhaler technique taught"},
        HTTP_REFERER=reverse("tasks:my_work"),
    )
    assert response.status_code in (200, 302)
    assert Task.objects.get(pk=setup.intervention.task_id).status == TaskStatus.DONE

    plan = CarePlan.objects.get(pk=setup.plan.pk)
    assert plan.version_count == signed_count + 1
    version = latest(plan)
    assert version.created_by == chw
    assert version.summary == "Intervention task completed from the task lists"
    assert snapshot_item(version, setup.intervention)["state"] == InterventionState.DONE
    # The signed plan now carries a change its PCP has not seen.
    assert plan.status == CarePlanStatus.REVISED
    assert plan.unsigned_since is not None
    review = selectors.care_plan_review(user=pcp, plan=plan)
    assert [item.kind for item in review.diff.interventions] == ["changed"]


def test_bulk_reassigning_intervention_tasks_moves_the_intervention_owner_and_versions_the_plan(
    client_for, setup, nurse, chw, social_worker, pcp
):
    second = make_intervention(setup.goal, nurse, owner=chw, description="Pharmacy delivery")
    sign(pcp, setup.plan)
    setup.plan.refresh_from_db()
    signed_count = setup.plan.version_count

    response = client_for(nurse).post(
        reverse("tasks:bulk_reassign"),
        {
            "task_ids": [setup.intervention.task_id, second.task_id],
            "owner": social_worker.pk,
            "reason": "CHW on leave",
        },
    )
    assert response.status_code == 302

    for intervention in (setup.intervention, second):
        assert Intervention.objects.get(pk=intervention.pk).owner_id == social_worker.pk
    plan = CarePlan.objects.get(pk=setup.plan.pk)
    assert plan.version_count > signed_count
    version = latest(plan)
    assert version.created_by == nurse
    assert version.summary == "Intervention task reassigned from the task lists"
    for intervention in (setup.intervention, second):
        assert snapshot_item(version, intervention)["owner_id"] == social_worker.pk
    assert plan.status == CarePlanStatus.REVISED


def test_cancelling_an_intervention_task_through_the_api_versions_the_plan(api_for, setup, nurse):
    before = CarePlan.objects.get(pk=setup.plan.pk).version_count
    response = api_for(nurse).post(
        reverse("api-task-cancel", args=[setup.intervention.task_id]),
        {"reason": "Patient declined home visits"},
    )
    assert response.status_code == 200
    plan = CarePlan.objects.get(pk=setup.plan.pk)
    assert plan.version_count == before + 1
    assert snapshot_item(latest(plan), setup.intervention)["state"] == InterventionState.CANCELLED


def test_starting_an_intervention_task_changes_no_plan_content_and_records_no_version(
    client_for, setup, chw
):
    before = CarePlan.objects.get(pk=setup.plan.pk).version_count
    client_for(chw).post(reverse("tasks:start", args=[setup.intervention.task_id]))
    assert Task.objects.get(pk=setup.intervention.task_id).status == TaskStatus.IN_PROGRESS
    assert CarePlan.objects.get(pk=setup.plan.pk).version_count == before


def test_a_plan_edit_that_moves_the_task_records_one_version_in_its_own_words(
    setup, nurse, social_worker
):
    before = CarePlan.objects.get(pk=setup.plan.pk).version_count
    services.intervention_update(
        actor=nurse,
        intervention=setup.intervention,
        owner=social_worker,
        due_date=in_days(3),
        description="Home visit with the inhaler and spacer",
        reason="Social worker visits anyway",
    )
    plan = CarePlan.objects.get(pk=setup.plan.pk)
    assert plan.version_count == before + 1
    assert latest(plan).summary.startswith("Changed an intervention")
