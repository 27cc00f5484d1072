"""The admin reads plans (audited) and changes them only through the services."""

from django.urls import reverse

from apps.careplans.models import CarePlan, CarePlanStatus
from apps.core.models import AuditAction, AuditEvent
from apps.tasks.models import Task
from tests.careplans.factories import make_goal, make_intervention, make_plan


def test_the_admin_lists_and_opens_plans_and_audits_both(client_for, org_admin, patient, nurse):
    plan = make_plan(patient, nurse)
    client = client_for(org_admin)
    assert client.get(reverse("admin:careplans_careplan_changelist")).status_code == 200
    assert client.get(reverse("admin:careplans_careplan_change", args=[plan.pk])).status_code == 200
    actions = set(
        AuditEvent.objects.filter(actor=org_admin, object_type="careplans.careplan").values_list(
            "action", flat=True
        )
    )
    assert actions == {AuditAction.LIST, AuditAction.VIEW}


def test_the_admin_cannot_add_or_delete_plans(client_for, org_admin, patient, nurse):
    plan = make_plan(patient, nurse)
    client = client_for(org_admin)
    assert client.get(reverse("admin:careplans_careplan_add")).status_code == 403
    assert (
        client.post(reverse("admin:careplans_careplan_delete", args=[plan.pk])).status_code == 403
    )
    assert CarePlan.objects.filter(pk=plan.pk).exists()


def test_the_admin_retire_action_goes_through_the_service(client_for, org_admin, patient, nurse):
    plan = make_plan(patient, nurse)
    intervention = make_intervention(make_goal(plan, nurse), nurse)
    response = client_for(org_admin).post(
        reverse("admin:careplans_careplan_changelist"),
        {"action": "retire_plans", "_selected_action": [plan.pk]},
        follow=True,
    )
    assert response.status_code == 200
    plan.refresh_from_db()
    assert plan.status == CarePlanStatus.RETIRED
    assert Task.objects.get(pk=intervention.task_id).status == "cancelled"
    assert plan.versions.get(number=plan.version_count).summary == "Plan retired"


def test_the_admin_review_action_flags_the_plan(client_for, org_admin, patient, nurse):
    plan = make_plan(patient, nurse)
    client_for(org_admin).post(
        reverse("admin:careplans_careplan_changelist"),
        {"action": "request_reviews", "_selected_action": [plan.pk]},
    )
    plan.refresh_from_db()
    assert plan.review_requested_at is not None
    assert plan.review_request_reason == "Requested by an administrator"
