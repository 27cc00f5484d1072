"""A post-discharge contact or visit is done only with when, who and the outcome."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.core.exceptions import ApplicationError
from apps.tasks.models import Task, TaskStatus
from apps.tasks.services import task_complete
from apps.transitions.models import ContactOutcome, FollowUp, FollowUpContact
from apps.transitions.process import MET, MISSED, PENDING, process_measures
from apps.transitions.services import ContactDetails, follow_up_contact_record
from tests import factories
from tests.transitions.factories import discharged_home, record_contact


@pytest.fixture
def follow_up(patient, nurse):
    return FollowUp.objects.select_related("contact_task", "visit_task").get(
        handoff=discharged_home(patient)
    )


def _status(task):
    return Task.objects.get(pk=task.pk).status


def test_post_discharge_contact_cannot_be_done_without_when_who_and_outcome(
    follow_up, nurse, api_for
):
    # The generic "complete" door (My work, task page, tasks API) is refused.
    with pytest.raises(ApplicationError) as error:
        task_complete(actor=nurse, task=follow_up.contact_task)
    assert {"contact_at", "performed_by", "outcome"} <= set(error.value.field_errors)
    api = api_for(nurse)
    refused = api.post(reverse("api-task-complete", args=[follow_up.visit_task_id]), {})
    assert refused.status_code == 400
    assert "outcome" in refused.content.decode()
    # The documentation service refuses each missing part, writing nothing.
    for missing, details in [
        ("contact_at", ContactDetails(None, nurse, ContactOutcome.REACHED)),
        ("performed_by", ContactDetails(timezone.now(), None, ContactOutcome.REACHED)),
        ("outcome", ContactDetails(timezone.now(), nurse, "")),
        ("attempts", ContactDetails(timezone.now(), nurse, ContactOutcome.NOT_REACHED, 1)),
        ("contact_at", ContactDetails(timezone.now() + timedelta(hours=2), nurse, "reached")),
    ]:
        with pytest.raises(ApplicationError) as error:
            follow_up_contact_record(
                actor=nurse, follow_up=follow_up, kind="contact", details=details
            )
        assert missing in error.value.field_errors
    assert not FollowUpContact.objects.exists()
    assert _status(follow_up.contact_task) == TaskStatus.REQUESTED
    assert _status(follow_up.visit_task) == TaskStatus.REQUESTED
    # Documented: the record and the task close together.
    record = record_contact(nurse, follow_up, outcome=ContactOutcome.NOT_REACHED, attempts=3)
    assert (record.outcome, record.attempts, record.performed_by) == ("not_reached", 3, nurse)
    assert _status(follow_up.contact_task) == TaskStatus.DONE


def test_the_api_documents_the_visit_and_closes_its_task(follow_up, nurse, chw, api_for):
    response = api_for(nurse).post(
        reverse("api-follow-up-contact", args=[follow_up.pk, "visit"]),
        {
            "contact_at": timezone.now().isoformat(),
            "performed_by": chw.pk,
            "outcome": "declined",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["performed_by_id"] == chw.pk
    assert _status(follow_up.visit_task) == TaskStatus.DONE


def test_the_api_refuses_a_contact_by_someone_off_the_team(follow_up, nurse, outsider, api_for):
    response = api_for(nurse).post(
        reverse("api-follow-up-contact", args=[follow_up.pk, "contact"]),
        {
            "contact_at": timezone.now().isoformat(),
            "performed_by": outsider.pk,
            "outcome": "reached",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "care team" in response.json()["errors"]["performed_by"][0]
    assert _status(follow_up.contact_task) == TaskStatus.REQUESTED


def test_documented_contact_counts_and_undocumented_does_not(team, org_admin, patient, nurse):
    second = factories.make_patient(team, actor=org_admin, mrn="MRN0099")
    documented = FollowUp.objects.get(handoff=discharged_home(patient))
    undocumented = FollowUp.objects.get(handoff=discharged_home(second))
    record_contact(nurse, documented)
    # A task closed around the rules (old data, a raw update): done, but not documented.
    Task.objects.filter(pk=undocumented.contact_task_id).update(
        status=TaskStatus.DONE, completed_at=timezone.now()
    )
    documented = FollowUp.objects.get(pk=documented.pk)
    undocumented = FollowUp.objects.get(pk=undocumented.pk)
    assert process_measures(documented, documented.handoff).contact == MET
    assert process_measures(undocumented, undocumented.handoff).contact == PENDING
    after_due = undocumented.contact_due_at + timedelta(hours=1)
    assert process_measures(undocumented, undocumented.handoff, now=after_due).contact == MISSED


def test_completing_a_follow_up_task_from_the_task_page_says_where_to_document_it(
    follow_up, nurse, client_for
):
    client = client_for(nurse)
    response = client.post(
        reverse("tasks:complete", args=[follow_up.contact_task_id]), HTTP_HX_REQUEST="true"
    )
    # The refusal shows where the user clicked (its status code is the doors' rule).
    assert "Record the interactive contact" in response.content.decode()
    assert _status(follow_up.contact_task) == TaskStatus.REQUESTED
    page = client.get(reverse("tasks:detail", args=[follow_up.contact_task_id])).content.decode()
    assert f"#discharge-{follow_up.handoff_id}" in page
    assert 'id="task-complete-there"' in page  # instead of a bare "Complete"
    assert reverse("tasks:complete", args=[follow_up.contact_task_id]) not in page
