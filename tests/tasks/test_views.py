"""Role matrix for the task pages and inline actions: who sees and does what, and what leaks."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse

from apps.accounts.models import Role
from apps.tasks.models import Task, TaskEvent, TaskEventKind, TaskStatus
from apps.teams.models import TeamMembership
from apps.teams.services import team_member_remove
from tests import factories
from tests.factories import SETUP
from tests.tasks.factories import make_performed, make_task

HTMX = {"HTTP_HX_REQUEST": "true"}


def _state(task):
    task.refresh_from_db()
    return (task.status, task.owner_id, task.verified_by_id, TaskEvent.objects.count())


# --- Pages --------------------------------------------------------------------


def test_my_work_is_at_slash_work_and_lists_every_task_title(client_for, nurse, patient):
    titles = [make_task(patient, nurse, title=f"Call pharmacy {i}").title for i in range(3)]
    response = client_for(nurse).get("/work/")
    assert reverse("tasks:my_work") == "/work/"
    body = response.content.decode()
    assert response.status_code == 200
    for title in titles:
        assert title in body
    assert 'id="count-upcoming">3<' in body


def test_my_work_counts_fragment_refreshes_after_an_inline_action(client_for, nurse, patient):
    make_task(patient, nurse, due_in=timedelta(days=-1))
    response = client_for(nurse).get("/work/?part=counts", **HTMX)
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="count-overdue">1<' in body


def test_anonymous_is_sent_to_login_from_every_task_page(client, task, patient):
    for url in (
        reverse("tasks:my_work"),
        reverse("tasks:team_worklist"),
        reverse("tasks:detail", args=[task.pk]),
        reverse("tasks:patient_tasks", args=[patient.pk]),
        reverse("tasks:create", args=[patient.pk]),
        reverse("tasks:notifications"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login"))
    for name in ("start", "complete", "verify", "reassign"):
        response = client.post(reverse(f"tasks:{name}", args=[task.pk]))
        assert response.status_code == 302
    assert _state(task)[0] == TaskStatus.REQUESTED


def test_an_outsider_sees_none_of_the_teams_tasks_anywhere(client_for, outsider, task, patient):
    client = client_for(outsider)
    my_work = client.get(reverse("tasks:my_work")).content.decode()
    assert task.title not in my_work
    assert patient.family_name not in my_work
    for url in (
        reverse("tasks:detail", args=[task.pk]),
        reverse("tasks:patient_tasks", args=[patient.pk]),
        reverse("tasks:create", args=[patient.pk]),
        reverse("tasks:row", args=[task.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert task.title not in response.content.decode()
        assert patient.family_name not in response.content.decode()
    assert client.get(reverse("tasks:team_worklist")).status_code == 403


def test_task_detail_shows_the_task_and_its_history_to_the_team(client_for, pcp, nurse, task):
    response = client_for(pcp).get(reverse("tasks:detail", args=[task.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert task.title in body
    assert "Created" in body
    assert "Garcia, Rosa" in body


def test_team_worklist_is_for_the_lead_and_refuses_other_members(
    client_for, nurse, pcp, viewer, task
):
    for user in (pcp, viewer):
        response = client_for(user).get(reverse("tasks:team_worklist"))
        assert response.status_code == 403
        assert task.title not in response.content.decode()
    response = client_for(nurse).get(reverse("tasks:team_worklist"))
    assert response.status_code == 200
    assert task.title in response.content.decode()


def test_team_worklist_surfaces_orphaned_work_right_after_the_member_leaves(
    client_for, nurse, chw, task
):
    client = client_for(nurse)
    assert 'id="orphaned"' not in client.get(reverse("tasks:team_worklist")).content.decode()
    team_member_remove(actor=SETUP, membership=TeamMembership.objects.get(user=chw))
    body = client.get(reverse("tasks:team_worklist")).content.decode()
    assert 'id="orphaned"' in body
    assert 'id="count-orphaned">1<' in body
    assert "orphaned</span>" in body


def test_team_worklist_filters_return_only_the_results_for_htmx(client_for, nurse, task, patient):
    mine = make_task(patient, nurse, title="Call the nurse back")
    response = client_for(nurse).get(
        reverse("tasks:team_worklist"),
        {"owner": nurse.pk},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="team-results",
    )
    body = response.content.decode()
    assert "<html" not in body
    assert mine.title in body
    assert task.title not in body


def test_patient_chart_section_lists_the_patients_open_tasks(client_for, pcp, task, patient):
    chart = client_for(pcp).get(reverse("patients:chart", args=[patient.pk])).content.decode()
    assert reverse("tasks:patient_tasks", args=[patient.pk]) in chart
    section = client_for(pcp).get(reverse("tasks:patient_tasks", args=[patient.pk]))
    assert task.title in section.content.decode()


# --- Inline actions (htmx) ------------------------------------------------------------


def test_the_owner_starts_and_completes_inline_getting_the_row_back(client_for, chw, task):
    client = client_for(chw)
    started = client.post(reverse("tasks:start", args=[task.pk]) + "?variant=my", **HTMX)
    assert started.status_code == 200
    assert started["HX-Trigger"] == "taskChanged"
    assert "<html" not in started.content.decode()
    assert f'id="task-{task.pk}"' in started.content.decode()
    assert "In progress" in started.content.decode()
    done = client.post(reverse("tasks:complete", args=[task.pk]), **HTMX)
    assert "Done" in done.content.decode()
    task.refresh_from_db()
    assert (task.status, task.performed_by) == (TaskStatus.DONE, chw)


def test_without_htmx_an_action_redirects_to_the_task(client_for, chw, task):
    response = client_for(chw).post(reverse("tasks:start", args=[task.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("tasks:detail", args=[task.pk])


@pytest.mark.parametrize("action", ["start", "complete", "hold", "reassign"])
def test_a_member_without_the_right_is_refused_and_nothing_changes(
    client_for, viewer, task, action
):
    before = _state(task)
    response = client_for(viewer).post(
        reverse(f"tasks:{action}", args=[task.pk]), {"reason": "x", "owner": viewer.pk}, **HTMX
    )
    assert response.status_code == 403
    assert _state(task) == before


@pytest.mark.parametrize("action", ["start", "complete", "verify", "reassign", "cancel"])
def test_an_outsider_gets_404_for_every_action_and_nothing_changes(
    client_for, outsider, task, action
):
    before = _state(task)
    response = client_for(outsider).post(
        reverse(f"tasks:{action}", args=[task.pk]), {"reason": "x"}, **HTMX
    )
    assert response.status_code == 404
    assert task.title not in response.content.decode()
    assert _state(task) == before


def test_reassign_inline_shows_a_form_then_hands_over_with_the_reason(
    client_for, nurse, chw, social_worker, task
):
    client = client_for(nurse)
    form = client.get(reverse("tasks:reassign", args=[task.pk]) + "?variant=team", **HTMX)
    body = form.content.decode()
    assert form.status_code == 200
    assert 'name="reason"' in body
    assert social_worker.display_name in body
    missing_reason = client.post(
        reverse("tasks:reassign", args=[task.pk]), {"owner": social_worker.pk}, **HTMX
    )
    assert 'name="reason"' in missing_reason.content.decode()
    assert _state(task)[1] == chw.pk
    response = client.post(
        reverse("tasks:reassign", args=[task.pk]) + "?variant=team",
        {"owner": social_worker.pk, "reason": "Housing question"},
        **HTMX,
    )
    assert response["HX-Trigger"] == "taskChanged"
    assert f"Handed to {social_worker.display_name}." in response.content.decode()
    event = TaskEvent.objects.get(task=task, kind=TaskEventKind.REASSIGNED)
    assert (event.to_owner, event.reason) == (social_worker, "Housing question")


def test_a_pcp_cannot_open_the_reassign_form_for_someone_elses_task(client_for, pcp, task):
    assert client_for(pcp).get(reverse("tasks:reassign", args=[task.pk]), **HTMX).status_code == 403


def test_the_doer_cannot_verify_inline_and_a_colleague_can(client_for, team, pharmacist, patient):
    task = make_performed(patient, pharmacist, role=Role.PHARMACIST)
    refused = client_for(pharmacist).post(reverse("tasks:verify", args=[task.pk]), **HTMX)
    assert "cannot also verify" in refused.content.decode()
    assert "HX-Trigger" not in refused
    assert _state(task)[0] == TaskStatus.AWAITING_VERIFICATION
    colleague = factories.make_member(team, Role.PHARMACIST)
    client_for(colleague).post(reverse("tasks:verify", args=[task.pk]), **HTMX)
    assert _state(task)[:3] == (TaskStatus.DONE, pharmacist.pk, colleague.pk)


def test_a_nurse_cannot_verify_a_pharmacists_check(client_for, nurse, patient):
    task = make_performed(
        patient, factories.make_member(patient.care_team, Role.CHW), role=Role.PHARMACIST
    )
    response = client_for(nurse).post(reverse("tasks:verify", args=[task.pk]), **HTMX)
    assert response.status_code == 403
    assert _state(task)[0] == TaskStatus.AWAITING_VERIFICATION


# --- Bulk reassignment and create -------------------------------------------------------


def test_bulk_reassign_from_the_team_worklist(client_for, nurse, chw, social_worker, patient):
    tasks = [make_task(patient, chw, actor=nurse) for _ in range(3)]
    team_member_remove(actor=SETUP, membership=TeamMembership.objects.get(user=chw))
    response = client_for(nurse).post(
        reverse("tasks:bulk_reassign"),
        {"task_ids": [t.pk for t in tasks[:2]], "owner": social_worker.pk, "reason": "CHW left"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "2 tasks reassigned" in response.content.decode()
    owners = dict(Task.objects.values_list("pk", "owner_id"))
    assert [owners[t.pk] for t in tasks] == [social_worker.pk, social_worker.pk, chw.pk]
    assert 'id="count-orphaned">1<' in response.content.decode()


def test_bulk_reassign_without_a_reason_changes_nothing(client_for, nurse, chw, patient):
    task = make_task(patient, chw, actor=nurse)
    response = client_for(nurse).post(
        reverse("tasks:bulk_reassign"), {"task_ids": [task.pk], "owner": nurse.pk}, **HTMX
    )
    assert "required" in response.content.decode()
    assert _state(task)[1] == chw.pk


@pytest.mark.parametrize("who", ["pcp", "outsider"])
def test_bulk_reassign_is_refused_to_non_leads(request, client_for, who, task):
    user = request.getfixturevalue(who)
    response = client_for(user).post(
        reverse("tasks:bulk_reassign"),
        {"task_ids": [task.pk], "owner": user.pk, "reason": "Mine now"},
        **HTMX,
    )
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.owner.username == "chw"


def test_create_a_task_from_the_chart_with_one_owner(client_for, nurse, chw, patient):
    client = client_for(nurse)
    page = client.get(reverse("tasks:create", args=[patient.pk]))
    assert chw.display_name in page.content.decode()
    response = client.post(
        reverse("tasks:create", args=[patient.pk]),
        {
            "title": "Check blood pressure log",
            "owner": chw.pk,
            "due_at": "2026-12-01T09:30",
            "priority": "routine",
        },
    )
    task = Task.objects.get()
    assert response["Location"] == reverse("tasks:detail", args=[task.pk])
    assert (task.owner, task.title) == (chw, "Check blood pressure log")


def test_create_refuses_an_owner_off_the_team_and_a_member_without_the_right(
    client_for, nurse, viewer, outsider, patient
):
    response = client_for(nurse).post(
        reverse("tasks:create", args=[patient.pk]),
        {"title": "X", "owner": outsider.pk, "due_at": "2026-12-01T09:30", "priority": "routine"},
    )
    # Refused input answers 400 with the form and its field message (the house rule).
    assert response.status_code == 400
    assert response.context["form"].errors["owner"]
    assert client_for(viewer).get(reverse("tasks:create", args=[patient.pk])).status_code == 403
    assert not Task.objects.exists()


# --- Notifications ---------------------------------------------------------------------


def test_notifications_list_badge_and_mark_read(client_for, nurse, chw, task):
    from apps.tasks.services import task_reassign

    task_reassign(actor=chw, task=task, new_owner=nurse, reason="Off sick")
    client = client_for(nurse)
    assert '">1</span>' in client.get(reverse("tasks:notification_badge")).content.decode()
    page = client.get(reverse("tasks:notifications")).content.decode()
    assert task.title in page
    client.post(reverse("tasks:notifications_read"))
    assert '">0</span>' in client.get(reverse("tasks:notification_badge")).content.decode()
    other = client_for(chw).get(reverse("tasks:notifications")).content.decode()
    assert task.title not in other


# --- Pinned query counts of the worklist pages -----------------------------------------


def _page_queries(client, url) -> int:
    """Counted with an execute wrapper: a request resets Django's own query log as it starts.

    Session reads and writes are left out (the idle-timeout middleware saves the
    session only when the clock has moved on enough)."""
    executed: list[str] = []

    def count(execute, sql, params, many, context):
        # The session's last-activity write comes and goes with the clock: not the page's.
        if "django_session" not in sql and "SAVEPOINT" not in sql:
            executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        assert client.get(url).status_code == 200
    assert executed, "nothing was counted"
    return len(executed)


def test_my_work_page_queries_are_the_same_for_5_and_50_tasks(client_for, nurse, patient):
    client = client_for(nurse)
    for index in range(5):
        make_task(patient, nurse, due_in=timedelta(hours=index * 10 - 20))
    small = _page_queries(client, reverse("tasks:my_work"))
    for index in range(45):
        make_task(patient, nurse, due_in=timedelta(hours=index * 10 - 200))
    assert _page_queries(client, reverse("tasks:my_work")) == small
    assert small <= 6  # user, rights, two reads, audit (+ the permission id on a cold cache)


def test_team_worklist_page_queries_are_the_same_for_5_and_50_tasks(
    client_for, nurse, chw, patient
):
    client = client_for(nurse)
    for _ in range(5):
        make_task(patient, chw, actor=nurse)
    team_member_remove(actor=SETUP, membership=TeamMembership.objects.get(user=chw))
    small = _page_queries(client, reverse("tasks:team_worklist"))
    for index in range(45):
        make_task(patient, nurse, due_in=timedelta(hours=index - 20))
    assert _page_queries(client, reverse("tasks:team_worklist")) == small
    assert small <= 10  # with one count per kind of unowned work (follow-ups, triage)


def test_reassigning_to_nobody_is_refused_in_the_page(client_for, nurse, chw, task):
    response = client_for(nurse).post(
        reverse("tasks:reassign", args=[task.pk]), {"owner": "", "reason": "Nobody"}, **HTMX
    )
    assert response.status_code == 200
    assert 'name="owner"' in response.content.decode()
    assert _state(task)[1] == chw.pk


def test_hold_and_cancel_from_the_task_page_need_a_reason(client_for, chw, task):
    client = client_for(chw)
    client.post(reverse("tasks:hold", args=[task.pk]), {"reason": ""})
    assert _state(task)[0] == TaskStatus.REQUESTED
    client.post(reverse("tasks:cancel", args=[task.pk]), {"reason": "Patient moved away"})
    task.refresh_from_db()
    assert (task.status, task.status_reason) == (TaskStatus.CANCELLED, "Patient moved away")
    assert task.owner == chw
