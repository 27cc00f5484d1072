import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from apps.accounts.models import Role
from apps.core.actors import JobActor
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditEvent
from apps.tasks.models import Task, TaskStatus
from apps.tasks.services import task_verify
from apps.transitions.models import (
    ChecklistItem,
    ChecklistItemCode,
    MedicationClass,
    MedicationLine,
    MedicationReconciliation,
    ReconciliationStatus,
)
from apps.transitions.services import (
    medication_line_add,
    medication_line_remove,
    medication_line_update,
    reconciliation_complete,
    reconciliation_start,
    reconciliation_verify,
)
from apps.transitions.services.reconciliation import (
    RECONCILIATION_SYNC_JOB,
    reconciliation_sync_verified,
)
from tests import factories
from tests.transitions.factories import discharged_home

SYNC = JobActor(job=RECONCILIATION_SYNC_JOB)


@pytest.fixture
def reconciliation(patient, nurse):
    return reconciliation_start(actor=nurse, handoff=discharged_home(patient))


def add(actor, reconciliation, name, **values):
    return medication_line_add(actor=actor, reconciliation=reconciliation, name=name, **values)


def both(dose="10 mg", route="oral", frequency="daily", **extra):
    return {
        "on_pre_admission": True,
        "pre_dose": "10 mg",
        "pre_route": "oral",
        "pre_frequency": "daily",
        "on_discharge": True,
        "discharge_dose": dose,
        "discharge_route": route,
        "discharge_frequency": frequency,
        **extra,
    }


def test_each_line_is_classified_from_the_two_lists(reconciliation, nurse):
    continued = add(nurse, reconciliation, "Lisinopril", **both())
    same_but_spaced = add(nurse, reconciliation, "Atorvastatin", **both(dose="10  MG"))
    changed = add(
        nurse, reconciliation, "Metoprolol", **both(dose="25 mg", frequency="twice daily")
    )
    new = add(nurse, reconciliation, "Apixaban", on_discharge=True, discharge_dose="5 mg")
    stopped = add(
        nurse,
        reconciliation,
        "Ibuprofen",
        on_pre_admission=True,
        pre_dose="400 mg",
        reason="Kidney function fell",
    )
    omitted = add(nurse, reconciliation, "Furosemide", on_pre_admission=True, pre_dose="40 mg")
    assert [
        line.classification for line in (continued, same_but_spaced, changed, new, stopped, omitted)
    ] == [
        MedicationClass.CONTINUED,
        MedicationClass.CONTINUED,
        MedicationClass.CHANGED,
        MedicationClass.NEW,
        MedicationClass.STOPPED,
        MedicationClass.OMISSION,
    ]
    assert changed.changed_attributes == ["dose", "frequency"]
    assert [line.is_discrepancy for line in (changed, omitted, stopped, new)] == [
        True,
        True,
        False,
        False,
    ]


def test_a_route_change_alone_is_a_change(reconciliation, nurse):
    line = add(nurse, reconciliation, "Morphine", **both(route="IV"))
    assert (line.classification, line.changed_attributes) == (MedicationClass.CHANGED, ["route"])


def test_discrepancies_block_completion_and_name_each_medication(reconciliation, nurse, pharmacist):
    add(nurse, reconciliation, "Metoprolol", **both(dose="25 mg"))
    add(nurse, reconciliation, "Furosemide", on_pre_admission=True, pre_dose="40 mg")
    with pytest.raises(ApplicationError) as error:
        reconciliation_complete(actor=nurse, reconciliation=reconciliation)
    messages = " ".join(
        message for values in error.value.field_errors.values() for message in values
    )
    assert "Metoprolol: dose changed without a reason" in messages
    assert "Furosemide: on the pre-admission list but missing at discharge" in messages
    reconciliation.refresh_from_db()
    assert reconciliation.status == ReconciliationStatus.IN_PROGRESS
    assert not Task.objects.filter(verification_role=Role.PHARMACIST).exists()


def test_giving_reasons_resolves_the_discrepancies(reconciliation, nurse, pharmacist):
    changed = add(nurse, reconciliation, "Metoprolol", **both(dose="25 mg"))
    omitted = add(nurse, reconciliation, "Furosemide", on_pre_admission=True, pre_dose="40 mg")
    medication_line_update(actor=nurse, line=changed, reason="Heart rate still high")
    stopped = medication_line_update(actor=nurse, line=omitted, reason="Euvolemic at discharge")
    assert stopped.classification == MedicationClass.STOPPED
    reconciliation_complete(actor=nurse, reconciliation=reconciliation)
    reconciliation.refresh_from_db()
    assert reconciliation.status == ReconciliationStatus.AWAITING_VERIFICATION


