"""Role matrix for every care plan API endpoint, and the API's own behaviour."""

from typing import Any

import pytest
from django.urls import reverse

from apps.careplans.models import CarePlan, CarePlanStatus, Goal, Pathway
from apps.core.actors import JobActor
from apps.tasks.models import Task, TaskSource
from tests.careplans.factories import PlanSetup, in_days, make_goal, make_plan, state

# A transition of care asks for the review through a job acting for the organisation.
REVIEW_JOB = JobActor(job="transitions.plan_review")


def plan_url(name: str, s: PlanSetup, *extra: int) -> str:
    return reverse(name, args=[s.plan.pk, *extra])


# (name, method, who may, who may not, url, payload, check when allowed)
WRITES: list[tuple[str, str, str, str, Any, Any, Any]] = [
    (
        "update",
        "patch",
        "nurse",
        "chw",
        lambda s: plan_url("api-careplan-detail", s),
        lambda s, u: {"what_matters": "Cook for my family", "pam_level": 2},
        lambda s: CarePlan.objects.get(pk=s.plan.pk).what_matters == "Cook for my family",
    ),
    (
        "retire",
        "post",
        "nurse",
        "pharmacist",
        lambda s: plan_url("api-careplan-retire", s),
        lambda s, u: {"reason": "Patient moved away"},
        lambda s: CarePlan.objects.get(pk=s.plan.pk).status == CarePlanStatus.RETIRED,
    ),
    (
        "goal_create",
        "post",
        "social_worker",
        "nurse",
        lambda s: plan_url("api-careplan-goals", s),
        lambda s, u: {
            "domain": "social",
            "description": "Get food stamps",
            "target": "SNAP approved",
            "target_date": in_days(30).isoformat(),
            "owner_id": u["social_worker"].pk,
        },
        lambda s: Goal.objects.filter(plan=s.plan, description="Get food stamps").exists(),
    ),
    (
        "goal_update",
        "patch",
        "nurse",
        "social_worker",
        lambda s: plan_url("api-careplan-goal", s, s.goal.pk),
        lambda s, u: {"target": "Walk to the mailbox", "owner_id": u["chw"].pk},
        lambda s: Goal.objects.get(pk=s.goal.pk).target == "Walk to the mailbox",
    ),
    (
        "goal_delete",
        "delete",
        "nurse",
        "chw",
        lambda s: plan_url("api-careplan-goal", s, s.goal.pk),
        lambda s, u: None,
        lambda s: not Goal.objects.filter(pk=s.goal.pk).exists(),
    ),
    (
        "intervention_create",
        "post",
        "nurse",
        "pcp",
        lambda s: plan_url("api-careplan-interventions", s),
        lambda s, u: {
            "goal_id": s.goal.pk,
            "description": "Pulmonary rehab referral",
            "owner_id": u["nurse"].pk,
            "due_date": in_days(4).isoformat(),
        },
        lambda s: Task.objects.filter(title="Pulmonary rehab referral").count() == 1,
    ),
    (
        "intervention_update",
        "patch",
        "nurse",
        "specialist",
        lambda s: plan_url("api-careplan-intervention", s, s.intervention.pk),
        lambda s, u: {"owner_id": u["social_worker"].pk, "reason": "Covers housing"},
        lambda s: Task.objects.get(pk=s.intervention.task_id).owner.username == "socialworker",
    ),
    (
        "intervention_cancel",
        "post",
        "nurse",
        "chw",
        lambda s: plan_url("api-careplan-intervention-cancel", s, s.intervention.pk),
        lambda s, u: {"reason": "Declined"},
        lambda s: Task.objects.get(pk=s.intervention.task_id).status == "cancelled",
    ),
    (
        "barrier_create",
        "post",
        "social_worker",
        "pcp",
        lambda s: plan_url("api-careplan-barriers", s),
        lambda s, u: {
            "component": "capability",
            "sub_component": "psychological_capability",
            "description": "Forgets doses",
        },
        lambda s: s.plan.barriers.filter(description="Forgets doses").exists(),
    ),
    (
        "barrier_update",
        "patch",
        "nurse",
        "chw",
        lambda s: plan_url("api-careplan-barrier", s, s.barrier.pk),
        lambda s, u: {"description": "Bus pass expired"},
        lambda s: s.plan.barriers.filter(description="Bus pass expired").exists(),
    ),
    (
        "barrier_delete",
        "delete",
        "nurse",
        "chw",
        lambda s: plan_url("api-careplan-barrier", s, s.barrier.pk),
        lambda s, u: None,
        lambda s: not s.plan.barriers.exists(),
    ),
    (
        "sign",
        "post",
        "pcp",
        "nurse",
        lambda s: plan_url("api-careplan-sign", s),
        lambda s, u: {"fingerprint": s.plan.versions.order_by("-number").first().fingerprint},
        lambda s: s.plan.versions.filter(signed_by__username="pcp").exists(),
    ),
]
WRITE_IDS = [row[0] for row in WRITES]


