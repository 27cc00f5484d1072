"""Same-day triage: urgent social needs from a screen go to a queue with one owned task."""

from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.core.models import AuditAction, AuditEvent
from apps.measures.models import TriageItem, TriageStatus
from apps.measures.triage import NO_LEAD, triage_screen_recorded
from apps.patients import hrsn
from apps.patients.models import SdohScreen
from apps.tasks.models import Task, TaskPriority, TaskSource, TaskStatus
from apps.tasks.services import task_cancel, task_complete
from apps.tasks.sources import work_problems
from apps.teams.models import TeamMembership
from apps.teams.services import team_member_remove
from tests import factories
from tests.patients.factories import screen

HOMELESS = {"living_situation": "not_steady"}
UNSAFE = {"safety_hurt": 4, "safety_insult": 3, "safety_threaten": 2, "safety_scream": 2}


@pytest.mark.parametrize(
    ("answers", "needs"),
    [
        ({"living_situation": "not_steady"}, ["housing"]),
        ({"living_situation": "worried"}, []),
        ({"food_ran_out": "often"}, ["food"]),
        ({"food_ran_out": "sometimes"}, []),
        ({"utilities": "already_shut_off"}, ["utilities"]),
        ({"utilities": "yes"}, []),
    ],
)
def test_urgent_needs_map_the_ahc_answers(answers, needs):
    base = {"living_situation": "steady", "food_ran_out": "never", "utilities": "no"}
    assert hrsn.urgent_needs(base | answers, safety_positive=False) == needs


def test_an_unsafe_home_is_urgent_when_the_safety_domain_is_positive():
    assert hrsn.urgent_needs({}, safety_positive=True) == ["safety"]


def test_a_homeless_screen_gives_the_team_lead_one_urgent_task_due_today(chw, nurse, patient):
    from datetime import timedelta

    from apps.measures.triage import end_of_today

    before = timezone.now()
    recorded = screen(chw, patient, **HOMELESS, **UNSAFE)
    item = TriageItem.objects.get()
    assert item.screen == recorded
    assert item.needs == ["housing", "safety"]
    task = Task.objects.get()
    assert item.task == task
    assert task.owner == nurse  # the lead
    assert task.priority == TaskPriority.URGENT
    assert task.source_type == TaskSource.SOCIAL_TRIAGE
    # By the end of the local day; late in the evening, an hour from now at the least.
    latest = max(end_of_today(), timezone.now() + timedelta(hours=1))
    assert end_of_today(before) <= task.due_at <= latest
    assert "no steady place to live, unsafe at home" in task.title
    assert AuditEvent.objects.filter(
        object_type="measures.triageitem", action=AuditAction.CREATE, patient_id=patient.pk
    ).exists()


def test_a_screen_without_urgent_needs_queues_nothing(chw, patient):
    screen(chw, patient, living_situation="worried", food_worry="often")
    assert not TriageItem.objects.exists()
    assert not Task.objects.exists()


def test_the_same_screen_is_never_queued_twice(chw, nurse, patient):
    recorded = screen(chw, patient, **HOMELESS)
    again = triage_screen_recorded(chw, SdohScreen.objects.get(pk=recorded.pk))
    assert again == TriageItem.objects.get()
    assert Task.objects.count() == 1


def test_without_a_lead_the_need_is_queued_unowned_and_shown_on_the_worklist(
    chw, nurse, patient, team, client_for
):
    team_member_remove(
        actor=factories.SETUP, membership=TeamMembership.objects.get(user=nurse, team=team)
    )
    screen(chw, patient, food_ran_out="often")
    item = TriageItem.objects.get()
    assert item.task is None
    assert item.unowned_reason == NO_LEAD
    assert not Task.objects.exists()
    problems = [problem for problem in work_problems([team.pk]) if "Urgent social" in problem.label]
    assert [problem.count for problem in problems] == [1]
    body = client_for(chw).get(reverse("measures:triage")).content.decode()
    assert "No owner" in body
    assert NO_LEAD in body


def test_completing_the_task_takes_the_patient_off_the_queue(client_for, chw, nurse, patient):
    screen(chw, patient, **HOMELESS)
    task = Task.objects.get()
    task_complete(actor=nurse, task=task, note="Shelter bed found")
    item = TriageItem.objects.get()
    assert item.status == TriageStatus.DONE
    assert item.closed_at is not None
    body = client_for(nurse).get(reverse("measures:triage")).content.decode()
    assert patient.mrn not in body