def test_completion_makes_a_verification_task_for_a_pharmacist_and_ticks_the_checklist(
    reconciliation, nurse, pharmacist
):
    add(nurse, reconciliation, "Lisinopril", **both())
    reconciliation_complete(actor=nurse, reconciliation=reconciliation)
    reconciliation.refresh_from_db()
    task = reconciliation.verification_task
    assert (task.owner, task.verification_role, task.status, task.performed_by) == (
        pharmacist,
        Role.PHARMACIST,
        TaskStatus.AWAITING_VERIFICATION,
        nurse,
    )
    done = ChecklistItem.objects.get(
        handoff=reconciliation.handoff, code=ChecklistItemCode.RECONCILIATION_DONE
    )
    assert done.done_by == nurse
    with pytest.raises(ApplicationError):
        add(nurse, reconciliation, "Late addition", on_discharge=True, discharge_dose="1 mg")


def test_the_pharmacist_verifies_and_the_checklist_follows(reconciliation, nurse, pharmacist):
    add(nurse, reconciliation, "Lisinopril", **both())
    reconciliation_complete(actor=nurse, reconciliation=reconciliation)
    reconciliation_verify(actor=pharmacist, reconciliation=reconciliation)
    reconciliation.refresh_from_db()
    assert (reconciliation.status, reconciliation.verified_by) == (
        ReconciliationStatus.VERIFIED,
        pharmacist,
    )
    assert reconciliation.verification_task.status == TaskStatus.DONE
    assert (
        ChecklistItem.objects.get(
            handoff=reconciliation.handoff, code=ChecklistItemCode.RECONCILIATION_VERIFIED
        ).done_at
        is not None
    )


def test_a_pharmacist_who_reconciled_cannot_verify_their_own_work(team, patient, nurse, pharmacist):
    other = factories.make_member(team, Role.PHARMACIST)
    reconciliation = reconciliation_start(actor=pharmacist, handoff=discharged_home(patient))
    add(pharmacist, reconciliation, "Lisinopril", **both())
    reconciliation_complete(actor=pharmacist, reconciliation=reconciliation)
    reconciliation.refresh_from_db()
    assert reconciliation.verification_task.owner == other  # never the performer
    with pytest.raises(ApplicationError):
        reconciliation_verify(actor=pharmacist, reconciliation=reconciliation)
    reconciliation.refresh_from_db()
    assert reconciliation.status == ReconciliationStatus.AWAITING_VERIFICATION
    reconciliation_verify(actor=other, reconciliation=reconciliation)
    reconciliation.refresh_from_db()
    assert reconciliation.verified_by == other


def test_only_a_pharmacist_verifies(reconciliation, nurse, pcp, pharmacist):
    add(nurse, reconciliation, "Lisinopril", **both())
    reconciliation_complete(actor=nurse, reconciliation=reconciliation)
    with pytest.raises(PermissionDenied):
        reconciliation_verify(actor=pcp, reconciliation=reconciliation)
    reconciliation.refresh_from_db()
    assert reconciliation.status == ReconciliationStatus.AWAITING_VERIFICATION


def test_without_a_second_pharmacist_the_lead_holds_the_task_until_one_verifies(
    patient, nurse, pharmacist
):
    reconciliation = reconciliation_start(actor=pharmacist, handoff=discharged_home(patient))
    add(pharmacist, reconciliation, "Lisinopril", **both())
    reconciliation_complete(actor=pharmacist, reconciliation=reconciliation)
    reconciliation.refresh_from_db()
    assert reconciliation.verification_task.owner == nurse


def _awaiting(reconciliation, nurse):
    add(nurse, reconciliation, "Lisinopril", **both())
    reconciliation_complete(actor=nurse, reconciliation=reconciliation)
    reconciliation.refresh_from_db()
    return reconciliation.verification_task


def _assert_verified_and_ticked(reconciliation, pharmacist):
    reconciliation.refresh_from_db()
    assert (reconciliation.status, reconciliation.verified_by) == (
        ReconciliationStatus.VERIFIED,
        pharmacist,
    )
    item = ChecklistItem.objects.get(
        handoff=reconciliation.handoff, code=ChecklistItemCode.RECONCILIATION_VERIFIED
    )
    assert (item.done_by, item.done_at is not None) == (pharmacist, True)
    task = Task.objects.get(pk=reconciliation.verification_task_id)
    assert (task.status, task.verified_by) == (TaskStatus.DONE, pharmacist)


