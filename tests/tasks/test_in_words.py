"""Task history and notifications in words, never raw codes; "mark all read", audited."""

from django.core import mail
from django.urls import reverse

from apps.core.models import AuditAction, AuditEvent
from apps.tasks.models import Notification
from apps.tasks.notifications import notification_email_send, notification_mark_read
from apps.tasks.services import task_complete, task_start
from tests.tasks.factories import make_task


def _notify(recipient, key: str, kind: str = "task_due", task=None) -> Notification:
    return Notification.objects.create(
        recipient=recipient,
        kind=kind,
        subject=f"Something for {recipient.username}",
        idempotency_key=key,
        task=task,
    )


def test_task_history_page_shows_status_changes_in_words(client_for, nurse, chw, patient):
    task = make_task(patient, chw, actor=nurse, verification_role="rn_care_coordinator")
    task_start(actor=chw, task=task)
    task_complete(actor=chw, task=task)
    page = client_for(chw).get(reverse("tasks:detail", args=[task.pk])).content.decode()
    assert "Requested → In progress" in page
    assert "In progress → Awaiting verification" in page
    assert "in_progress" not in page
    assert "awaiting_verification" not in page


def test_task_api_gives_statuses_and_history_in_words(api_for, nurse, chw, patient):
    task = make_task(patient, chw, actor=nurse)
    task_start(actor=chw, task=task)
    data = api_for(chw).get(reverse("api-task-detail", args=[task.pk])).json()
    assert data["status"] == "in_progress"
    assert data["status_display"] == "In progress"
    assert data["priority_display"] == "Routine"
    change = data["history"][-1]
    assert (change["from_status_display"], change["to_status_display"]) == (
        "Requested",
        "In progress",
    )
    assert change["kind_display"] == "Status changed"
    row = api_for(chw).get(reverse("api-task-my-work")).json()["upcoming"][0]
    assert row["status_display"] == "In progress"


def test_notification_email_subject_names_the_kind_in_words(nurse, chw, patient):
    chw.email = "chw@example.org"
    chw.save(update_fields=["email"])
    notification = _notify(chw, "words:1", kind="task_overdue")
    mail.outbox.clear()
    notification_email_send(notification_id=notification.pk)
    (message,) = mail.outbox
    assert message.subject == "[caregraph] Task overdue"
    assert "task_overdue" not in message.body


def test_notifications_page_and_api_name_each_kind_in_words(client_for, api_for, chw):
    _notify(chw, "words:2", kind="referral_escalation")
    page = client_for(chw).get(reverse("tasks:notifications")).content.decode()
    assert "Referral escalated" in page
    (item,) = api_for(chw).get(reverse("api-notifications")).json()
    assert item["kind"] == "referral_escalation"
    assert item["kind_display"] == "Referral escalated"


def test_mark_all_read_marks_every_unread_notification_of_mine_only_and_is_audited(nurse, chw):
    mine = [_notify(chw, f"mine:{n}") for n in range(3)]
    theirs = _notify(nurse, "theirs:1")
    assert notification_mark_read(actor=chw, notification_ids=None) == 3
    assert not Notification.objects.filter(pk__in=[n.pk for n in mine], read_at=None).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="tasks.notification")
    assert event.actor_id == chw.pk
    assert event.detail["notification_ids"] == sorted(n.pk for n in mine)
    assert event.detail["all"] is True


def test_marking_nothing_new_read_writes_no_audit_event(chw, nurse):
    theirs = _notify(nurse, "theirs:2")
    assert notification_mark_read(actor=chw, notification_ids=[theirs.pk]) == 0
    assert notification_mark_read(actor=chw, notification_ids=None) == 0
    assert not AuditEvent.objects.filter(object_type="tasks.notification").exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_button_on_the_notifications_page(client_for, chw):
    for n in range(2):
        _notify(chw, f"page:{n}")
    client = client_for(chw)
    page = client.get(reverse("tasks:notifications")).content.decode()
    assert "Mark all read" in page
    response = client.post(reverse("tasks:notifications_read"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=chw, read_at=None).exists()
    assert AuditEvent.objects.filter(actor_id=chw.pk, object_type="tasks.notification").exists()


def test_api_mark_all_read_and_mark_some_read(api_for, chw):
    first, *_others = [_notify(chw, f"api:{n}") for n in range(3)]
    client = api_for(chw)
    some = client.post(reverse("api-notifications-read"), {"ids": [first.pk]}, format="json")
    assert some.status_code == 200
    assert some.json() == {"marked_read": 1, "unread": 2}
    everything = client.post(reverse("api-notifications-read"), {}, format="json")
    assert everything.json() == {"marked_read": 2, "unread": 0}
    assert not Notification.objects.filter(recipient=chw, read_at=None).exists()


def test_api_mark_read_refuses_bad_ids_and_changes_nothing(api_for, chw):
    notification = _notify(chw, "api:bad")
    response = api_for(chw).post(reverse("api-notifications-read"), {"ids": ["abc"]}, format="json")
    assert response.status_code == 400
    assert "ids" in response.json()
    notification.refresh_from_db()
    assert notification.read_at is None


def test_notifications_api_needs_a_signed_in_user(api_for):
    assert api_for(None).get(reverse("api-notifications")).status_code == 401
    assert api_for(None).post(reverse("api-notifications-read"), {}).status_code == 401
