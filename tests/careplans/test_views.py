"""Role matrix for every care plan page: anonymous, outsider, member without the right, with it."""

import pytest
from django.urls import reverse

from apps.careplans.models import Barrier, CarePlan, CarePlanStatus, Goal
from apps.careplans.selectors import care_plan_review
from apps.core.actors import JobActor
from apps.tasks.models import Task
from tests.careplans.factories import in_days, make_goal, make_plan, state

# A transition of care asks for the review through a job acting for the organisation.
REVIEW_JOB = JobActor(job="transitions.plan_review")


def goal_data(prefix: str, owner, domain: str = "social", target: str = "Lease signed") -> dict:
    return {
        f"{prefix}-domain": domain,
        f"{prefix}-description": "Find a safe place to live",
        f"{prefix}-target": target,
        f"{prefix}-target_date": in_days(60).isoformat(),
        f"{prefix}-status": "active",
        f"{prefix}-owner": owner.pk,
        f"{prefix}-patient_steps": "Bring my ID to the housing office",
    }


# (name, who may, who may not, url, form data, what must change when allowed)
WRITES = [
    (
        "voice",
        "nurse",
        "chw",
        lambda s: reverse("careplans:voice", args=[s.plan.patient_id]),
        lambda s, users: {"voice-what_matters": "Dance again", "voice-priorities": "Dance"},
        lambda s: CarePlan.objects.get(pk=s.plan.pk).what_matters == "Dance again",
    ),
    (
        "profile",
        "nurse",
        "pcp",
        lambda s: reverse("careplans:profile", args=[s.plan.patient_id]),
        lambda s, users: {"profile-pam_level": "3", "profile-health_literacy_limited": "on"},
        lambda s: CarePlan.objects.get(pk=s.plan.pk).pam_level == 3,
    ),
    (
        "goal_add",
        "social_worker",
        "chw",
        lambda s: reverse("careplans:goal_add", args=[s.plan.patient_id]),
        lambda s, users: goal_data("goal", users["social_worker"]),
        lambda s: Goal.objects.filter(plan=s.plan, domain="social").exists(),
    ),
    (
        "goal_edit",
        "nurse",
        "social_worker",
        lambda s: reverse("careplans:goal_edit", args=[s.plan.patient_id, s.goal.pk]),
        lambda s, users: goal_data(
            f"goal-{s.goal.pk}", users["nurse"], domain="medical", target="Walk 20 min"
        ),
        lambda s: Goal.objects.get(pk=s.goal.pk).target == "Walk 20 min",
    ),
    (
        "goal_remove",
        "nurse",
        "social_worker",
        lambda s: reverse("careplans:goal_remove", args=[s.plan.patient_id, s.goal.pk]),
        lambda s, users: {},
        lambda s: not Goal.objects.filter(pk=s.goal.pk).exists(),
    ),
    (
        "intervention_add",
        "nurse",
        "chw",
        lambda s: reverse("careplans:intervention_add", args=[s.plan.patient_id, s.goal.pk]),
        lambda s, users: {
            f"new-intervention-{s.goal.pk}-description": "Teach spacer technique",
            f"new-intervention-{s.goal.pk}-owner": users["nurse"].pk,
            f"new-intervention-{s.goal.pk}-due_date": in_days(5).isoformat(),
        },
        lambda s: Task.objects.filter(title="Teach spacer technique").count() == 1,
    ),
    (
        "intervention_edit",
        "nurse",
        "pcp",
        lambda s: reverse(
            "careplans:intervention_edit", args=[s.plan.patient_id, s.intervention.pk]
        ),
        lambda s, users: {
            f"intervention-{s.intervention.pk}-description": "Home visit for inhaler",
            f"intervention-{s.intervention.pk}-owner": users["social_worker"].pk,
            f"intervention-{s.intervention.pk}-due_date": in_days(7).isoformat(),
            f"intervention-{s.intervention.pk}-reason": "CHW on leave",
        },
        lambda s: Task.objects.get(pk=s.intervention.task_id).owner.username == "socialworker",
    ),
    (
        "intervention_cancel",
        "nurse",
        "chw",
        lambda s: reverse(
            "careplans:intervention_cancel", args=[s.plan.patient_id, s.intervention.pk]
        ),
        lambda s, users: {f"cancel-{s.intervention.pk}-reason": "Patient declined"},
        lambda s: Task.objects.get(pk=s.intervention.task_id).status == "cancelled",
    ),
    (
        "barrier_add",
        "nurse",
        "pharmacist",
        lambda s: reverse("careplans:barrier_add", args=[s.plan.patient_id]),
        lambda s, users: {
            "barrier-component": "motivation",
            "barrier-sub_component": "reflective_motivation",
            "barrier-description": "Does not see the point of inhalers",
            "barrier-intervention": s.intervention.pk,
        },
        lambda s: Barrier.objects.filter(plan=s.plan, component="motivation").exists(),
    ),
    (
        "barrier_remove",
        "nurse",
        "chw",
        lambda s: reverse("careplans:barrier_remove", args=[s.plan.patient_id, s.barrier.pk]),
        lambda s, users: {},
        lambda s: not Barrier.objects.filter(pk=s.barrier.pk).exists(),
    ),
    (
        "retire",
        "nurse",
        "chw",
        lambda s: reverse("careplans:retire", args=[s.plan.patient_id]),
        lambda s, users: {"retire-reason": "Moved to another state"},
        lambda s: CarePlan.objects.get(pk=s.plan.pk).status == CarePlanStatus.RETIRED,
    ),
    (
        "sign",
        "pcp",
        "nurse",
        lambda s: reverse("careplans:review", args=[s.plan.patient_id]),
        lambda s, users: {
            "fingerprint": care_plan_review(user=users["pcp"], plan=s.plan).fingerprint
        },
        lambda s: s.plan.versions.filter(signed_by__username="pcp").exists(),
    ),
    (
        "signoff_request",
        "nurse",
        "chw",
        lambda s: reverse("careplans:signoff", args=[s.plan.patient_id]),
        lambda s, users: {"signoff-reason": "New inhaler plan"},
        lambda s: CarePlan.objects.get(pk=s.plan.pk).review_request_reason == "New inhaler plan",
    ),
    (
        "signoff_return",
        "pcp",
        "nurse",
        lambda s: reverse("careplans:signoff_return", args=[s.plan.patient_id]),
        lambda s, users: {"return-comments": "Add a spacer to the inhaler step"},
        lambda s: Task.objects.filter(description="Add a spacer to the inhaler step").exists(),
    ),
]
WRITE_IDS = [row[0] for row in WRITES]