def test_verifying_the_reconciliation_task_from_my_work_verifies_the_reconciliation_and_ticks_the_checklist(  # noqa: E501
    reconciliation, nurse, pharmacist, client_for
):
    task = _awaiting(reconciliation, nurse)
    response = client_for(pharmacist).post(
        reverse("tasks:verify", args=[task.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    _assert_verified_and_ticked(reconciliation, pharmacist)
    # Nothing left for the sweep's safety net to pick up.
    assert reconciliation_sync_verified(actor=SYNC) == 0


def test_verifying_the_reconciliation_task_through_the_api_verifies_the_reconciliation(
    reconciliation, nurse, pharmacist, api_for
):
    task = _awaiting(reconciliation, nurse)
    response = api_for(pharmacist).post(reverse("api-task-verify", args=[task.pk]))
    assert response.status_code == 200
    _assert_verified_and_ticked(reconciliation, pharmacist)


def test_verifying_on_the_reconciliation_page_closes_the_task(
    reconciliation, nurse, pharmacist, client_for
):
    _awaiting(reconciliation, nurse)
    response = client_for(pharmacist).post(
        reverse("transitions:reconciliation_verify", args=[reconciliation.handoff_id]),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    _assert_verified_and_ticked(reconciliation, pharmacist)
    assert "awaiting pharmacist verification" not in response.content.decode().lower()


def test_a_refused_reconciliation_verification_leaves_the_task_open(
    reconciliation, nurse, pharmacist
):
    task = _awaiting(reconciliation, nurse)
    MedicationReconciliation.objects.filter(pk=reconciliation.pk).update(performed_by=pharmacist)
    with pytest.raises(ApplicationError):
        task_verify(actor=pharmacist, task=task)
    task.refresh_from_db()
    reconciliation.refresh_from_db()
    assert task.status == TaskStatus.AWAITING_VERIFICATION
    assert reconciliation.status == ReconciliationStatus.AWAITING_VERIFICATION


def test_lines_need_a_dose_on_each_list_they_are_on(reconciliation, nurse):
    with pytest.raises(ApplicationError) as error:
        add(nurse, reconciliation, "Lisinopril", on_pre_admission=True)
    assert "pre_dose" in error.value.field_errors
    with pytest.raises(ApplicationError):
        add(nurse, reconciliation, "Nothing")
    assert not MedicationLine.objects.exists()


def test_removing_a_line_and_roles_without_the_right(reconciliation, nurse, chw):
    line = add(nurse, reconciliation, "Lisinopril", **both())
    with pytest.raises(PermissionDenied):
        medication_line_remove(actor=chw, line=line)
    with pytest.raises(PermissionDenied):
        add(chw, reconciliation, "Aspirin", on_discharge=True, discharge_dose="81 mg")
    medication_line_remove(actor=nurse, line=line)
    assert not MedicationLine.objects.exists()


def test_the_task_page_of_a_reconciliation_task_leads_to_its_lines_and_verify_button(
    reconciliation, nurse, pharmacist, client_for
):
    task = _awaiting(reconciliation, nurse)
    client = client_for(pharmacist)
    page = client.get(reverse("tasks:detail", args=[task.pk])).content.decode()
    episode_url = reverse("transitions:episode", args=[reconciliation.handoff.episode_id])
    assert f'href="{episode_url}#reconciliation-{reconciliation.handoff_id}"' in page
    episode = client.get(episode_url).content.decode()
    assert "Lisinopril" in episode
    assert "Verify the reconciliation" in episode


def test_the_sync_job_verifies_a_reconciliation_left_behind_in_the_name_of_its_pharmacist(
    reconciliation, nurse, pharmacist
):
    task = _awaiting(reconciliation, nurse)
    # A reconciliation left behind: its task was verified before the task handler existed.
    Task.objects.filter(pk=task.pk).update(
        status=TaskStatus.DONE, verified_by=pharmacist, verified_at=task.created_at
    )

    assert reconciliation_sync_verified(actor=SYNC) == 1

    reconciliation.refresh_from_db()
    assert (reconciliation.status, reconciliation.verified_by) == (
        ReconciliationStatus.VERIFIED,
        pharmacist,
    )
    event = AuditEvent.objects.filter(
        object_type="transitions.medicationreconciliation", object_id=str(reconciliation.pk)
    ).latest("id")
    assert (event.actor, event.detail["job"]) == (pharmacist, RECONCILIATION_SYNC_JOB)


def test_a_reason_that_resolves_an_omission_is_audited_with_the_new_classification(
    reconciliation, nurse
):
    line = add(nurse, reconciliation, "Furosemide", on_pre_admission=True, pre_dose="40 mg")
    assert line.classification == MedicationClass.OMISSION

    medication_line_update(actor=nurse, line=line, reason="Dry at discharge")
    medication_line_update(actor=nurse, line=line, reason="Dry at discharge")  # no change

    line.refresh_from_db()
    assert (line.classification, line.reason) == (MedicationClass.STOPPED, "Dry at discharge")
    events = AuditEvent.objects.filter(
        object_type="transitions.medicationline", object_id=str(line.pk), action="update"
    )
    assert [(event.detail["fields"], event.detail["classification"]) for event in events] == [
        (["classification", "reason"], MedicationClass.STOPPED)
    ]


def test_the_checklist_ticks_that_follow_the_reconciliation_are_audited_with_who_did_them(
    reconciliation, nurse, pharmacist
):
    task = _awaiting(reconciliation, nurse)
    task_verify(actor=pharmacist, task=task)

    ticks = AuditEvent.objects.filter(object_type="transitions.checklistitem").order_by("id")
    assert [(event.actor, event.detail["code"]) for event in ticks] == [
        (nurse, ChecklistItemCode.RECONCILIATION_DONE),
        (pharmacist, ChecklistItemCode.RECONCILIATION_VERIFIED),
    ]
