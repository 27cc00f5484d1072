"""Task services: one accountable owner, reasons in the history, independent verification."""

import threading
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import Role
from apps.core.exceptions import ApplicationError, NotFoundError
from apps.core.models import AuditAction, AuditEvent
from apps.tasks import services
from apps.tasks.models import Notification, Task, TaskEvent, TaskEventKind, TaskStatus
from apps.teams.models import TeamMembership
from apps.teams.services import team_member_remove
from tests import factories
from tests.factories import SETUP
from tests.tasks.factories import make_performed, make_task


def test_create_gives_the_task_one_owner_a_history_and_an_audit_event(nurse, chw, patient):
    task = make_task(patient, chw, actor=nurse, title="Call about housing")
    assert task.owner == chw
    assert task.status == TaskStatus.REQUESTED
    event = TaskEvent.objects.get(task=task)
    assert (event.kind, event.actor, event.to_owner) == (TaskEventKind.CREATED, nurse, chw)
    assert AuditEvent.objects.filter(
        object_type="tasks.task", object_id=str(task.pk), action=AuditAction.CREATE
    ).exists()


def test_the_owner_must_be_an_active_member_of_the_patients_team(nurse, outsider, patient):
    with pytest.raises(ApplicationError) as refused:
        make_task(patient, outsider, actor=nurse)
    assert "owner" in refused.value.field_errors
    assert not Task.objects.exists()


def test_a_task_without_an_owner_is_refused_by_the_service(nurse, patient):
    with pytest.raises(ApplicationError) as refused:
        services.task_create(
            actor=nurse,
            patient=patient,
            title="Nobody's job",
            owner=None,  # type: ignore[arg-type]
            due_at=timezone.now(),
        )
    assert "owner" in refused.value.field_errors
    assert not Task.objects.exists()


def test_an_interface_account_cannot_own_a_task(team, nurse, patient):
    robot = factories.make_user(team.organisation, is_interface=True)
    factories.make_member(team, Role.CHW, user=robot)
    with pytest.raises(ApplicationError):
        make_task(patient, robot, actor=nurse)


def test_a_member_without_manage_tasks_cannot_create_tasks(team, nurse, patient):
    viewer = factories.make_member(team, Role.ADMIN)
    with pytest.raises(PermissionDenied):
        make_task(patient, nurse, actor=viewer)
    assert not Task.objects.exists()


def test_a_naive_due_time_and_an_empty_title_are_refused_together(nurse, patient):
    with pytest.raises(ApplicationError) as refused:
        services.task_create(
            actor=nurse,
            patient=patient,
            title="  ",
            owner=nurse,
            due_at=datetime(2026, 12, 1, 9, 0),  # noqa: DTZ001 - the point of the test
        )
    assert set(refused.value.field_errors) == {"title", "due_at"}


def test_the_same_idempotency_key_makes_one_task(nurse, patient):
    first = make_task(patient, nurse, idempotency_key="job:1")
    second = make_task(patient, nurse, idempotency_key="job:1", title="Other")
    assert first.pk == second.pk
    assert Task.objects.count() == 1


def test_reassignment_needs_a_reason_and_keeps_it_in_the_history(nurse, chw, patient):
    task = make_task(patient, chw, actor=nurse)
    with pytest.raises(ApplicationError):
        services.task_reassign(actor=nurse, task=task, new_owner=nurse, reason=" ")
    services.task_reassign(actor=nurse, task=task, new_owner=nurse, reason="CHW on leave")
    task.refresh_from_db()
    assert task.owner == nurse
    event = TaskEvent.objects.get(task=task, kind=TaskEventKind.REASSIGNED)
    assert (event.from_owner, event.to_owner, event.reason) == (chw, nurse, "CHW on leave")


def test_the_new_owner_is_told_once_per_handover(nurse, chw, social_worker, patient):
    task = make_task(patient, nurse, actor=nurse)
    services.task_reassign(actor=nurse, task=task, new_owner=chw, reason="Home visit")
    notification = Notification.objects.get(recipient=chw)
    assert notification.task_id == task.pk
    assert notification.link == f"/work/tasks/{task.pk}/"
    services.task_reassign(actor=chw, task=task, new_owner=social_worker, reason="Housing")
    assert Notification.objects.filter(recipient=social_worker).count() == 1


def test_only_the_owner_or_the_lead_may_reassign(nurse, chw, pcp, patient):
    task = make_task(patient, chw, actor=nurse)
    with pytest.raises(PermissionDenied):
        services.task_reassign(actor=pcp, task=task, new_owner=pcp, reason="I'll do it")
    task.refresh_from_db()
    assert task.owner == chw


