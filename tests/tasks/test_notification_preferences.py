"""Notification preferences per person and kind: at once by email, a daily digest, in
caregraph only, or off (never for warnings), and the digest job that emails once a day."""

from datetime import timedelta

import pytest
from django.core import mail

from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditEvent
from apps.tasks import services
from apps.tasks.models import (
    Notification,
    NotificationDelivery,
    NotificationKind,
    NotificationPreference,
)
from apps.tasks.notifications import (
    notification_email_send,
    notification_emails_requeue,
    notification_send,
)
from apps.tasks.preferences import notification_digest_send, notification_preferences_set
from apps.tasks.services.reminders import SWEEP, task_reminders_sweep
from apps.tasks.workers import notification_digest_task
from tests.tasks.factories import make_task


def _with_email(*users):
    for user in users:
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])


def _hand_over(nurse, chw, patient, title="Arrange transport"):
    task = make_task(patient, nurse, actor=nurse, title=title)
    services.task_reassign(actor=nurse, task=task, new_owner=chw, reason="Speaks Spanish")
    return task


def test_a_kind_switched_off_makes_no_notification_at_all(nurse, chw, patient):
    notification_preferences_set(
        actor=chw, choices={NotificationKind.TASK_ASSIGNED: NotificationDelivery.OFF}
    )
    _hand_over(nurse, chw, patient)
    assert not Notification.objects.filter(recipient=chw).exists()


def test_in_app_only_shows_the_notification_but_never_emails_it(
    nurse, chw, patient, django_capture_on_commit_callbacks
):
    _with_email(chw)
    notification_preferences_set(
        actor=chw, choices={NotificationKind.TASK_ASSIGNED: NotificationDelivery.IN_APP}
    )
    with django_capture_on_commit_callbacks() as queued:
        _hand_over(nurse, chw, patient)
    notification = Notification.objects.get(recipient=chw)
    assert notification.delivery == NotificationDelivery.IN_APP
    assert queued == []  # no email job
    assert notification_email_send(notification_id=notification.pk) == "skipped"
    Notification.objects.filter(pk=notification.pk).update(
        created_at=notification.created_at - timedelta(minutes=30)
    )
    assert notification_emails_requeue() == 0
    assert mail.outbox == []


def test_the_daily_digest_sends_one_email_per_person_counting_each_kind_without_patient_data(
    nurse, chw, patient
):
    _with_email(chw)
    notification_preferences_set(
        actor=chw, choices={NotificationKind.TASK_ASSIGNED: NotificationDelivery.DIGEST}
    )
    _hand_over(nurse, chw, patient, title="Call Rosa Garcia about insulin")
    _hand_over(nurse, chw, patient, title="Bring the food bank form")
    assert mail.outbox == []

    result = notification_digest_send()

    assert result.done == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["chw@example.org"]
    assert "- Task handed to you: 2" in message.body
    for detail in ("Rosa", "Garcia", patient.mrn, "insulin", "food bank"):
        assert detail not in f"{message.subject}\n{message.body}"
    # A second run the same day finds nothing left to send.
    notification_digest_send()
    assert len(mail.outbox) == 1
    assert not Notification.objects.filter(recipient=chw, emailed_at__isnull=True).exists()


def test_the_digest_beat_job_runs_the_digest(nurse, chw, patient):
    _with_email(chw)
    notification_preferences_set(
        actor=chw, choices={NotificationKind.TASK_ASSIGNED: NotificationDelivery.DIGEST}
    )
    _hand_over(nurse, chw, patient)
    notification_digest_task.apply()
    assert len(mail.outbox) == 1


def test_a_warning_cannot_be_switched_off_and_nothing_is_saved(chw):
    with pytest.raises(ApplicationError) as refused:
        notification_preferences_set(
            actor=chw,
            choices={
                NotificationKind.TASK_DUE: NotificationDelivery.DIGEST,
                NotificationKind.TASK_OVERDUE: NotificationDelivery.OFF,
            },
        )
    assert NotificationKind.TASK_OVERDUE in refused.value.field_errors
    assert not NotificationPreference.objects.filter(user=chw).exists()


def test_an_overdue_warning_still_arrives_for_someone_who_switched_due_reminders_off(
    nurse, patient
):
    notification_preferences_set(
        actor=nurse, choices={NotificationKind.TASK_DUE: NotificationDelivery.OFF}
    )
    make_task(patient, nurse, title="Late", due_in=timedelta(hours=-2))
    task_reminders_sweep(actor=SWEEP)
    kinds = set(Notification.objects.filter(recipient=nurse).values_list("kind", flat=True))
    assert NotificationKind.TASK_DUE not in kinds
    assert NotificationKind.TASK_OVERDUE in kinds


def test_the_preferences_page_saves_choices_per_kind_and_audits_them(client_for, chw):
    client = client_for(chw)
    page = client.get("/work/notifications/preferences/").content.decode()
    assert "<legend>Task handed to you</legend>" in page
    assert 'value="off"' in page

    choices = {kind.value: NotificationDelivery.EMAIL for kind in NotificationKind}
    choices[NotificationKind.TASK_DUE] = NotificationDelivery.DIGEST
    response = client.post("/work/notifications/preferences/", choices)

    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=chw).kind == NotificationKind.TASK_DUE
    event = AuditEvent.objects.filter(actor=chw, action=AuditAction.UPDATE).latest("occurred_at")
    assert event.detail["kinds"] == [NotificationKind.TASK_DUE]


def test_the_preferences_page_refuses_an_unknown_delivery_with_a_400(client_for, chw):
    choices = {kind.value: NotificationDelivery.EMAIL for kind in NotificationKind}
    choices[NotificationKind.TASK_DUE] = "carrier_pigeon"
    response = client_for(chw).post("/work/notifications/preferences/", choices)
    assert response.status_code == 400
    assert not NotificationPreference.objects.filter(user=chw).exists()


def test_a_notification_for_a_person_with_no_preferences_is_emailed_at_once(chw, patient):
    notification = notification_send(
        recipient=chw, idempotency_key="k1", kind=NotificationKind.TASK_DUE, subject="Due"
    )
    assert notification is not None
    assert notification.delivery == NotificationDelivery.EMAIL
