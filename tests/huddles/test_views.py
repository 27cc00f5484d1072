"""The htmx pages: list, schedule, the run screen and its partials, minutes, chart section."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.core.models import AuditAction, AuditEvent
from apps.huddles.models import AgendaItem, Huddle, HuddleAttendance, HuddleStatus, ItemStatus
from apps.tasks.models import Task, TaskSource
from tests import factories
from tests.huddles.factories import make_huddle, make_task, open_huddle, run_and_close

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def running(team, nurse, pcp, patient):
    make_task(patient, pcp, due_in=-timedelta(days=2), title="Review the labs")
    huddle = open_huddle(team, nurse)
    return huddle, AgendaItem.objects.get(huddle=huddle)


def url(name, *args):
    return reverse(f"huddles:{name}", args=args)


def test_list_shows_upcoming_and_measures_of_closed_huddles(client_for, team, nurse, running):
    huddle, item = running
    upcoming = make_huddle(team, nurse, start=timezone.now() + timedelta(days=2))
    client = client_for(nurse)
    client.post(url("attendance", huddle.pk, nurse.pk), {"present": "1"}, **HX)
    client.post(
        url("item_task_create", huddle.pk, item.pk),
        {
            "title": "Call lab",
            "owner": nurse.pk,
            "due": "2bd",
            "token": "t1",
            "priority": "routine",
        },
        **HX,
    )
    client.post(url("item_discuss", huddle.pk, item.pk), {"decision": "Chase the lab"}, **HX)
    client.post(url("close", huddle.pk), **HX)
    page = client.get(url("list")).content.decode()
    assert upcoming.title in page
    assert 'id="measure-items">1.0<' in page
    assert 'id="measure-owned">100 %<' in page
    assert "RN care coordinator" in page


def test_schedule_a_weekly_series_from_the_form(client_for, team, nurse):
    response = client_for(nurse).post(
        url("schedule"),
        {
            "kind": "series",
            "series-team": team.pk,
            "series-title": "Tuesday huddle",
            "series-weekday": 1,
            "series-start_time": "09:00",
            "series-interval_weeks": 1,
            "series-duration_minutes": 20,
        },
    )
    assert response.status_code == 302
    huddles = Huddle.objects.filter(team=team, series__isnull=False).order_by("scheduled_start")
    assert huddles.count() >= 4
    local = timezone.localtime(huddles[0].scheduled_start)
    assert (local.weekday(), local.hour, local.minute) == (1, 9, 0)


def test_schedule_page_refuses_a_member_who_cannot_run_huddles(client_for, pcp, team):
    client = client_for(pcp)
    assert client.get(url("schedule")).status_code == 302
    response = client.post(
        url("schedule"),
        {
            "kind": "one_off",
            "one-team": team.pk,
            "one-scheduled_start": "2030-01-01T09:00",
            "one-duration_minutes": 30,
        },
    )
    assert response.status_code == 302
    assert not Huddle.objects.exists()


def test_run_screen_shows_agenda_with_patient_and_evidence(client_for, nurse, running, patient):
    huddle, _ = running
    page = client_for(nurse).get(url("detail", huddle.pk)).content.decode()
    assert "Garcia, Rosa" in page
    assert "Review the labs" in page
    assert "Choose one owner" in page
    assert AuditEvent.objects.filter(action=AuditAction.LIST, patient_ids=[patient.pk]).exists()


def test_closing_an_item_without_decision_or_reason_shows_the_rule(client_for, nurse, running):
    huddle, item = running
    response = client_for(nurse).post(url("item_discuss", huddle.pk, item.pk), {}, **HX)
    assert response.status_code == 400
    assert response["X-Refusal"] == "1"
    assert "Record the decision" in response.content.decode()
    item.refresh_from_db()
    assert item.status == ItemStatus.PENDING


def test_task_from_an_item_in_two_clicks_shows_on_the_item(client_for, nurse, pcp, running):
    huddle, item = running
    response = client_for(nurse).post(
        url("item_task_create", huddle.pk, item.pk),
        {
            "title": "Call the lab",
            "owner": pcp.pk,
            "due": "1bd",
            "token": "abc",
            "priority": "routine",
        },
        **HX,
    )
    assert response.status_code == 200
    task = Task.objects.get(source_type=TaskSource.HUDDLE, source_id=item.pk)
    assert task.owner == pcp
    assert task.due_at > timezone.now()
    assert "Call the lab" in response.content.decode()


def test_double_submit_of_the_same_task_form_makes_one_task(client_for, nurse, pcp, running):
    huddle, item = running
    client = client_for(nurse)
    data = {"title": "Call", "owner": pcp.pk, "due": "1bd", "token": "same", "priority": "routine"}
    client.post(url("item_task_create", huddle.pk, item.pk), data, **HX)
    client.post(url("item_task_create", huddle.pk, item.pk), data, **HX)
    assert Task.objects.filter(source_type=TaskSource.HUDDLE, source_id=item.pk).count() == 1


def test_attendance_checkbox_marks_the_member_present(client_for, nurse, pcp, running):
    huddle, _ = running
    response = client_for(nurse).post(url("attendance", huddle.pk, pcp.pk), {"present": "1"}, **HX)
    assert response.status_code == 200
    assert HuddleAttendance.objects.get(huddle=huddle, user=pcp).present


def test_close_without_attendance_is_refused_with_a_message(client_for, nurse, running):
    huddle, _ = running
    response = client_for(nurse).post(url("close", huddle.pk), **HX)
    assert "Record who attended" in response.content.decode()
    huddle.refresh_from_db()
    assert huddle.status == HuddleStatus.OPEN


def test_close_redirects_to_printable_minutes(client_for, nurse, pcp, running):
    huddle, item = running
    client = client_for(nurse)
    client.post(url("attendance", huddle.pk, pcp.pk), {"present": "1"}, **HX)
    client.post(
        url("item_task_create", huddle.pk, item.pk),
        {"title": "Call lab", "owner": pcp.pk, "due": "5bd", "token": "x", "priority": "routine"},
        **HX,
    )
    client.post(url("item_discuss", huddle.pk, item.pk), {"decision": "Chase the lab"}, **HX)
    response = client.post(url("close", huddle.pk), **HX)
    assert response["HX-Redirect"] == url("minutes", huddle.pk)
    minutes = client.get(url("minutes", huddle.pk)).content.decode()
    assert "Chase the lab" in minutes
    assert f"owner {pcp.display_name}" in minutes
    assert pcp.display_name in minutes.split('id="minutes-present"')[1]


def test_chart_section_lists_the_patients_huddle_decisions(
    client_for, nurse, pcp, running, patient
):
    huddle, item = running
    client = client_for(nurse)
    client.post(url("item_discuss", huddle.pk, item.pk), {"decision": "Chase the lab"}, **HX)
    run_and_close(huddle, nurse)
    chart = client.get(reverse("patients:chart", args=[patient.pk])).content.decode()
    assert url("patient_history", patient.pk) in chart
    section = client.get(url("patient_history", patient.pk)).content.decode()
    assert "Chase the lab" in section


def test_add_item_by_mrn_and_move_it_up(client_for, nurse, running, patient):
    huddle, first = running
    client = client_for(nurse)
    response = client.post(
        url("item_add", huddle.pk), {"mrn": patient.mrn, "title": "Family call", "note": ""}, **HX
    )
    assert "Family call" in response.content.decode()
    added = AgendaItem.objects.get(huddle=huddle, title="Family call")
    client.post(url("item_move", huddle.pk, added.pk, "up"), **HX)
    order = list(AgendaItem.objects.filter(huddle=huddle).values_list("pk", flat=True))
    assert order == [added.pk, first.pk]


def test_skip_needs_a_reason(client_for, nurse, running):
    huddle, item = running
    client = client_for(nurse)
    refused = client.post(url("item_skip", huddle.pk, item.pk), {"reason": ""}, **HX)
    assert "Say why" in refused.content.decode()
    client.post(url("item_skip", huddle.pk, item.pk), {"reason": "Patient in hospital"}, **HX)
    item.refresh_from_db()
    assert (item.status, item.reason) == (ItemStatus.SKIPPED, "Patient in hospital")


def test_scheduled_huddle_page_lazy_loads_the_agenda_preview(client_for, team, nurse, pcp, patient):
    make_task(patient, pcp, due_in=-timedelta(days=1), title="Overdue thing")
    huddle = make_huddle(team, nurse)
    client = client_for(nurse)
    page = client.get(url("detail", huddle.pk)).content.decode()
    assert url("preview", huddle.pk) in page
    preview = client.get(url("preview", huddle.pk), **HX).content.decode()
    assert "Garcia, Rosa" in preview
    assert not AgendaItem.objects.exists()


def test_clock_partial_shows_the_time_box(client_for, nurse, running):
    huddle, _ = running
    body = client_for(nurse).get(url("clock", huddle.pk), **HX).content.decode()
    assert "Time box 30 min" in body
    assert "1 to go" in body


@pytest.mark.parametrize("owner", ["", "OUTSIDER", "LEFT", "12345678"])
def test_task_form_never_makes_a_task_without_one_owner_on_the_team(
    client_for, team, nurse, chw, outsider, running, owner
):
    from apps.teams.models import TeamMembership
    from apps.teams.services import team_member_remove

    huddle, item = running
    team_member_remove(
        actor=nurse, membership=TeamMembership.objects.get(team=team, user=chw, ended_at=None)
    )
    value = {"OUTSIDER": outsider.pk, "LEFT": chw.pk}.get(owner, owner)
    response = client_for(nurse).post(
        url("item_task_create", huddle.pk, item.pk),
        {"title": "Call", "owner": value, "due": "1bd", "token": "t"},
        **HX,
    )
    assert response.status_code == 400
    assert response["X-Refusal"] == "1"
    assert "data-refusal" in response.content.decode()
    assert not Task.objects.filter(source_type=TaskSource.HUDDLE).exists()


def test_task_form_without_a_due_date_makes_no_task(client_for, nurse, pcp, running):
    huddle, item = running
    response = client_for(nurse).post(
        url("item_task_create", huddle.pk, item.pk),
        {"title": "Call", "owner": pcp.pk, "token": "t"},
        **HX,
    )
    assert "Choose when it is due" in response.content.decode()
    assert not Task.objects.filter(source_type=TaskSource.HUDDLE).exists()


def _queries_for(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_huddle_list_query_count_does_not_grow_with_the_number_of_huddles(
    client_for, team, nurse, pcp, org_admin
):
    client = client_for(nurse)
    patient = factories.make_patient(team, actor=org_admin)
    make_task(patient, pcp, due_in=-timedelta(days=1))
    run_and_close(open_huddle(team, nurse), nurse)
    make_huddle(team, nurse, start=timezone.now() + timedelta(days=3))
    _queries_for(client, url("list"))  # the first request of a session loads more
    few = _queries_for(client, url("list"))
    for _ in range(6):
        run_and_close(open_huddle(team, nurse), nurse)
        make_huddle(team, nurse, start=timezone.now() + timedelta(days=3))
    assert _queries_for(client, url("list")) == few


def test_run_screen_query_count_does_not_grow_with_the_agenda(
    client_for, team, nurse, pcp, org_admin
):
    client = client_for(nurse)
    for _ in range(2):
        make_task(factories.make_patient(team, actor=org_admin), pcp, due_in=-timedelta(days=1))
    small = open_huddle(team, nurse)
    _queries_for(client, url("detail", small.pk))  # the first request of a session loads more
    few = _queries_for(client, url("detail", small.pk))
    run_and_close(small, nurse)
    for _ in range(12):
        make_task(factories.make_patient(team, actor=org_admin), pcp, due_in=-timedelta(days=1))
    large = open_huddle(team, nurse)
    assert AgendaItem.objects.filter(huddle=large).count() >= 14
    assert _queries_for(client, url("detail", large.pk)) == few