def send(client, method: str, url: str, payload: Any):
    if payload is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, payload, format="json")


@pytest.mark.parametrize(
    ("name", "method", "allowed", "denied", "url", "payload", "changed"), WRITES, ids=WRITE_IDS
)
def test_api_writes_role_matrix(
    api_for, setup, users, patient, name, method, allowed, denied, url, payload, changed
):
    before = state(setup.plan)
    anonymous = send(api_for(None), method, url(setup), payload(setup, users))
    assert anonymous.status_code in (401, 403)
    outsider = send(api_for(users["outsider"]), method, url(setup), payload(setup, users))
    assert outsider.status_code == 404
    assert patient.family_name not in outsider.content.decode()
    refused = send(api_for(users[denied]), method, url(setup), payload(setup, users))
    assert refused.status_code == 403
    assert "Tend my tomatoes" not in refused.content.decode()
    assert state(setup.plan) == before
    assert not changed(setup)
    done = send(api_for(users[allowed]), method, url(setup), payload(setup, users))
    assert done.status_code in (200, 201, 204), done.content.decode()
    assert changed(setup)


READS = [
    ("detail", lambda s: plan_url("api-careplan-detail", s)),
    ("by_patient", lambda s: reverse("api-patient-careplan", args=[s.plan.patient_id])),
    ("review", lambda s: plan_url("api-careplan-review", s)),
    ("versions", lambda s: plan_url("api-careplan-versions", s)),
    ("version", lambda s: plan_url("api-careplan-version", s, 2)),
    ("diff", lambda s: plan_url("api-careplan-diff", s)),
    ("summary_pdf", lambda s: plan_url("api-careplan-summary-pdf", s)),
]
READ_IDS = [row[0] for row in READS]


@pytest.mark.parametrize(("name", "url"), READS, ids=READ_IDS)
def test_api_reads_role_matrix(api_for, setup, users, patient, name, url):
    assert api_for(None).get(url(setup)).status_code in (401, 403)
    hidden = api_for(users["outsider"]).get(url(setup))
    assert hidden.status_code == 404
    assert patient.family_name not in hidden.content.decode()
    assert "Breathe easier" not in hidden.content.decode()
    for member in ("nurse", "pcp", "chw", "pharmacist", "specialist"):
        response = api_for(users[member]).get(url(setup))
        assert response.status_code == 200, (member, response.content[:300])
        if name == "summary_pdf":
            assert response.content.startswith(b"%PDF")


def test_list_and_due_for_review_show_only_the_users_patients(
    api_for, setup, users, other_patient, outsider
):
    from apps.careplans import services

    make_plan(other_patient, outsider)
    for each in (setup.plan.patient, other_patient):
        services.care_plan_review_request(actor=REVIEW_JOB, patient=each, reason="Admitted")
    listed = api_for(users["nurse"]).get(reverse("api-careplan-list")).json()
    assert [row["patient_id"] for row in listed] == [setup.plan.patient_id]
    due = api_for(users["pcp"]).get(reverse("api-careplan-due-for-review")).json()
    assert [row["patient_id"] for row in due] == [setup.plan.patient_id]
    assert due[0]["reasons"] == ["Review requested: Admitted"]
    assert api_for(None).get(reverse("api-careplan-due-for-review")).status_code in (401, 403)