@pytest.mark.parametrize(
    ("name", "allowed", "denied", "url", "data", "changed"), WRITES, ids=WRITE_IDS
)
def test_anonymous_writes_go_to_login_and_change_nothing(
    client, setup, users, name, allowed, denied, url, data, changed
):
    before = state(setup.plan)
    response = client.post(url(setup), data(setup, users))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert state(setup.plan) == before


@pytest.mark.parametrize(
    ("name", "allowed", "denied", "url", "data", "changed"), WRITES, ids=WRITE_IDS
)
def test_an_outsider_gets_404_and_changes_nothing(
    client_for, setup, users, patient, name, allowed, denied, url, data, changed
):
    before = state(setup.plan)
    response = client_for(users["outsider"]).post(url(setup), data(setup, users))
    assert response.status_code == 404
    body = response.content.decode()
    assert patient.family_name not in body
    assert "Tend my tomatoes" not in body
    assert state(setup.plan) == before


@pytest.mark.parametrize(
    ("name", "allowed", "denied", "url", "data", "changed"), WRITES, ids=WRITE_IDS
)
def test_a_member_without_the_right_is_refused_and_changes_nothing(
    client_for, setup, users, name, allowed, denied, url, data, changed
):
    before = state(setup.plan)
    response = client_for(users[denied]).post(url(setup), data(setup, users))
    assert response.status_code == 403
    assert "Tend my tomatoes" not in response.content.decode()
    assert state(setup.plan) == before
    assert not changed(setup)


@pytest.mark.parametrize(
    ("name", "allowed", "denied", "url", "data", "changed"), WRITES, ids=WRITE_IDS
)
def test_a_member_with_the_right_makes_the_change(
    client_for, setup, users, name, allowed, denied, url, data, changed
):
    response = client_for(users[allowed]).post(url(setup), data(setup, users))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert changed(setup)


READS = [
    ("plan", lambda s: reverse("careplans:plan", args=[s.plan.patient_id])),
    ("card", lambda s: reverse("careplans:card", args=[s.plan.patient_id])),
    ("review", lambda s: reverse("careplans:review", args=[s.plan.patient_id])),
    ("versions", lambda s: reverse("careplans:versions", args=[s.plan.patient_id])),
    ("version_diff", lambda s: reverse("careplans:version_diff", args=[s.plan.patient_id, 2])),
    ("summary", lambda s: reverse("careplans:summary", args=[s.plan.patient_id])),
    ("summary_pdf", lambda s: reverse("careplans:summary_pdf", args=[s.plan.patient_id])),
    (
        "goal_edit_form",
        lambda s: reverse("careplans:goal_edit", args=[s.plan.patient_id, s.goal.pk]),
    ),
    (
        "intervention_edit_form",
        lambda s: reverse(
            "careplans:intervention_edit", args=[s.plan.patient_id, s.intervention.pk]
        ),
    ),
]
READ_IDS = [row[0] for row in READS]