def test_reassigning_to_someone_off_the_team_is_refused(nurse, chw, outsider, patient):
    task = make_task(patient, chw, actor=nurse)
    with pytest.raises(ApplicationError):
        services.task_reassign(actor=nurse, task=task, new_owner=outsider, reason="Cover")
    task.refresh_from_db()
    assert task.owner == chw


def test_an_owner_who_left_the_team_can_no_longer_work_on_or_hand_over_the_task(
    nurse, chw, patient
):
    task = make_task(patient, chw, actor=nurse)
    team_member_remove(actor=SETUP, membership=TeamMembership.objects.get(user=chw))
    chw.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.task_complete(actor=chw, task=task)
    with pytest.raises(PermissionDenied):
        services.task_reassign(actor=chw, task=task, new_owner=nurse, reason="Leaving")
    task.refresh_from_db()
    assert (task.status, task.owner) == (TaskStatus.REQUESTED, chw)


def test_a_task_needing_verification_is_not_done_until_a_second_person_checks(
    nurse, pharmacist, patient
):
    task = make_performed(patient, nurse, role=Role.PHARMACIST)
    assert task.status == TaskStatus.AWAITING_VERIFICATION
    assert task.performed_by == nurse
    services.task_verify(actor=pharmacist, task=task)
    task.refresh_from_db()
    assert (task.status, task.verified_by) == (TaskStatus.DONE, pharmacist)


def test_the_doer_can_never_verify_their_own_work(team, pharmacist, patient):
    task = make_performed(patient, pharmacist, role=Role.PHARMACIST)
    with pytest.raises(ApplicationError) as refused:
        services.task_verify(actor=pharmacist, task=task)
    assert "verified_by" in refused.value.field_errors
    task.refresh_from_db()
    assert task.status == TaskStatus.AWAITING_VERIFICATION
    assert task.verified_by is None
    colleague = factories.make_member(team, Role.PHARMACIST)
    services.task_verify(actor=colleague, task=task)
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


def test_the_verifier_must_hold_the_named_role_on_the_team(nurse, pcp, patient, outsider):
    task = make_performed(patient, nurse, role=Role.PHARMACIST)
    for wrong in (pcp, outsider):
        with pytest.raises(PermissionDenied):
            services.task_verify(actor=wrong, task=task)
    task.refresh_from_db()
    assert task.status == TaskStatus.AWAITING_VERIFICATION


def test_cancel_and_fail_need_a_reason(nurse, patient):
    task = make_task(patient, nurse)
    with pytest.raises(ApplicationError):
        services.task_cancel(actor=nurse, task=task, reason="")
    services.task_fail(actor=nurse, task=task, reason="Patient moved away")
    task.refresh_from_db()
    assert (task.status, task.status_reason) == (TaskStatus.FAILED, "Patient moved away")


def test_update_changes_details_but_never_the_owner(nurse, chw, patient):
    task = make_task(patient, chw, actor=nurse)
    later = task.due_at + timedelta(days=2)
    services.task_update(actor=nurse, task=task, title="New title", due_at=later)
    task.refresh_from_db()
    assert (task.title, task.due_at, task.owner) == ("New title", later, chw)
    assert TaskEvent.objects.filter(task=task, kind=TaskEventKind.UPDATED).count() == 1


# --- The database itself ------------------------------------------------------


def test_the_database_refuses_an_open_task_without_an_owner(nurse, patient):
    task = make_task(patient, nurse)
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=task.pk).update(owner=None)
    task.refresh_from_db()
    assert task.owner == nurse


def test_the_database_allows_a_closed_task_without_an_owner_only_when_closed(nurse, patient):
    task = make_task(patient, nurse)
    services.task_cancel(actor=nurse, task=task, reason="Duplicate")
    Task.objects.filter(pk=task.pk).update(owner=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=task.pk).update(status=TaskStatus.REQUESTED, status_reason="")


def test_the_database_refuses_the_doer_as_verifier(nurse, patient):
    task = make_performed(patient, nurse, role=Role.PHARMACIST)
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=task.pk).update(verified_by=nurse, status=TaskStatus.DONE)


def test_the_database_refuses_done_without_the_required_verification(nurse, patient):
    task = make_performed(patient, nurse, role=Role.PHARMACIST)
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=task.pk).update(status=TaskStatus.DONE)


def test_the_database_refuses_a_verifier_without_a_doer(nurse, pharmacist, patient):
    task = make_task(patient, nurse, verification_role=Role.PHARMACIST)
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=task.pk).update(verified_by=pharmacist)


def test_a_person_who_owns_tasks_cannot_be_deleted(nurse, chw, patient):
    make_task(patient, chw, actor=nurse)
    with pytest.raises(ProtectedError), transaction.atomic():
        chw.delete()