def test_create_through_the_api_and_the_detail_shape(api_for, patient, nurse, organisation):
    pathway = Pathway.objects.create(organisation=organisation, code="COPD", name="COPD care")
    response = api_for(nurse).post(
        reverse("api-careplan-list"),
        {"patient_id": patient.pk, "what_matters": "Breathe", "pathway_ids": [pathway.pk]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "draft"
    assert data["pathways"][0]["code"] == "COPD"
    assert data["rights"] == {
        "edit_plan": True,
        "goal_domains": ["behavioral", "functional", "medical"],
        "sign": False,
        "request_signoff": True,
        "return_plan": False,
    }
    again = api_for(nurse).post(
        reverse("api-careplan-list"), {"patient_id": patient.pk}, format="json"
    )
    assert again.status_code == 400
    assert "already has a care plan" in again.json()["detail"]


def test_create_for_an_invisible_patient_is_404(api_for, other_patient, nurse):
    response = api_for(nurse).post(
        reverse("api-careplan-list"), {"patient_id": other_patient.pk}, format="json"
    )
    assert response.status_code == 404
    assert not CarePlan.objects.exists()


def test_bad_input_is_a_400_with_field_errors_never_a_500(api_for, setup, users):
    nurse = users["nurse"]
    response = api_for(nurse).post(
        plan_url("api-careplan-interventions", setup),
        {
            "goal_id": setup.goal.pk,
            "description": "x",
            "owner_id": users["outsider"].pk,
            "due_date": in_days(-1).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert "due_date" in response.json()["errors"]
    response = api_for(nurse).post(
        plan_url("api-careplan-interventions", setup),
        {
            "goal_id": setup.goal.pk,
            "description": "x",
            "owner_id": 99999,
            "due_date": in_days(1).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert "owner_id" in response.json()["errors"]
    bad_barrier = api_for(nurse).post(
        plan_url("api-careplan-barriers", setup),
        {"component": "capability", "description": "x", "intervention_id": 99999},
        format="json",
    )
    assert bad_barrier.status_code == 400


def test_review_then_sign_with_the_fingerprint_and_diff_between_versions(api_for, setup, users):
    pcp = users["pcp"]
    review = api_for(pcp).get(plan_url("api-careplan-review", setup)).json()
    assert review["can_sign"] is True
    assert review["last_signed"] is None
    assert [item["kind"] for item in review["diff"]["goals"]] == ["added"]
    signed = api_for(pcp).post(
        plan_url("api-careplan-sign", setup), {"fingerprint": review["fingerprint"]}, format="json"
    )
    assert signed.status_code == 201
    make_goal(setup.plan, users["nurse"], description="Sleep better", target="7 hours")
    stale = api_for(pcp).post(
        plan_url("api-careplan-sign", setup), {"fingerprint": review["fingerprint"]}, format="json"
    )
    assert stale.status_code == 400
    assert "fingerprint" in stale.json()["errors"]
    diff = api_for(pcp).get(plan_url("api-careplan-diff", setup)).json()
    assert [(item["kind"], item["title"]) for item in diff["diff"]["goals"]] == [
        ("added", "Sleep better")
    ]
    first = api_for(pcp).get(plan_url("api-careplan-diff", setup) + "?from=1&to=2").json()
    assert first["from_version"] == 1
    assert first["to_version"] == 2
    version = api_for(pcp).get(plan_url("api-careplan-version", setup, 1)).json()
    assert version["snapshot"]["what_matters"] == "Tend my tomatoes"
    missing = api_for(pcp).get(plan_url("api-careplan-version", setup, 99))
    assert missing.status_code == 404


def test_intervention_created_through_the_api_has_its_task(api_for, setup, users):
    response = api_for(users["nurse"]).post(
        plan_url("api-careplan-interventions", setup),
        {
            "goal_id": setup.goal.pk,
            "description": "Check oxygen at home",
            "owner_id": users["chw"].pk,
            "due_date": in_days(3).isoformat(),
        },
        format="json",
    )
    data = response.json()
    task = Task.objects.get(pk=data["task_id"])
    assert task.source_type == TaskSource.CARE_PLAN_INTERVENTION
    assert task.source_id == data["id"]
    assert data["owner"]["id"] == task.owner_id == users["chw"].pk


def test_the_schema_documents_the_care_plan_endpoints(api_for, nurse):
    response = api_for(nurse).get(reverse("api-schema"), {"format": "json"})
    paths = response.json()["paths"]
    assert "/api/v1/care-plans/{plan_id}/sign/" in paths
    assert "/api/v1/care-plans/{plan_id}/summary.pdf" in paths
