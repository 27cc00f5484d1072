"""Tasks fit real days: edited with history, typed with default due times, recurring,
searched and sorted, and snoozed (never an overdue one)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse

from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditEvent
from apps.tasks import selectors, services
from apps.tasks.models import Task, TaskEvent, TaskEventKind, TaskPriority, TaskStatus, TaskType
from apps.tasks.selectors.rows import TaskListFilters
from apps.tasks.services.recurrence import next_due_at
from tests import factories
from tests.tasks.factories import make_task

NEW_YORK = ZoneInfo("America/New_York")
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=NEW_YORK)  # a Tuesday


# --- Editing, with history --------------------------------------------------


@time_machine.travel(NOON, tick=False)
def test_editing_a_task_keeps_each_change_before_and_after_in_words_in_its_history(nurse, patient):
    task = make_task(patient, nurse, title="Call Rosa", due_at=NOON + timedelta(days=1))

    services.task_update(
        actor=nurse,
        task=task,
        title="Call Rosa about the glucose log",
        due_at=NOON + timedelta(days=2),
        priority=TaskPriority.URGENT,
        description="Ask for the last two weeks",
    )

    task.refresh_from_db()
    assert task.title == "Call Rosa about the glucose log"
    assert task.priority == TaskPriority.URGENT
    event = TaskEvent.objects.get(task=task, kind=TaskEventKind.UPDATED)
    assert event.actor == nurse
    changes = {change["field"]: (change["before"], change["after"]) for change in event.changes}
    assert changes["Title"] == ("Call Rosa", "Call Rosa about the glucose log")
    assert changes["Due"] == ("Nov 25 2026, 12:00", "Nov 26 2026, 12:00")
    assert changes["Priority"] == ("Routine", "Urgent")
    assert changes["Details"] == ("(none)", "(changed)")
    audit = AuditEvent.objects.filter(
        object_id=str(task.pk), action=AuditAction.UPDATE, actor=nurse
    ).latest("occurred_at")
    assert audit.patient_id == patient.pk


def test_editing_a_task_page_saves_and_shows_the_change_in_the_history(client_for, nurse, patient):
    task = make_task(patient, nurse, title="Call Rosa")
    client = client_for(nurse)

    response = client.post(
        f"/work/tasks/{task.pk}/edit/",
        {
            "title": "Visit Rosa",
            "due_at": "2030-01-07T09:30",
            "priority": "asap",
            "description": "",
        },
    )

    assert response.status_code == 302
    page = client.get(f"/work/tasks/{task.pk}/").content.decode()
    assert "Title: Call Rosa → Visit Rosa" in page
    assert "Jan 7 2030, 09:30" in page


def test_editing_a_task_with_a_blank_title_is_refused_on_the_field_and_changes_nothing(
    client_for, nurse, patient
):
    task = make_task(patient, nurse, title="Call Rosa")

    response = client_for(nurse).post(
        f"/work/tasks/{task.pk}/edit/",
        {"title": " ", "due_at": "2030-01-07T09:30", "priority": "routine"},
    )

    assert response.status_code == 400
    task.refresh_from_db()
    assert task.title == "Call Rosa"
    assert not TaskEvent.objects.filter(task=task, kind=TaskEventKind.UPDATED).exists()


def test_a_user_off_the_team_cannot_open_or_post_the_edit_page(
    client_for, outsider, nurse, patient
):
    task = make_task(patient, nurse, title="Call Rosa")
    client = client_for(outsider)

    assert client.get(f"/work/tasks/{task.pk}/edit/").status_code == 404
    response = client.post(
        f"/work/tasks/{task.pk}/edit/",
        {"title": "Hijacked", "due_at": "2030-01-07T09:30", "priority": "routine"},
    )
    assert response.status_code == 404
    task.refresh_from_db()
    assert task.title == "Call Rosa"


# --- Task types ---------------------------------------------------------------


@time_machine.travel(NOON, tick=False)
def test_a_task_of_a_type_without_a_due_time_is_due_after_its_types_default(nurse, patient):
    call = services.task_create(
        actor=nurse,
        patient=patient,
        title="Call",
        owner=nurse,
        due_at=None,
        task_type=TaskType.PHONE_CALL,
    )
    visit = services.task_create(
        actor=nurse,
        patient=patient,
        title="Visit",
        owner=nurse,
        due_at=None,
        task_type=TaskType.HOME_VISIT,
    )
    assert call.due_at == NOON + timedelta(days=2)
    assert visit.due_at == NOON + timedelta(days=7)


def test_a_task_without_a_type_or_a_due_time_is_refused_on_the_due_field(nurse, patient):
    with pytest.raises(ApplicationError) as refused:
        services.task_create(actor=nurse, patient=patient, title="Call", owner=nurse, due_at=None)
    assert "due_at" in refused.value.field_errors
    assert not Task.objects.filter(patient=patient).exists()


def test_the_new_task_page_creates_a_typed_task_due_by_its_default(client_for, nurse, patient):
    response = client_for(nurse).post(
        f"/work/patients/{patient.pk}/new/",
        {
            "title": "Review the pill box",
            "owner": nurse.pk,
            "task_type": "medication_review",
            "priority": "routine",
        },
    )
    assert response.status_code == 302
    task = Task.objects.get(title="Review the pill box")
    assert task.task_type == TaskType.MEDICATION_REVIEW
    assert task.due_at - task.created_at == pytest.approx(
        timedelta(days=3), abs=timedelta(seconds=5)
    )


# --- Recurring tasks --------------------------------------------------------


@time_machine.travel(NOON, tick=False)
def test_completing_a_weekly_task_creates_the_next_one_a_week_after_its_due_time(nurse, patient):
    task = make_task(
        patient,
        nurse,
        title="Weekly call: glucose log",
        due_at=NOON + timedelta(hours=2),
        recurrence_days=7,
        task_type=TaskType.PHONE_CALL,
    )

    services.task_complete(actor=nurse, task=task)

    following = Task.objects.get(patient=patient, status=TaskStatus.REQUESTED)
    assert following.title == "Weekly call: glucose log"
    assert following.owner == nurse
    assert following.due_at == NOON + timedelta(days=7, hours=2)
    assert following.recurrence_days == 7
    assert following.task_type == TaskType.PHONE_CALL
    assert TaskEvent.objects.filter(task=task, kind=TaskEventKind.RECURRED).count() == 1


def test_a_recurring_task_done_late_is_next_due_on_its_usual_cadence_not_in_the_past():
    due = datetime(2026, 11, 3, 9, 0, tzinfo=NEW_YORK)
    now = datetime(2026, 11, 12, 15, 0, tzinfo=NEW_YORK)
    assert next_due_at(due_at=due, every_days=7, now=now) == datetime(
        2026, 11, 17, 9, 0, tzinfo=NEW_YORK
    )


def test_a_recurring_task_needing_a_check_recurs_once_when_verified_not_when_performed(
    nurse, pharmacist, patient
):
    task = make_task(patient, nurse, recurrence_days=14, verification_role="pharmacist")
    services.task_complete(actor=nurse, task=task)
    assert Task.objects.filter(patient=patient).count() == 1

    services.task_verify(actor=pharmacist, task=task)

    assert Task.objects.filter(patient=patient).count() == 2
    # A second completion path (a rerun) finds the one already made.
    task.refresh_from_db()
    again = services.task_next_occurrence(actor=nurse, task=task)
    assert Task.objects.filter(patient=patient).count() == 2
    assert again.recurrence_days == 14


def test_cancelling_a_recurring_task_ends_the_series(nurse, patient):
    task = make_task(patient, nurse, recurrence_days=7)
    services.task_cancel(actor=nurse, task=task, reason="Patient moved away")
    assert Task.objects.filter(patient=patient).count() == 1


def test_a_recurrence_outside_a_day_to_a_year_is_refused(nurse, patient):
    with pytest.raises(ApplicationError) as refused:
        make_task(patient, nurse, recurrence_days=0)
    assert "recurrence_days" in refused.value.field_errors
    task = make_task(patient, nurse)
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=task.pk).update(recurrence_days=400)


# --- Filters and sorting ----------------------------------------------------------


def test_my_work_is_searched_by_title_or_patient_narrowed_by_priority_and_sorted_by_urgency(
    nurse, team, org_admin, patient
):
    other = factories.make_patient(
        team, actor=org_admin, given_name="Ivan", family_name="Petrov", mrn="MRN9100"
    )
    make_task(patient, nurse, title="Call about insulin", due_in=timedelta(days=1))
    make_task(
        other,
        nurse,
        title="Call about housing",
        due_in=timedelta(days=2),
        priority=TaskPriority.STAT,
    )
    make_task(
        other, nurse, title="Bring forms", due_in=timedelta(days=3), priority=TaskPriority.URGENT
    )

    def titles(**filters):
        work = selectors.my_work_for_user(user=nurse, filters=TaskListFilters(**filters))
        return [row.title for row in work.rows]

    assert titles(query="call") == ["Call about insulin", "Call about housing"]
    assert titles(query="petrov") == ["Call about housing", "Bring forms"]
    assert titles(query="MRN9100 forms") == ["Bring forms"]
    assert titles(priority=TaskPriority.URGENT) == ["Bring forms"]
    assert titles(sort="priority") == ["Call about housing", "Bring forms", "Call about insulin"]


def test_my_work_page_refuses_an_unknown_sort_with_a_400_naming_the_field(client_for, nurse):
    response = client_for(nurse).get("/work/?sort=shoe_size")
    assert response.status_code == 400


def test_team_worklist_page_searches_and_sorts_with_the_same_filters(
    client_for, nurse, chw, patient
):
    make_task(patient, chw, title="Bring the food bank form", due_in=timedelta(days=1))
    make_task(
        patient,
        nurse,
        title="Arrange a home visit",
        due_in=timedelta(days=2),
        priority=TaskPriority.ASAP,
    )
    client = client_for(nurse)

    page = client.get("/work/team/", {"q": "food"}).content.decode()
    assert "Bring the food bank form" in page
    assert "Arrange a home visit" not in page
    page = client.get("/work/team/", {"sort": "priority"}).content.decode()
    assert page.index("Arrange a home visit") < page.index("Bring the food bank form")


def test_team_worklist_and_my_work_apis_read_the_same_search_and_sort(api_for, nurse, chw, patient):
    make_task(patient, chw, title="Bring the food bank form", due_in=timedelta(days=1))
    make_task(
        patient,
        chw,
        title="Arrange a home visit",
        due_in=timedelta(days=2),
        priority=TaskPriority.ASAP,
    )
    api = api_for(nurse)

    team = api.get(reverse("api-task-team"), {"q": "visit"})
    assert [row["title"] for row in team.json()["results"]] == ["Arrange a home visit"]
    mine = api_for(chw).get(reverse("api-task-my-work"), {"sort": "priority"})
    assert [row["title"] for row in mine.json()["upcoming"]] == [
        "Arrange a home visit",
        "Bring the food bank form",
    ]
    refused = api.get(reverse("api-task-team"), {"sort": "shoe_size"})
    assert refused.status_code == 400
    assert "sort" in str(refused.json())


# --- Snooze -----------------------------------------------------------------------


@time_machine.travel(NOON, tick=False)
def test_a_snoozed_task_leaves_my_work_until_its_date_with_its_reason_in_the_history(
    nurse, patient
):
    task = make_task(patient, nurse, title="Book the eye exam", due_at=NOON + timedelta(days=10))

    services.task_snooze(
        actor=nurse, task=task, until=date(2026, 11, 27), reason="Clinic opens bookings Friday"
    )

    work = selectors.my_work_for_user(user=nurse)
    assert "Book the eye exam" not in [row.title for row in work.rows]
    assert work.counts["snoozed"] == 1
    assert selectors.my_work_counts_for_user(user=nurse)["snoozed"] == 1
    assert selectors.my_work_counts_for_user(user=nurse)["upcoming"] == 0
    shown = selectors.my_work_for_user(user=nurse, show_snoozed=True)
    assert [row.title for row in shown.snoozed] == ["Book the eye exam"]
    event = TaskEvent.objects.get(task=task, kind=TaskEventKind.SNOOZED)
    assert event.reason == "Until Nov 27 2026: Clinic opens bookings Friday"

    with time_machine.travel(datetime(2026, 11, 27, 8, 0, tzinfo=NEW_YORK), tick=False):
        back = selectors.my_work_for_user(user=nurse)
        assert "Book the eye exam" in [row.title for row in back.rows]


@time_machine.travel(NOON, tick=False)
def test_an_overdue_task_cannot_be_snoozed_and_nothing_changes(nurse, patient):
    task = make_task(patient, nurse, title="Late call", due_at=NOON - timedelta(hours=1))

    with pytest.raises(ApplicationError) as refused:
        services.task_snooze(actor=nurse, task=task, until=date(2026, 11, 26), reason="Busy")

    assert "until" in refused.value.field_errors
    task.refresh_from_db()
    assert task.snoozed_until is None
    assert not TaskEvent.objects.filter(task=task, kind=TaskEventKind.SNOOZED).exists()


@time_machine.travel(NOON, tick=False)
def test_a_snooze_past_the_due_date_or_not_in_the_future_is_refused(nurse, patient):
    task = make_task(patient, nurse, due_at=NOON + timedelta(days=3))
    for until in (date(2026, 11, 24), date(2026, 11, 28)):
        with pytest.raises(ApplicationError):
            services.task_snooze(actor=nurse, task=task, until=until, reason="Later")
    with pytest.raises(ApplicationError):
        services.task_snooze(actor=nurse, task=task, until=date(2026, 11, 26), reason=" ")
    task.refresh_from_db()
    assert task.snoozed_until is None


def test_a_snoozed_task_that_becomes_overdue_is_shown_again(nurse, patient):
    with time_machine.travel(NOON, tick=False):
        task = make_task(patient, nurse, title="Due Thursday", due_at=NOON + timedelta(days=2))
        services.task_snooze(actor=nurse, task=task, until=date(2026, 11, 26), reason="Waiting")
    # Due Thursday noon; by Thursday evening it is overdue, though the snooze ran to Thursday.
    Task.objects.filter(pk=task.pk).update(snoozed_until=date(2026, 11, 30))
    with time_machine.travel(datetime(2026, 11, 26, 18, 0, tzinfo=NEW_YORK), tick=False):
        work = selectors.my_work_for_user(user=nurse)
        assert [row.title for row in work.overdue] == ["Due Thursday"]
        assert selectors.my_work_counts_for_user(user=nurse)["overdue"] == 1
        assert selectors.my_work_counts_for_user(user=nurse)["snoozed"] == 0


def test_the_snooze_page_refuses_an_overdue_task_with_a_400_on_the_date(client_for, nurse, patient):
    task = make_task(patient, nurse, due_in=timedelta(hours=-2))
    response = client_for(nurse).post(
        f"/work/tasks/{task.pk}/snooze/", {"until": "2099-01-01", "reason": "Later"}
    )
    assert response.status_code == 400
    assert "already overdue" in response.content.decode()
    task.refresh_from_db()
    assert task.snoozed_until is None


# --- A task serving a care-plan goal ------------------------------------------------


def test_a_task_created_for_a_care_plan_goal_links_back_to_the_goal_on_its_page(
    client_for, nurse, patient
):
    from tests.careplans.factories import make_goal, make_plan

    goal = make_goal(make_plan(patient, nurse), nurse, description="Walk to the corner shop")
    client = client_for(nurse)
    form = client.get(f"/work/patients/{patient.pk}/new/").content.decode()
    assert "Walk to the corner shop" in form

    response = client.post(
        f"/work/patients/{patient.pk}/new/",
        {
            "title": "Walk with Rosa",
            "owner": nurse.pk,
            "due_at": "2030-02-01T10:00",
            "priority": "routine",
            "goal": goal.pk,
        },
    )

    assert response.status_code == 302
    task = Task.objects.get(title="Walk with Rosa")
    assert (task.source_type, task.source_id) == ("care_plan_goal", goal.pk)
    page = client.get(f"/work/tasks/{task.pk}/").content.decode()
    assert "Goal: Walk to the corner shop" in page
    assert f"/careplans/patients/{patient.pk}/#goal-{goal.pk}" in page
    plan = client.get(f"/careplans/patients/{patient.pk}/").content.decode()
    assert "Tasks serving this goal:" in plan
    assert f'<a href="/work/tasks/{task.pk}/">Walk with Rosa</a>' in plan


def test_a_task_cannot_be_linked_to_another_patients_goal_by_its_id(
    api_for, nurse, team, org_admin, patient
):
    from tests.careplans.factories import make_goal, make_plan

    someone_else = factories.make_patient(team, actor=org_admin, mrn="MRN9200")
    their_goal = make_goal(make_plan(someone_else, nurse), nurse)

    response = api_for(nurse).post(
        reverse("api-task-create"),
        {
            "patient_id": patient.pk,
            "title": "Sneaky link",
            "owner_id": nurse.pk,
            "task_type": "phone_call",
            "goal_id": their_goal.pk,
        },
        format="json",
    )

    assert response.status_code == 400
    assert "goal_id" in response.json()["errors"]
    assert not Task.objects.filter(title="Sneaky link").exists()


# --- The API doors ------------------------------------------------------------------


def test_the_api_edits_a_task_and_its_history_shows_the_change_in_words(api_for, nurse, patient):
    task = make_task(patient, nurse, title="Call Rosa")
    url = reverse("api-task-detail", args=[task.pk])

    response = api_for(nurse).patch(url, {"title": "Visit Rosa"}, format="json")

    assert response.status_code == 200
    assert response.json()["title"] == "Visit Rosa"
    updated = [e for e in response.json()["history"] if e["kind"] == "updated"]
    assert updated[0]["changes"] == [
        {"field": "Title", "before": "Call Rosa", "after": "Visit Rosa"}
    ]


def test_the_api_refuses_a_blank_title_and_an_outsider_on_edit(api_for, nurse, outsider, patient):
    task = make_task(patient, nurse, title="Call Rosa")
    url = reverse("api-task-detail", args=[task.pk])

    assert api_for(nurse).patch(url, {"title": " "}, format="json").status_code == 400
    assert api_for(outsider).patch(url, {"title": "Mine"}, format="json").status_code == 404
    task.refresh_from_db()
    assert task.title == "Call Rosa"


@time_machine.travel(NOON, tick=False)
def test_the_api_snoozes_and_brings_back_a_task_but_never_an_overdue_one(api_for, nurse, patient):
    later = make_task(patient, nurse, due_at=NOON + timedelta(days=5))
    late = make_task(patient, nurse, due_at=NOON - timedelta(hours=1))
    api = api_for(nurse)

    snoozed = api.post(
        reverse("api-task-snooze", args=[later.pk]),
        {"until": "2026-11-27", "reason": "Clinic closed until Friday"},
        format="json",
    )
    assert snoozed.status_code == 200
    assert snoozed.json()["snoozed_until"] == "2026-11-27"
    mine = api.get(reverse("api-task-my-work")).json()
    assert mine["counts"]["snoozed"] == 1
    refused = api.post(
        reverse("api-task-snooze", args=[late.pk]),
        {"until": "2026-11-27", "reason": "Later"},
        format="json",
    )
    assert refused.status_code == 400
    assert "until" in refused.json()["errors"]
    back = api.post(reverse("api-task-unsnooze", args=[later.pk]), format="json")
    assert back.json()["snoozed_until"] is None


def test_editing_a_weekly_task_to_stop_repeating_ends_the_series_and_says_so(
    client_for, nurse, patient
):
    task = make_task(patient, nurse, title="Weekly call", recurrence_days=7)
    client = client_for(nurse)

    response = client.post(
        f"/work/tasks/{task.pk}/edit/",
        {"title": "Weekly call", "due_at": "2030-01-07T09:30", "priority": "routine"},
    )

    assert response.status_code == 302
    task.refresh_from_db()
    assert task.recurrence_days is None
    assert "Repeats: weekly → once" in client.get(f"/work/tasks/{task.pk}/").content.decode()
    services.task_complete(actor=nurse, task=task)
    assert Task.objects.filter(patient=patient).count() == 1


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("edit/", {"title": "x", "due_at": "9999-12-31T23:59", "priority": "routine"}),
        ("edit/", {"title": "x", "due_at": "0001-01-01T00:00", "priority": "routine"}),
        ("snooze/", {"until": "9999-12-31", "reason": "Later"}),
    ],
)
def test_a_date_outside_1900_to_2100_is_refused_on_its_field_not_a_server_error(
    client_for, nurse, patient, path, data
):
    task = make_task(patient, nurse, title="Call Rosa")
    response = client_for(nurse).post(f"/work/tasks/{task.pk}/{path}", data)
    assert response.status_code == 400
    assert "Enter a date between 1900 and 2100." in response.content.decode()
    task.refresh_from_db()
    assert task.title == "Call Rosa"
    assert task.snoozed_until is None


def test_the_new_task_page_refuses_a_goal_not_offered_or_a_zero_day_repeat_with_a_400(
    client_for, nurse, patient
):
    client = client_for(nurse)
    for extra in ({"goal": "999999"}, {"recurrence_days": "0"}):
        response = client.post(
            f"/work/patients/{patient.pk}/new/",
            {"title": "t", "owner": nurse.pk, "priority": "routine", "task_type": "phone_call"}
            | extra,
        )
        assert response.status_code == 400
    assert not Task.objects.filter(patient=patient).exists()
