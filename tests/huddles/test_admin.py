"""The admin door: scheduling through the services, own organisation only, reads audited."""

from datetime import time, timedelta

from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from apps.core.models import AuditAction, AuditEvent
from apps.huddles.models import Huddle, HuddleSeries, HuddleStatus
from tests import factories
from tests.huddles.factories import make_huddle, make_task, open_huddle


def test_admin_schedules_a_huddle_through_the_service(client_for, org_admin, team):
    start = timezone.localtime(timezone.now() + timedelta(days=1))
    response = client_for(org_admin).post(
        reverse("admin:huddles_huddle_add"),
        {
            "team": team.pk,
            "title": "Admin huddle",
            "scheduled_start_0": start.strftime("%Y-%m-%d"),
            "scheduled_start_1": "09:00:00",
            "duration_minutes": 25,
            "attendance-TOTAL_FORMS": 0,
            "attendance-INITIAL_FORMS": 0,
            "items-TOTAL_FORMS": 0,
            "items-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    huddle = Huddle.objects.get(title="Admin huddle")
    assert huddle.duration_minutes == 25
    assert AuditEvent.objects.filter(
        object_type="huddles.huddle", object_id=str(huddle.pk), action=AuditAction.CREATE
    ).exists()


def test_admin_creates_a_weekly_series_with_its_huddles(client_for, org_admin, team):
    response = client_for(org_admin).post(
        reverse("admin:huddles_huddleseries_add"),
        {
            "team": team.pk,
            "title": "Admin weekly",
            "weekday": 1,
            "start_time": "09:00",
            "interval_weeks": 1,
            "duration_minutes": 30,
            "starts_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    series = HuddleSeries.objects.get(title="Admin weekly")
    assert Huddle.objects.filter(series=series).count() >= 4
    assert series.start_time == time(9, 0)


def test_admin_cancel_action_uses_the_service(client_for, org_admin, team, nurse):
    huddle = make_huddle(team, nurse)
    client_for(org_admin).post(
        reverse("admin:huddles_huddle_changelist"),
        {"action": "cancel_selected", "_selected_action": [huddle.pk]},
    )
    huddle.refresh_from_db()
    assert huddle.status == HuddleStatus.CANCELLED
    assert huddle.cancelled_reason


def test_admin_of_another_organisation_sees_no_huddles(client_for, team, nurse):
    make_huddle(team, nurse)
    stranger = factories.make_staff(
        factories.make_organisation(), Permission.objects.filter(content_type__app_label="huddles")
    )
    response = client_for(stranger).get(reverse("admin:huddles_huddle_changelist"))
    assert response.status_code == 200
    assert "Northside huddle" not in response.content.decode()


def test_admin_view_of_a_huddle_is_audited_with_its_patients(
    client_for, org_admin, team, nurse, pcp, patient
):
    make_task(patient, pcp, due_in=-timedelta(days=1))
    huddle = open_huddle(team, nurse)
    response = client_for(org_admin).get(reverse("admin:huddles_huddle_change", args=[huddle.pk]))
    assert response.status_code == 200
    assert AuditEvent.objects.filter(
        actor=org_admin, action=AuditAction.LIST, patient_ids=[patient.pk]
    ).exists()
