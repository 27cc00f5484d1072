"""Role-matrix cases the page and API suites left out: hold, cancel, verify, notifications."""

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from apps.accounts.models import Role
from apps.tasks.models import Notification, Task, TaskEvent, TaskStatus
from apps.tasks.services import task_reassign
from tests.tasks.factories import make_performed

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def awaiting_check(patient, pharmacist):
    """Done by the pharmacist, waiting for a second pharmacist's check."""
    return make_performed(patient, pharmacist, role=Role.PHARMACIST)


def snapshot():
    return (
        list(Task.objects.order_by("pk").values_list("pk", "status", "owner_id", "verified_by_id")),
        TaskEvent.objects.count(),
        list(Notification.objects.order_by("pk").values_list("pk", "read_at")),
    )


def leaks(response, patient) -> bool:
    body = response.content.decode()
    return any(value in body for value in (patient.given_name, patient.family_name, patient.mrn))


# --- Pages ----------------------------------------------------------------------------


def test_an_outsider_holding_a_task_gets_the_same_404_as_a_missing_task(
    client_for, outsider, task, patient
):
    before = snapshot()
    client = client_for(outsider)
    response = client.post(reverse("tasks:hold", args=[task.pk]), {"reason": "wait"}, **HTMX)
    missing = client.post(reverse("tasks:hold", args=[999_999]), {"reason": "wait"}, **HTMX)
    assert response.status_code == missing.status_code == 404
    assert task.title not in response.content.decode()
    assert not leaks(response, patient)
    assert snapshot() == before


def test_a_member_without_the_right_cannot_cancel_from_the_page(client_for, viewer, task, patient):
    before = snapshot()
    response = client_for(viewer).post(
        reverse("tasks:cancel", args=[task.pk]), {"reason": "duplicate"}, **HTMX
    )
    assert response.status_code == 403
    assert not leaks(response, patient)
    assert snapshot() == before
    assert Task.objects.get(pk=task.pk).status != TaskStatus.CANCELLED


def test_a_member_without_the_verifying_role_cannot_verify_from_the_page(
    client_for, viewer, awaiting_check, patient
):
    before = snapshot()
    response = client_for(viewer).post(reverse("tasks:verify", args=[awaiting_check.pk]), **HTMX)
    assert response.status_code == 403
    assert not leaks(response, patient)
    assert snapshot() == before


@pytest.mark.parametrize("action", ["hold", "cancel"])
def test_anonymous_hold_and_cancel_go_to_login_and_change_nothing(client, task, patient, action):
    before = snapshot()
    response = client.post(reverse(f"tasks:{action}", args=[task.pk]), {"reason": "x"})
    assert response.status_code == 302
    assert resolve_url(settings.LOGIN_URL) in response["Location"]
    assert not leaks(response, patient)
    assert snapshot() == before


# --- API ------------------------------------------------------------------------------


def test_an_outsider_verifying_through_the_api_gets_404(api_for, outsider, awaiting_check, patient):
    before = snapshot()
    response = api_for(outsider).post(
        reverse("api-task-verify", args=[awaiting_check.pk]), {}, format="json"
    )
    missing = api_for(outsider).post(reverse("api-task-verify", args=[999_999]), {}, format="json")
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()
    assert not leaks(response, patient)
    assert snapshot() == before


def test_a_member_without_the_verifying_role_gets_403_from_the_api(
    api_for, viewer, awaiting_check, patient
):
    before = snapshot()
    response = api_for(viewer).post(
        reverse("api-task-verify", args=[awaiting_check.pk]), {}, format="json"
    )
    assert response.status_code == 403
    assert not leaks(response, patient)
    assert snapshot() == before
    assert Task.objects.get(pk=awaiting_check.pk).status == TaskStatus.AWAITING_VERIFICATION


# --- Notifications ----------------------------------------------------------------------


@pytest.fixture
def nurse_notification(nurse, chw, task):
    task_reassign(actor=chw, task=task, new_owner=nurse, reason="Off sick")
    return Notification.objects.get(recipient=nurse)


def test_anonymous_gets_no_badge_and_marks_nothing_read(client, nurse_notification, patient):
    badge = client.get(reverse("tasks:notification_badge"))
    assert badge.status_code == 302
    assert resolve_url(settings.LOGIN_URL) in badge["Location"]
    before = snapshot()
    read = client.post(reverse("tasks:notifications_read"), {"id": nurse_notification.pk})
    assert read.status_code == 302
    assert resolve_url(settings.LOGIN_URL) in read["Location"]
    assert not leaks(badge, patient)
    assert snapshot() == before


def test_marking_another_users_notification_read_leaves_it_unread(
    client_for, chw, nurse, nurse_notification
):
    before = snapshot()
    client_for(chw).post(reverse("tasks:notifications_read"), {"id": nurse_notification.pk})
    nurse_notification.refresh_from_db()
    assert nurse_notification.read_at is None
    assert snapshot() == before
    badge = client_for(nurse).get(reverse("tasks:notification_badge")).content.decode()
    assert '">1</span>' in badge