def test_cancelling_the_task_closes_the_item_as_cancelled(chw, nurse, patient):
    screen(chw, patient, **HOMELESS)
    task_cancel(actor=nurse, task=Task.objects.get(), reason="Duplicate of a call already made")
    assert TriageItem.objects.get().status == TriageStatus.CANCELLED
    assert Task.objects.get().status == TaskStatus.CANCELLED


def test_queue_lists_own_teams_patients_with_owner_and_is_audited(
    client_for, chw, nurse, patient, other_patient, org_admin
):
    screen(chw, patient, **HOMELESS)
    screen(org_admin, other_patient, **HOMELESS)
    response = client_for(nurse).get(reverse("measures:triage"))
    body = response.content.decode()
    assert response.status_code == 200
    assert patient.mrn in body
    assert other_patient.mrn not in body
    assert "No steady place to live" in body
    event = AuditEvent.objects.filter(actor=nurse, action=AuditAction.LIST).latest("pk")
    assert event.detail["list"] == "triage_queue"


def test_queue_role_matrix(client, client_for, outsider, chw, patient, org_admin):
    screen(chw, patient, **HOMELESS)
    url = reverse("measures:triage")
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert "/login" in anonymous["Location"]
    for user in (outsider, org_admin):
        body = client_for(user).get(url).content.decode()
        assert patient.mrn not in body
        assert "Garcia" not in body
    assert patient.mrn in client_for(chw).get(url).content.decode()


def test_a_patient_moved_to_another_team_leaves_the_old_teams_queue(
    client_for, chw, nurse, patient, other_team
):
    screen(chw, patient, **HOMELESS)
    patient.care_team = other_team
    patient.save(update_fields=["care_team"])
    assert patient.mrn not in client_for(nurse).get(reverse("measures:triage")).content.decode()


def test_queue_query_count_is_fixed(client_for, chw, nurse, team, django_assert_max_num_queries):
    for number in range(8):
        person = factories.make_patient(team, mrn=f"TQ{number}")
        screen(chw, person, **HOMELESS)
    client = client_for(nurse)
    client.get(reverse("measures:triage"))
    with django_assert_max_num_queries(14):
        response = client.get(reverse("measures:triage"))
    assert response.content.decode().count('class="badge danger">No owner') == 0
    assert response.content.decode().count("TQ") == 8


def test_an_unowned_need_is_given_to_the_lead_once_the_team_has_one(
    client_for, chw, nurse, patient, team
):
    membership = TeamMembership.objects.get(user=nurse, team=team)
    team_member_remove(actor=factories.SETUP, membership=membership)
    screen(chw, patient, **HOMELESS)
    item = TriageItem.objects.get()
    url = reverse("measures:triage_assign", args=[item.pk])
    refused = client_for(chw).post(url, HTTP_HX_REQUEST="true")
    assert refused.status_code == 409
    assert NO_LEAD in refused.content.decode()
    assert not Task.objects.exists()
    lead = factories.make_member(team, is_lead=True, username="newlead")
    assert client_for(chw).post(url).status_code == 302
    item.refresh_from_db()
    assert item.task.owner == lead
    assert item.unowned_reason == ""
    assert client_for(chw).post(url, HTTP_HX_REQUEST="true").status_code == 409
    assert Task.objects.count() == 1


def test_another_teams_triage_item_is_not_found(client_for, outsider, chw, patient, team, nurse):
    team_member_remove(
        actor=factories.SETUP, membership=TeamMembership.objects.get(user=nurse, team=team)
    )
    screen(chw, patient, **HOMELESS)
    item = TriageItem.objects.get()
    response = client_for(outsider).post(reverse("measures:triage_assign", args=[item.pk]))
    assert response.status_code == 404
    assert TriageItem.objects.get().task is None


def test_a_need_screened_at_noon_is_due_that_evening_and_one_at_half_past_eleven_in_an_hour(
    chw, nurse, patient
):
    import time_machine

    zone = timezone.get_current_timezone()
    with time_machine.travel(datetime(2026, 3, 10, 12, 0, tzinfo=zone), tick=False):
        screen(chw, patient, **HOMELESS)
        noon = Task.objects.get()
    assert noon.due_at == datetime(2026, 3, 10, 23, 59, tzinfo=zone)
    with time_machine.travel(datetime(2026, 3, 11, 23, 30, tzinfo=zone), tick=False):
        screen(chw, patient, **HOMELESS)
        late = Task.objects.exclude(pk=noon.pk).get()
    assert late.due_at == datetime(2026, 3, 12, 0, 30, tzinfo=zone)