@pytest.mark.parametrize(("name", "url"), READS, ids=READ_IDS)
def test_anonymous_reads_go_to_login(client, setup, name, url):
    response = client.get(url(setup))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(("name", "url"), READS, ids=READ_IDS)
def test_an_outsider_reads_nothing_404_like_a_missing_patient(
    client_for, setup, outsider, patient, name, url
):
    response = client_for(outsider).get(url(setup))
    assert response.status_code == 404
    body = response.content.decode()
    assert patient.family_name not in body
    assert "Tend my tomatoes" not in body
    assert "Breathe easier" not in body


@pytest.mark.parametrize("member", ["nurse", "pcp", "chw", "pharmacist", "specialist"])
@pytest.mark.parametrize(("name", "url"), READS, ids=READ_IDS)
def test_every_team_member_reads_the_plan(request, client_for, setup, member, name, url):
    response = client_for(request.getfixturevalue(member)).get(url(setup))
    assert response.status_code == 200
    if name == "summary_pdf":
        assert response.content.startswith(b"%PDF")
    elif name == "versions":
        assert "Plan started" in response.content.decode()
    elif name not in ("card", "version_diff"):
        assert "Breathe easier on walks" in response.content.decode()


def test_the_barrier_form_offers_interventions_by_their_description(client_for, setup, nurse):
    response = client_for(nurse).get(reverse("careplans:plan", args=[setup.plan.patient_id]))
    choices = [
        label for _, label in response.context["barrier_form"].fields["intervention"].choices
    ]
    assert "Home visit for inhaler" in choices


def test_read_only_members_see_no_edit_forms(client_for, setup, chw, nurse):
    read_only = client_for(chw).get(reverse("careplans:plan", args=[setup.plan.patient_id]))
    body = read_only.content.decode()
    assert "Add a goal" not in body
    assert "Add an intervention" not in body
    assert "Edit goal" not in body
    editor = client_for(nurse).get(reverse("careplans:plan", args=[setup.plan.patient_id]))
    assert "Add a goal" in editor.content.decode()


def test_the_social_worker_is_offered_only_the_social_domain(client_for, setup, social_worker):
    response = client_for(social_worker).get(
        reverse("careplans:plan", args=[setup.plan.patient_id])
    )
    form = response.context["goal_form"]
    assert [value for value, _ in form.fields["domain"].choices] == ["social"]


