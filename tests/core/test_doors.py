"""The doors: one place maps "not found" to 404, and every refused write is audited once."""

import itertools
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.http import HttpResponse
from django.urls import reverse

from apps.core.exceptions import ApplicationError
from apps.core.middleware import RequestContextMiddleware
from apps.core.models import AuditAction, AuditEvent, AuditSource
from apps.huddles.models import Huddle
from apps.referrals.models import Referral, ResourceService
from apps.tasks.models import Task
from tests import factories
from tests.huddles.factories import make_huddle
from tests.referrals import factories as referral_factories
from tests.tasks.factories import make_task


@pytest.fixture
def food_service(organisation, org_admin) -> ResourceService:
    partner = referral_factories.make_partner(organisation, actor=org_admin, name="Food Bank")
    return referral_factories.make_service(organisation, actor=org_admin, partner=partner)


def _refusals(task, referral, huddle):
    """(path, body) pairs of writes a pharmacist may not make, none with a patient id in the URL."""
    return [
        (reverse("api-task-reassign", args=[task.pk]), {"owner_id": task.owner_id, "reason": "x"}),
        (
            reverse("api-referral-snooze", args=[referral.pk]),
            {"until": "2030-01-01", "reason": "r"},
        ),
        (reverse("api-huddle-open", args=[huddle.pk]), {}),
        (reverse("api-huddle-cancel", args=[huddle.pk]), {"reason": "x"}),
        (
            reverse("api-directory-services"),
            {
                "name": "Rides",
                "service_type": "transportation",
                "organisation_id": referral.service.resource_organisation_id,
            },
        ),
    ]


def test_every_refused_api_write_is_audited_once(
    api_for, pharmacist, nurse, social_worker, patient, food_service
):
    task = make_task(patient, nurse, actor=nurse)
    referral = referral_factories.make_referral(
        patient, actor=nurse, service=food_service, owner=social_worker
    )
    huddle = make_huddle(patient.care_team, nurse)
    client = api_for(pharmacist)
    refusals = _refusals(task, referral, huddle)
    before = {
        "tasks": list(Task.objects.values_list("pk", "owner_id", "status")),
        "referrals": list(Referral.objects.values_list("pk", "snoozed_until", "state")),
        "huddles": list(Huddle.objects.values_list("pk", "status")),
        "services": ResourceService.objects.count(),
    }
    for path, body in itertools.islice(itertools.cycle(refusals), 50):
        response = client.post(path, body, format="json")
        assert response.status_code == 403, (path, response.content)
    denied = AuditEvent.objects.filter(actor=pharmacist, action=AuditAction.DENIED)
    assert denied.count() == 50
    assert set(denied.values_list("source", flat=True)) == {AuditSource.API}
    assert {event.path for event in denied} == {path for path, _ in refusals}
    assert all(event.object_type and event.detail["method"] == "POST" for event in denied)
    task_events = denied.filter(path=refusals[0][0])
    assert {event.patient_id for event in task_events} == {patient.pk}
    assert {event.object_id for event in task_events} == {str(task.pk)}
    assert before == {
        "tasks": list(Task.objects.values_list("pk", "owner_id", "status")),
        "referrals": list(Referral.objects.values_list("pk", "snoozed_until", "state")),
        "huddles": list(Huddle.objects.values_list("pk", "status")),
        "services": ResourceService.objects.count(),
    }


def test_page_not_found_from_selector_is_404_without_decorator(
    client_for, nurse, outsider, patient
):
    task = make_task(patient, nurse, actor=nurse)
    missing = client_for(nurse).get(reverse("tasks:detail", args=[task.pk + 1000]))
    hidden = client_for(outsider).get(reverse("tasks:detail", args=[task.pk]))
    for response in (missing, hidden):
        assert response.status_code == 404
        assert b"Not found" in response.content
        assert patient.family_name.encode() not in response.content
    views = Path(settings.BASE_DIR, "apps").rglob("*views.py")
    assert not [path for path in views if "except NotFoundError" in path.read_text()]


def test_unhandled_domain_refusal_on_a_page_is_a_400_with_its_message(rf, nurse):
    request = rf.post("/somewhere/", HTTP_HX_REQUEST="true")
    request.user = nurse
    request.htmx = True
    middleware = RequestContextMiddleware(lambda request: HttpResponse())
    error = ApplicationError("The reconciliation has an unexplained change.")
    response = middleware.process_exception(request, error)
    assert response is not None
    assert response.status_code == 400
    assert b"unexplained change" in response.content
    assert b"<html" not in response.content


def test_every_refused_ui_write_is_audited_once(client_for, pharmacist, nurse, patient):
    huddle = make_huddle(patient.care_team, nurse)
    client = client_for(pharmacist)
    paths = [reverse("huddles:open", args=[huddle.pk]), reverse("huddles:cancel", args=[huddle.pk])]
    for path in paths * 3:
        assert client.post(path, {"reason": "r"}).status_code == 403
    denied = AuditEvent.objects.filter(actor=pharmacist, action=AuditAction.DENIED)
    assert denied.count() == 6
    assert {(event.source, event.path) for event in denied} == {
        (AuditSource.UI, path) for path in paths
    }
    assert {event.object_id for event in denied} == {str(huddle.pk)}
    assert Huddle.objects.get(pk=huddle.pk).status == huddle.status


def test_a_refused_admin_write_is_audited_once(client_for, organisation, nurse, patient):
    task = make_task(patient, nurse, actor=nurse)
    viewer = factories.make_staff(
        organisation, Permission.objects.filter(codename="view_task"), username="auditor"
    )
    path = reverse("admin:tasks_task_change", args=[task.pk])
    response = client_for(viewer).post(path, {"title": "Changed"})
    assert response.status_code == 403
    event = AuditEvent.objects.get(actor=viewer, action=AuditAction.DENIED)
    assert (event.source, event.path, event.object_id) == (AuditSource.ADMIN, path, str(task.pk))
    assert Task.objects.get(pk=task.pk).title == task.title


def test_unhandled_domain_refusal_on_a_full_page_is_a_400_page(rf, nurse):
    request = rf.post("/somewhere/")
    request.user = nurse
    request.htmx = False
    middleware = RequestContextMiddleware(lambda request: HttpResponse())
    response = middleware.process_exception(request, ApplicationError("Nothing to do."))
    assert response is not None
    assert response.status_code == 400
    assert b"Nothing to do." in response.content
    assert b"<html" in response.content
