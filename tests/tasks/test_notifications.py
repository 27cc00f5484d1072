"""What a notification says and to whom: one per event per person, the patient named in the
app only, emails that carry no patient data."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.core import mail
from django.urls import reverse

from apps.tasks import services
from apps.tasks.models import Notification
from apps.tasks.notifications import notification_email_send
from apps.tasks.services.lifecycle import task_link
from apps.tasks.services.reminders import SWEEP, task_reminders_sweep
from caregraph.celery import app as celery_app
from tests.tasks.factories import make_task

MONDAY_9AM = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("America/New_York"))


def _about_task(task, **filters) -> list[Notification]:
    return list(Notification.objects.filter(task=task, **filters))


def test_owner_who_is_lead_gets_one_notification_per_event(nurse, chw, patient):
    """The nurse leads the team: her own late task reminds her once and does not escalate
    to her again; the CHW's late task reminds the CHW and escalates to the nurse, once each."""
    with time_machine.travel(MONDAY_9AM, tick=False):
        own = make_task(patient, nurse, actor=nurse, due_at=MONDAY_9AM + timedelta(hours=2))
        theirs = make_task(patient, chw, actor=nurse, due_at=MONDAY_9AM + timedelta(hours=2))
        assert task_reminders_sweep(actor=SWEEP).reminded == 2
    with time_machine.travel(MONDAY_9AM + timedelta(hours=3), tick=False):
        assert task_reminders_sweep(actor=SWEEP).escalated == 2
        task_reminders_sweep(actor=SWEEP)

    assert [n.recipient for n in _about_task(own)] == [nurse]
    own.refresh_from_db()
    assert own.escalated_at is not None  # the step is recorded; only the repeat is not sent
    assert sorted(n.recipient.username for n in _about_task(theirs)) == ["chw", "nurse"]


def test_a_lead_reassigning_to_themself_is_not_notified(nurse, chw, patient):
    task = make_task(patient, chw, actor=nurse)
    services.task_reassign(actor=nurse, task=task, new_owner=nurse, reason="I will call")
    assert _about_task(task, recipient=nurse) == []


def test_in_app_notification_names_patient_and_mrn(client_for, nurse, chw, patient):
    task = make_task(patient, nurse, actor=nurse, title="Arrange transport")
    services.task_reassign(actor=nurse, task=task, new_owner=chw, reason="Closer to home")
    response = client_for(chw).get(reverse("tasks:notifications"))
    body = response.content.decode()
    assert response.status_code == 200
    item = re.search(r'<li class="notification[^"]*">(.*?)</li>', body, re.S)
    assert item is not None
    text = re.sub(r"<[^>]+>", "", item.group(1))
    assert "Garcia, Rosa" in text
    assert "MRN0001" in text
    assert "Task handed to you: Arrange transport" in text


def test_email_carries_no_patient_data(
    nurse, chw, patient, settings, django_capture_on_commit_callbacks
):
    """Every kind the tasks app sends (handed over, due soon, escalated) names no patient,
    no MRN and no task title in its email; the in-app notification still does."""
    settings.CAREGRAPH_BASE_URL = "https://caregraph.example"
    for user in (nurse, chw):
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    title = "Call Rosa Garcia about her insulin"
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with time_machine.travel(MONDAY_9AM, tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                task = make_task(
                    patient, nurse, actor=nurse, title=title, due_at=MONDAY_9AM + timedelta(hours=2)
                )
                services.task_reassign(actor=nurse, task=task, new_owner=chw, reason="Spanish")
            with django_capture_on_commit_callbacks(execute=True):
                task_reminders_sweep(actor=SWEEP)
        with (
            time_machine.travel(MONDAY_9AM + timedelta(hours=3), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            task_reminders_sweep(actor=SWEEP)
    finally:
        celery_app.conf.task_always_eager = previous

    kinds = sorted(Notification.objects.values_list("kind", flat=True))
    assert len(kinds) == 3
    assert len(mail.outbox) == 3
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}"
        for detail in ("Rosa", "Garcia", patient.mrn, "insulin", "1950"):
            assert detail not in text, (message.subject, detail)
        assert f"https://caregraph.example{task_link(task.pk)}" in message.body
    assert all(n.patient_id == patient.pk for n in Notification.objects.all())


def test_email_link_uses_the_configured_site_address(nurse, chw, patient, settings):
    """The link in the email opens the task at the site address, whatever port the demo
    runs on; a trailing slash in the setting does not make a broken `//` link."""
    settings.CAREGRAPH_BASE_URL = "https://care.example.org:8443/"
    chw.email = "chw@example.org"
    chw.save(update_fields=["email"])
    task = make_task(patient, nurse, actor=nurse, title="Call about transport")
    notification = Notification.objects.create(
        recipient=chw,
        kind="task_assigned",
        subject="Task handed to you",
        link=task_link(task.pk),
        idempotency_key=f"test:{task.pk}",
        task=task,
    )
    mail.outbox.clear()
    assert notification_email_send(notification_id=notification.pk) == "sent"
    (message,) = mail.outbox
    assert f"https://care.example.org:8443{task_link(task.pk)}" in message.body
    assert "8443//" not in message.body
