"""Sign-off closes its loop: editors send a changed plan to the PCP, who signs it or returns it."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from apps.careplans import selectors, services
from apps.careplans.models import CarePlan
from apps.core.exceptions import ApplicationError
from apps.tasks.models import Task, TaskStatus
from apps.teams.models import TeamMembership
from apps.teams.services import team_member_remove
from tests.careplans.factories import state


def sign(pcp, plan):
    plan.refresh_from_db()
    review = selectors.care_plan_review(user=pcp, plan=plan)
    return services.care_plan_sign(actor=pcp, plan=plan, fingerprint=review.fingerprint)


def signed_then_changed(setup, nurse, pcp) -> CarePlan:
    sign(pcp, setup.plan)
    services.care_plan_update(actor=nurse, plan=setup.plan, what_matters="Walk to church")
    setup.plan.refresh_from_db()
    return setup.plan


def returned_tasks(plan: CarePlan):
    return Task.objects.filter(idempotency_key__startswith=f"care-plan:{plan.pk}:returned:")


def test_editor_sends_changed_plan_for_signoff_and_it_appears_in_pcp_reviews_with_reason(
    client_for, setup, nurse, pcp
):
    plan = signed_then_changed(setup, nurse, pcp)
    # Changed minutes ago: not yet due by the organisation's unsigned-days limit.
    assert not selectors.care_plans_due_for_review(user=pcp)

    response = client_for(nurse).post(
        reverse("careplans:signoff", args=[plan.patient_id]),
        {"signoff-reason": "New walking goal after the fall"},
    )
    assert response.status_code == 302

    rows = selectors.care_plans_due_for_review(user=pcp)
    assert [row.plan.pk for row in rows] == [plan.pk]
    assert "Review requested: New walking goal after the fall" in rows[0].reasons
    page = client_for(pcp).get(reverse("careplans:review_list")).content.decode()
    assert "New walking goal after the fall" in page
    review_page = client_for(pcp).get(reverse("careplans:review", args=[plan.patient_id]))
    assert f"by {nurse.display_name}" in review_page.content.decode()
    assert "Return with comments" in review_page.content.decode()
    plan.refresh_from_db()
    assert plan.review_requested_by == nurse


def test_a_plan_unchanged_since_its_signature_cannot_be_sent_for_signoff(
    api_for, setup, nurse, pcp
):
    sign(pcp, setup.plan)
    before = state(setup.plan)
    response = api_for(nurse).post(
        reverse("api-careplan-signoff-request", args=[setup.plan.pk]), {"reason": "Please look"}
    )
    assert response.status_code == 400
    assert "nothing to sign" in response.json()["detail"]
    assert state(setup.plan) == before
    setup.plan.refresh_from_db()
    assert setup.plan.review_requested_at is None


def test_a_signoff_request_needs_a_reason(setup, nurse):
    with pytest.raises(ApplicationError) as error:
        services.plan_signoff_request(actor=nurse, plan=setup.plan, reason="   ")
    assert "reason" in error.value.field_errors
    setup.plan.refresh_from_db()
    assert setup.plan.review_requested_at is None


def test_pcp_returns_plan_with_comments_and_editor_gets_a_task(
    client_for, api_for, setup, nurse, pcp, social_worker
):
    plan = signed_then_changed(setup, nurse, pcp)
    services.plan_signoff_request(actor=social_worker, plan=plan, reason="Housing goal added")

    response = client_for(pcp).post(
        reverse("careplans:signoff_return", args=[plan.patient_id]),
        {"return-comments": "Say who calls the landlord, and by when."},
    )
    assert response.status_code == 302

    task = returned_tasks(plan).get()
    assert task.owner == social_worker  # the requester, a live member
    assert task.status == TaskStatus.REQUESTED
    assert task.description == "Say who calls the landlord, and by when."
    assert task.patient_id == plan.patient_id
    plan.refresh_from_db()
    assert plan.review_requested_at is None
    assert plan.returned_by == pcp
    assert plan.return_comments == "Say who calls the landlord, and by when."
    assert not selectors.care_plans_due_for_review(user=pcp)
    # The editor sees the comments on the plan and the task on My work.
    page = client_for(social_worker).get(reverse("careplans:plan", args=[plan.patient_id]))
    assert "Say who calls the landlord, and by when." in page.content.decode()
    my_work = client_for(social_worker).get(reverse("tasks:my_work")).content.decode()
    assert "Care plan returned by the PCP" in my_work

    # Returning the same version again (a double click, the API) makes no second task.
    again = api_for(pcp).post(
        reverse("api-careplan-return", args=[plan.pk]), {"comments": "Same again"}
    )
    assert again.status_code == 201
    assert again.json()["task_id"] == task.pk
    assert returned_tasks(plan).count() == 1


def test_a_plan_sent_again_after_a_return_can_be_returned_again_with_a_new_task(setup, nurse, pcp):
    plan = signed_then_changed(setup, nurse, pcp)
    services.plan_signoff_request(actor=nurse, plan=plan, reason="First try")
    first = services.plan_signoff_return(actor=pcp, plan=plan, comments="Add a target date")
    services.plan_signoff_request(actor=nurse, plan=plan, reason="Nothing to add, please sign")
    first.refresh_from_db()
    assert first.status == TaskStatus.DONE  # sending it again answered the first return
    second = services.plan_signoff_return(actor=pcp, plan=plan, comments="Still needs a date")
    assert second.pk != first.pk
    assert second.description == "Still needs a date"
    assert returned_tasks(plan).count() == 2
    plan.refresh_from_db()
    assert plan.review_requested_at is None
    assert plan.return_comments == "Still needs a date"


def test_a_returned_plan_goes_to_the_lead_when_the_requester_left_the_team(
    setup, nurse, pcp, social_worker, org_admin
):
    plan = signed_then_changed(setup, nurse, pcp)
    services.plan_signoff_request(actor=social_worker, plan=plan, reason="Housing goal added")
    team_member_remove(
        actor=org_admin,
        membership=TeamMembership.objects.get(user=social_worker, ended_at__isnull=True),
    )
    task = services.plan_signoff_return(actor=pcp, plan=plan, comments="Who owns housing now?")
    assert task.owner == nurse  # the lead coordinator


def test_sending_a_returned_plan_again_clears_the_return(setup, nurse, pcp):
    plan = signed_then_changed(setup, nurse, pcp)
    services.plan_signoff_request(actor=nurse, plan=plan, reason="First try")
    services.plan_signoff_return(actor=pcp, plan=plan, comments="Add a target date")
    services.goal_update(actor=nurse, goal=setup.goal, target="Walk 10 minutes daily")
    services.plan_signoff_request(actor=nurse, plan=plan, reason="Target added")
    plan.refresh_from_db()
    assert plan.returned_at is None
    assert plan.return_comments == ""
    assert plan.review_request_reason == "Target added"


def test_chw_without_edit_right_cannot_send_the_plan_for_signoff(
    client_for, api_for, setup, nurse, pcp, chw
):
    plan = signed_then_changed(setup, nurse, pcp)
    with pytest.raises(PermissionDenied):
        services.plan_signoff_request(actor=chw, plan=plan, reason="Looks done")
    page = client_for(chw).post(
        reverse("careplans:signoff", args=[plan.patient_id]), {"signoff-reason": "Looks done"}
    )
    assert page.status_code == 403
    api = api_for(chw).post(
        reverse("api-careplan-signoff-request", args=[plan.pk]), {"reason": "Looks done"}
    )
    assert api.status_code == 403
    plan.refresh_from_db()
    assert plan.review_requested_at is None
    # The plan page offers the button only to those the rule allows.
    body = client_for(chw).get(reverse("careplans:plan", args=[plan.patient_id])).content
    assert b"signoff-button" not in body
    assert (
        b"signoff-button"
        in client_for(nurse).get(reverse("careplans:plan", args=[plan.patient_id])).content
    )


def test_a_non_pcp_cannot_return_a_plan(client_for, api_for, setup, nurse, pcp, specialist):
    plan = signed_then_changed(setup, nurse, pcp)
    services.plan_signoff_request(actor=nurse, plan=plan, reason="Please sign")
    for user in (nurse, specialist):
        with pytest.raises(PermissionDenied):
            services.plan_signoff_return(actor=user, plan=plan, comments="No")
        page = client_for(user).post(
            reverse("careplans:signoff_return", args=[plan.patient_id]),
            {"return-comments": "No"},
        )
        assert page.status_code == 403
        api = api_for(user).post(reverse("api-careplan-return", args=[plan.pk]), {"comments": "No"})
        assert api.status_code == 403
    assert not returned_tasks(plan).exists()
    plan.refresh_from_db()
    assert plan.review_requested_at is not None
    review = client_for(nurse).get(reverse("careplans:review", args=[plan.patient_id]))
    assert b"return-button" not in review.content


def test_other_team_users_get_404_on_signoff_request_and_return(
    client_for, api_for, setup, nurse, pcp, outsider, patient
):
    plan = signed_then_changed(setup, nurse, pcp)
    services.plan_signoff_request(actor=nurse, plan=plan, reason="Please sign")
    before = state(plan)
    responses = [
        client_for(outsider).post(
            reverse("careplans:signoff", args=[plan.patient_id]), {"signoff-reason": "x"}
        ),
        client_for(outsider).post(
            reverse("careplans:signoff_return", args=[plan.patient_id]),
            {"return-comments": "x"},
        ),
        api_for(outsider).post(
            reverse("api-careplan-signoff-request", args=[plan.pk]), {"reason": "x"}
        ),
        api_for(outsider).post(reverse("api-careplan-return", args=[plan.pk]), {"comments": "x"}),
    ]
    for response in responses:
        assert response.status_code == 404
        assert patient.family_name not in response.content.decode()
    assert state(plan) == before
    plan.refresh_from_db()
    assert plan.review_request_reason == "Please sign"
    assert not returned_tasks(plan).exists()