def test_the_plan_page_shows_the_agreement_and_prefills_its_time(client_for, setup, nurse):
    from datetime import timedelta

    from django.utils import timezone

    from apps.careplans import services

    agreed = timezone.now().replace(second=0, microsecond=0) - timedelta(days=1)
    services.care_plan_update(
        actor=nurse,
        plan=setup.plan,
        agreed_by="patient",
        agreement_method="video",
        agreed_at=agreed,
        advance_directive_reference="DMS-1",
    )
    response = client_for(nurse).get(reverse("careplans:plan", args=[setup.plan.patient_id]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Agreed by the patient, by video" in body
    assert timezone.localtime(agreed).strftime("%Y-%m-%dT%H:%M") in body
    assert "DMS-1" in body


def test_starting_a_plan_from_the_page(client_for, patient, nurse, chw, outsider):
    url = reverse("careplans:plan", args=[patient.pk])
    assert client_for(chw).post(url).status_code == 403
    assert client_for(outsider).post(url).status_code == 404
    assert not CarePlan.objects.exists()
    response = client_for(nurse).post(url)
    assert response.status_code == 302
    assert CarePlan.objects.filter(patient=patient, status=CarePlanStatus.DRAFT).count() == 1


def test_htmx_add_goal_returns_the_plan_body_with_the_new_goal(client_for, setup, social_worker):
    response = client_for(social_worker).post(
        reverse("careplans:goal_add", args=[setup.plan.patient_id]),
        goal_data("goal", social_worker),
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="plan-body"' in body
    assert "Find a safe place to live" in body


def test_htmx_add_intervention_shows_it_under_its_goal_with_the_owner(client_for, setup, nurse):
    response = client_for(nurse).post(
        reverse("careplans:intervention_add", args=[setup.plan.patient_id, setup.goal.pk]),
        {
            f"new-intervention-{setup.goal.pk}-description": "Order a peak flow meter",
            f"new-intervention-{setup.goal.pk}-owner": nurse.pk,
            f"new-intervention-{setup.goal.pk}-due_date": in_days(2).isoformat(),
        },
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "<html" not in body
    assert "Order a peak flow meter" in body
    assert Task.objects.get(title="Order a peak flow meter").owner == nurse


def test_the_add_intervention_form_is_fetched_on_demand(
    client_for, setup, nurse, chw, outsider, patient
):
    url = reverse("careplans:intervention_add", args=[patient.pk, setup.goal.pk])
    fragment = client_for(nurse).get(url, HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert fragment.status_code == 200
    assert "<html" not in body
    assert f'name="new-intervention-{setup.goal.pk}-description"' in body
    assert client_for(chw).get(url, HTTP_HX_REQUEST="true").status_code == 403
    assert client_for(outsider).get(url, HTTP_HX_REQUEST="true").status_code == 404
    plain = client_for(nurse).get(url, follow=True)
    assert f'name="new-intervention-{setup.goal.pk}-description"' in plain.content.decode()
    page = client_for(nurse).get(reverse("careplans:plan", args=[patient.pk])).content.decode()
    assert f'name="new-intervention-{setup.goal.pk}-description"' not in page


def test_an_invalid_goal_comes_back_with_the_errors_and_nothing_saved(
    client_for, setup, social_worker
):
    data = goal_data("goal", social_worker)
    data["goal-target_date"] = in_days(-3).isoformat()
    before = state(setup.plan)
    response = client_for(social_worker).post(
        reverse("careplans:goal_add", args=[setup.plan.patient_id]), data, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Choose today or a later date." in response.content.decode()
    assert state(setup.plan) == before


def test_an_owner_off_the_team_is_refused_by_the_form(client_for, setup, nurse, outsider):
    before = state(setup.plan)
    response = client_for(nurse).post(
        reverse("careplans:intervention_add", args=[setup.plan.patient_id, setup.goal.pk]),
        {
            f"new-intervention-{setup.goal.pk}-description": "Something",
            f"new-intervention-{setup.goal.pk}-owner": outsider.pk,
            f"new-intervention-{setup.goal.pk}-due_date": in_days(2).isoformat(),
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "care team" in response.content.decode()
    assert state(setup.plan) == before


def test_a_stale_sign_form_is_refused_with_a_message(client_for, setup, pcp, nurse):
    client = client_for(pcp)
    url = reverse("careplans:review", args=[setup.plan.patient_id])
    fingerprint = client.get(url).context["review"].fingerprint
    make_goal(setup.plan, nurse, description="A later goal")
    response = client.post(url, {"fingerprint": fingerprint}, follow=True)
    assert "changed while you were reviewing" in response.content.decode()
    assert not setup.plan.versions.filter(signed_at__isnull=False).exists()


def test_the_review_page_shows_what_changed_since_the_last_signature(
    client_for, setup, pcp, nurse, social_worker
):
    client = client_for(pcp)
    url = reverse("careplans:review", args=[setup.plan.patient_id])
    client.post(url, {"fingerprint": client.get(url).context["review"].fingerprint})
    make_goal(setup.plan, nurse, description="Sleep through the night", target="6 hours")
    body = client.get(url).content.decode()
    assert "Sleep through the night" in body
    assert "added" in body
    assert "Breathe easier on walks" not in body
    assert "Sign this version" in body
    assert "Sign this version" not in client_for(nurse).get(url).content.decode()


def test_the_review_worklist_lists_due_plans_with_a_pinned_query_count(
    client_for, setup, pcp, team, nurse, django_assert_max_num_queries
):
    from apps.careplans import services
    from tests import factories

    for _ in range(5):
        other = factories.make_patient(team)
        make_plan(other, nurse)
        services.care_plan_review_request(actor=REVIEW_JOB, patient=other, reason="Discharged home")
    client = client_for(pcp)
    client.get(reverse("careplans:review_list"))  # warm the session and permission caches
    with django_assert_max_num_queries(12):
        response = client.get(reverse("careplans:review_list"))
    body = response.content.decode()
    assert "5 plans due" in body
    assert body.count("Review requested: Discharged home") == 5


def test_the_chart_links_to_the_plan(client_for, setup, chw, patient):
    chart = client_for(chw).get(reverse("patients:chart", args=[patient.pk])).content.decode()
    assert reverse("careplans:card", args=[patient.pk]) in chart
    card = client_for(chw).get(reverse("careplans:card", args=[patient.pk])).content.decode()
    assert reverse("careplans:plan", args=[patient.pk]) in card


def test_the_navigation_links_to_the_review_worklist(client_for, nurse):
    page = client_for(nurse).get(reverse("patients:list")).content.decode()
    assert reverse("careplans:review_list") in page