# --- Bulk reassignment ----------------------------------------------------------------


def test_bulk_reassignment_moves_every_chosen_task_with_one_reason(
    nurse, chw, social_worker, patient
):
    tasks = [make_task(patient, chw, actor=nurse) for _ in range(3)]
    moved = services.task_bulk_reassign(
        actor=nurse, task_ids=[t.pk for t in tasks], new_owner=social_worker, reason="CHW left"
    )
    assert sorted(moved) == sorted(t.pk for t in tasks)
    assert set(Task.objects.values_list("owner_id", flat=True)) == {social_worker.pk}
    events = TaskEvent.objects.filter(kind=TaskEventKind.REASSIGNED)
    assert {(e.from_owner_id, e.to_owner_id, e.reason) for e in events} == {
        (chw.pk, social_worker.pk, "CHW left")
    }
    assert events.count() == 3
    assert Notification.objects.filter(recipient=social_worker).count() == 1
    assert (
        AuditEvent.objects.filter(object_type="tasks.task", action=AuditAction.UPDATE).count() == 3
    )


def test_bulk_reassignment_is_all_or_nothing(
    organisation, nurse, chw, patient, other_team, org_admin
):
    # The nurse leads both teams; the CHW is only on the first.
    factories.make_member(other_team, user=nurse, is_lead=True)
    other = factories.make_patient(other_team, actor=org_admin)
    colleague = factories.make_member(other_team, Role.CHW)
    here = make_task(patient, nurse)
    there = make_task(other, colleague)
    with pytest.raises(ApplicationError):
        services.task_bulk_reassign(
            actor=nurse, task_ids=[here.pk, there.pk], new_owner=chw, reason="Cover"
        )
    assert dict(Task.objects.values_list("pk", "owner_id")) == {
        here.pk: nurse.pk,
        there.pk: colleague.pk,
    }
    assert not TaskEvent.objects.filter(kind=TaskEventKind.REASSIGNED).exists()


def test_bulk_reassignment_is_for_the_lead_only(nurse, chw, pcp, patient):
    task = make_task(patient, chw, actor=nurse)
    with pytest.raises(PermissionDenied):
        services.task_bulk_reassign(actor=pcp, task_ids=[task.pk], new_owner=pcp, reason="Mine")
    task.refresh_from_db()
    assert task.owner == chw


def test_bulk_reassignment_of_another_teams_task_is_not_found(nurse, other_patient, outsider):
    hidden = make_task(other_patient, outsider)
    with pytest.raises(NotFoundError):
        services.task_bulk_reassign(
            actor=nurse, task_ids=[hidden.pk], new_owner=nurse, reason="Grab"
        )
    hidden.refresh_from_db()
    assert hidden.owner == outsider


def test_bulk_reassignment_refuses_closed_tasks_and_changes_nothing(nurse, chw, patient):
    open_task = make_task(patient, chw, actor=nurse)
    closed = make_task(patient, chw, actor=nurse)
    services.task_cancel(actor=nurse, task=closed, reason="Duplicate")
    with pytest.raises(ApplicationError):
        services.task_bulk_reassign(
            actor=nurse, task_ids=[open_task.pk, closed.pk], new_owner=nurse, reason="Cover"
        )
    open_task.refresh_from_db()
    assert open_task.owner == chw


def test_bulk_reassignment_costs_the_same_queries_for_2_and_20_tasks(nurse, chw, patient):
    def queries_for(count: int) -> int:
        ids = [make_task(patient, chw, actor=nurse).pk for _ in range(count)]
        with CaptureQueriesContext(connection) as captured:
            services.task_bulk_reassign(actor=nurse, task_ids=ids, new_owner=nurse, reason="x")
        return len(captured)

    assert queries_for(2) == queries_for(20)


# --- Concurrency on real PostgreSQL ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_reassignments_at_once_leave_one_owner_and_an_unbroken_chain(team, patient, nurse):
    owners = [factories.make_member(team, Role.CHW) for _ in range(2)]
    start = factories.make_member(team, Role.SOCIAL_WORKER)
    task = make_task(patient, start, actor=nurse)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def hand_to(owner):
        try:
            barrier.wait()
            services.task_reassign(actor=nurse, task=task, new_owner=owner, reason="Race")
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=hand_to, args=(owner,)) for owner in owners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    task.refresh_from_db()
    chain = list(TaskEvent.objects.filter(task=task, kind=TaskEventKind.REASSIGNED).order_by("pk"))
    assert len(chain) == 2
    assert chain[0].from_owner_id == start.pk
    assert chain[1].from_owner_id == chain[0].to_owner_id
    assert task.owner_id == chain[1].to_owner_id
