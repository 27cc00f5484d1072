"""Deactivating an account goes through one service: work orphaned at once, leads gone, audited."""

import pytest
from django.urls import reverse

from apps.accounts.models import User
from apps.core.actors import JobActor
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditEvent
from apps.tasks import selectors as task_selectors
from apps.teams.selectors import is_live_member, team_lead, teams_without_lead
from apps.teams.services import user_deactivate, user_reactivate
from tests.tasks.factories import make_task


def _account_events(user):
    return AuditEvent.objects.filter(
        object_type="accounts.user", object_id=str(user.pk), action=AuditAction.UPDATE
    ).order_by("pk")


def test_deactivating_an_account_orphans_their_open_work_at_once(
    team, nurse, chw, org_admin, patient
):
    task = make_task(patient, chw, actor=nurse, title="Home visit")
    assert task_selectors.orphaned_tasks_for_user(user=nurse) == []

    user_deactivate(actor=org_admin, user=chw, reason="Left the organisation")

    chw.refresh_from_db()
    assert chw.is_active is False
    assert not is_live_member(team_id=team.pk, user=chw)
    assert [row.id for row in task_selectors.orphaned_tasks_for_user(user=nurse)] == [task.pk]
    worklist = task_selectors.team_worklist_for_user(user=nurse)
    assert worklist.orphaned_count == 1
    assert [row.id for row in worklist.orphaned] == [task.pk]
    [row] = task_selectors.task_list_for_patient(user=nurse, patient=patient)
    assert row.is_orphaned
    assert chw.pk not in {m.user_id for m in task_selectors.task_owner_choices(team_id=team.pk)}
    [event] = _account_events(chw)
    assert event.actor == org_admin
    assert event.detail["is_active"] is False
    assert event.detail["reason"] == "Left the organisation"


def test_deactivated_lead_leaves_team_with_no_lead_coordinator_problem(
    client, client_for, team, nurse, chw, org_admin, patient
):
    assert team_lead(team_id=team.pk).user == nurse
    assert team not in teams_without_lead()

    user_deactivate(actor=org_admin, user=nurse, reason="On long leave")

    assert team_lead(team_id=team.pk) is None
    assert list(teams_without_lead()) == [team]
    [event] = _account_events(nurse)
    assert event.detail["teams_left_without_lead"] == [team.pk]
    chart = client_for(chw).get(reverse("patients:chart", args=[patient.pk]))
    assert "This team has no lead coordinator." in chart.content.decode()
    client.force_login(org_admin)
    teams_page = client.get(reverse("admin:teams_careteam_changelist"), {"no_lead": "yes"})
    assert "No lead coordinator" in teams_page.content.decode()
    assert team.name in teams_page.content.decode()


def _user_form(user: User, **values: object) -> dict[str, object]:
    data: dict[str, object] = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "organisation": user.organisation_id or "",
        "profession": user.profession,
        "is_staff": "on" if user.is_staff else "",
        "is_active": "on",
    }
    data.update(values)
    return {key: value for key, value in data.items() if value != ""}


def test_admin_deactivation_goes_through_the_service_and_is_audited(
    client, org_admin, nurse, chw, patient
):
    task = make_task(patient, chw, actor=nurse)
    client.force_login(org_admin)
    url = reverse("admin:accounts_user_change", args=[chw.pk])
    form = _user_form(chw, first_name="Renamed", is_active="")

    response = client.post(url, form)

    assert response.status_code == 302
    chw.refresh_from_db()
    assert (chw.is_active, chw.first_name) == (False, "Renamed")
    [event] = _account_events(chw).filter(detail__fields=["is_active"])
    assert event.actor == org_admin
    assert event.detail["reason"]
    assert [row.id for row in task_selectors.orphaned_tasks_for_user(user=nurse)] == [task.pk]

    response = client.post(url, _user_form(chw))

    chw.refresh_from_db()
    assert chw.is_active is True
    assert _account_events(chw).filter(detail__is_active=True).count() == 1
    assert task_selectors.orphaned_tasks_for_user(user=nurse) == []


def test_the_admin_deactivate_action_goes_through_the_service(client, org_admin, chw, pcp):
    client.force_login(org_admin)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate_users", "_selected_action": [chw.pk, pcp.pk]},
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk__in=[chw.pk, pcp.pk], is_active=True).exists()
    audited = AuditEvent.objects.filter(object_type="accounts.user", actor=org_admin)
    assert {event.object_id for event in audited} == {str(chw.pk), str(pcp.pk)}


def test_deactivation_needs_a_reason_and_refuses_ones_own_account(org_admin, chw):
    with pytest.raises(ApplicationError) as missing:
        user_deactivate(actor=org_admin, user=chw, reason="  ")
    assert "reason" in missing.value.field_errors
    with pytest.raises(ApplicationError):
        user_deactivate(actor=org_admin, user=org_admin, reason="Oops")
    with pytest.raises(TypeError):
        user_deactivate(actor=None, user=chw, reason="No one")  # type: ignore[arg-type]
    assert User.objects.filter(pk__in=[chw.pk, org_admin.pk], is_active=False).count() == 0
    assert not AuditEvent.objects.filter(object_type="accounts.user").exists()


def test_a_job_deactivation_names_its_job_and_reactivation_restores_the_lead(
    team, nurse, org_admin
):
    job = JobActor(job="accounts.leavers_sync", for_user=org_admin)
    user_deactivate(actor=job, user=nurse, reason="Contract ended")
    assert team_lead(team_id=team.pk) is None
    user_reactivate(actor=org_admin, user=nurse, reason="Back from leave")
    assert team_lead(team_id=team.pk).user == nurse
    first, second = _account_events(nurse)
    assert (first.actor, first.detail["job"]) == (org_admin, "accounts.leavers_sync")
    assert second.detail["is_active"] is True
