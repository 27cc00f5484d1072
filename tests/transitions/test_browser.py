"""End to end in real Chromium: an A03 arrives over HTTP, a real worker makes the follow-up,
the discharge shows on the board, the nurse records the contact call, the task closes."""

import urllib.request

import pytest

from apps.patients.services import patient_identifier_add
from apps.tasks.models import TaskStatus
from apps.transitions.models import FollowUp, FollowUpStatus
from tests import factories, workers
from tests.browser import login
from tests.interop.messages import adt


def post_hl7(live_server, token: str, message: str) -> str:
    request = urllib.request.Request(  # noqa: S310 - the test's own live server
        f"{live_server.url}/api/v1/hl7/adt",
        data=message.encode(),
        headers={"Content-Type": "x-application/hl7-v2+er7", "Authorization": f"Token {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
        return response.read().decode()


@pytest.mark.browser
@pytest.mark.celery_worker
@pytest.mark.timeout(180)
def test_a03_reaches_the_board_and_the_contact_call_closes_the_task(
    transactional_db, browser_page, live_server, organisation, patient, nurse, org_admin
):
    from django.utils import timezone

    patient_identifier_add(
        actor=org_admin, patient=patient, assigning_authority="GENHOSP", value="H12345"
    )
    interface = factories.make_user(organisation, username="hl7feed", is_interface=True)
    token = factories.make_api_token(interface)
    processes = workers.Processes()
    with workers.private_queue() as queue:
        try:
            worker = processes.worker(queue, name="browser")
            assert "MSA|AA|" in post_hl7(live_server, token, adt("A01", control_id="B1"))
            ack = post_hl7(
                live_server,
                token,
                adt("A03", control_id="B2", discharged_at=timezone.now(), disposition="01"),
            )
            assert "MSA|AA|B2" in ack
            workers.wait_for(
                lambda: FollowUp.objects.filter(status=FollowUpStatus.SCHEDULED).exists(),
                workers=(worker,),
                what="the follow-up tasks",
            )
        finally:
            processes.stop_all()
    follow_up = FollowUp.objects.select_related("handoff").get()

    page = browser_page
    login(page, live_server, "nurse", factories.PASSWORD)
    page.click("nav.mainnav >> text=Transitions")
    row = page.locator(f"#discharge-row-{follow_up.handoff_id}")
    row.wait_for()
    assert "Garcia, Rosa" in row.inner_text()
    assert "Post-discharge contact" in row.inner_text()
    row.locator("text=Garcia, Rosa").click()
    page.wait_for_selector("h1:has-text('Garcia, Rosa')")
    page.fill(f"#contact-note-{follow_up.handoff_id}", "Spoke with the patient; meds understood")
    page.select_option(f"#contact-outcome-{follow_up.handoff_id}", "reached")
    page.click(f"#record-contact-{follow_up.handoff_id}")
    page.wait_for_selector(f"#contact-task-{follow_up.handoff_id}:has-text('Done')")
    follow_up.contact_task.refresh_from_db()
    assert follow_up.contact_task.status == TaskStatus.DONE
    assert follow_up.contact_task.performed_by == nurse
