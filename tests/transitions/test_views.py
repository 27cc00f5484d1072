from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.core.models import AuditAction, AuditEvent
from apps.tasks.models import TaskStatus
from apps.transitions.models import (
    ChecklistItem,
    ChecklistItemCode,
    Episode,
    FollowUp,
    FollowUpContact,
    Handoff,
    HandoffKind,
    HandoffSource,
    MedicationLine,
    MedicationReconciliation,
    ReconciliationStatus,
)
from apps.transitions.services import reconciliation_start
from tests import factories
from tests.transitions.factories import admit, discharged_home

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def discharge(patient, nurse):
    return discharged_home(patient)


def episode_url(handoff):
    return f"/transitions/episodes/{handoff.episode_id}/"


# --- the board -----------------------------------------------------------------------


def test_board_lists_the_discharge_with_what_is_missing_and_due(client_for, nurse, discharge):
    response = client_for(nurse).get("/transitions/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Garcia, Rosa" in body
    assert f'id="discharge-row-{discharge.pk}"' in body
    assert "Post-discharge contact" in body
    assert "Discharge summary received by the PCP" in body
    assert AuditEvent.objects.filter(
        actor=nurse, action=AuditAction.LIST, object_type="transitions.episode"
    ).exists()


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_board_shows_nothing_to_strangers(client_for, who, request, discharge):
    if who == "anonymous":
        response = Client().get("/transitions/")
        assert response.status_code == 302
    else:
        response = client_for(request.getfixturevalue(who)).get("/transitions/")
        assert response.status_code == 200
    assert b"Garcia" not in response.content


def test_board_query_count_does_not_grow_with_discharges(
    client_for, nurse, team, org_admin, django_assert_max_num_queries
):
    discharged_home(factories.make_patient(team, actor=org_admin))
    client = client_for(nurse)
    client.get("/transitions/")  # warm the session and permission caches
    with django_assert_max_num_queries(12) as few:
        client.get("/transitions/")
    for _ in range(6):
        discharged_home(factories.make_patient(team, actor=org_admin))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/transitions/")
    assert response.content.decode().count('id="discharge-row-') == 7


def test_episode_list_shows_measures_with_a_pinned_query_count(
    client_for, nurse, team, org_admin, django_assert_max_num_queries
):
    discharged_home(factories.make_patient(team, actor=org_admin))
    client = client_for(nurse)
    client.get("/transitions/episodes/")
    with django_assert_max_num_queries(20) as few:
        client.get("/transitions/episodes/")
    for _ in range(5):
        discharged_home(factories.make_patient(team, actor=org_admin))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/transitions/episodes/")
    body = response.content.decode()
    assert body.count("Home → Hospital → Home") == 6
    assert "pending" in body


# --- the episode page ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("nurse", 200), ("pharmacist", 200), ("chw", 200), ("outsider", 404)],
)
def test_episode_page_role_matrix(client_for, request, who, status, discharge):
    response = client_for(request.getfixturevalue(who)).get(episode_url(discharge))
    assert response.status_code == status
    if status == 404:
        assert b"Garcia" not in response.content


def test_episode_page_anonymous_is_sent_to_login(discharge):
    response = Client().get(episode_url(discharge))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_episode_page_shows_chain_checklist_follow_up_and_risk(client_for, nurse, discharge):
    body = client_for(nurse).get(episode_url(discharge)).content.decode()
    assert "Home → Hospital → Home" in body
    assert "Probability of a clean journey" in body
    assert "Most to gain" in body
    assert "Record the contact call" in body
    assert "Warning signs taught back" in body


def test_ticking_a_checklist_item_redraws_the_episode_body(client_for, nurse, discharge):
    item = ChecklistItem.objects.get(handoff=discharge, code=ChecklistItemCode.FOLLOW_UP_BOOKED)
    response = client_for(nurse).post(
        f"/transitions/checklist/{item.pk}/", {"done": "on", "note": "Tue 10:00"}, **HTMX
    )
    assert response.status_code == 200
    assert "Tue 10:00" in response.content.decode()
    item.refresh_from_db()
    assert item.done_by == nurse


@pytest.mark.parametrize(("who", "status"), [("pharmacist", 403), ("outsider", 404)])
def test_checklist_denied_changes_nothing(client_for, request, who, status, discharge):
    item = ChecklistItem.objects.get(handoff=discharge, code=ChecklistItemCode.FOLLOW_UP_BOOKED)
    response = client_for(request.getfixturevalue(who)).post(
        f"/transitions/checklist/{item.pk}/", {"done": "on"}, **HTMX
    )
    assert response.status_code == status
    assert b"Garcia" not in response.content
    item.refresh_from_db()
    assert item.done_at is None


def test_recording_the_contact_call_closes_the_contact_task(client_for, nurse, chw, discharge):
    follow_up = FollowUp.objects.get(handoff=discharge)
    when = timezone.localtime() - timedelta(minutes=30)
    response = client_for(nurse).post(
        f"/transitions/follow-ups/{follow_up.pk}/contact/done/",
        {
            "contact_at": when.strftime("%Y-%m-%dT%H:%M"),
            "performed_by": chw.pk,
            "outcome": "reached",
            "attempts": "1",
            "note": "Spoke with daughter",
        },
        **HTMX,
    )
    assert response.status_code == 200
    follow_up.contact_task.refresh_from_db()
    assert follow_up.contact_task.status == TaskStatus.DONE
    record = FollowUpContact.objects.get(follow_up=follow_up)
    assert (record.performed_by, record.outcome, record.note) == (
        chw,
        "reached",
        "Spoke with daughter",
    )
    assert "Reached the patient or caregiver" in response.content.decode()
    assert follow_up.visit_task.status == TaskStatus.REQUESTED


def test_the_contact_form_without_an_outcome_says_so_and_changes_nothing(
    client_for, nurse, discharge
):
    follow_up = FollowUp.objects.get(handoff=discharge)
    response = client_for(nurse).post(
        f"/transitions/follow-ups/{follow_up.pk}/contact/done/",
        {"contact_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "performed_by": nurse.pk},
        **HTMX,
    )
    assert response.status_code == 400
    assert "Outcome" in response.content.decode()
    follow_up.contact_task.refresh_from_db()
    assert follow_up.contact_task.status == TaskStatus.REQUESTED
    assert not FollowUpContact.objects.exists()


def test_an_outsider_cannot_record_the_contact_call(client_for, outsider, discharge):
    follow_up = FollowUp.objects.get(handoff=discharge)
    response = client_for(outsider).post(f"/transitions/follow-ups/{follow_up.pk}/contact/done/")
    assert response.status_code == 404
    follow_up.contact_task.refresh_from_db()
    assert follow_up.contact_task.status == TaskStatus.REQUESTED


def test_reconciliation_from_the_page_refuses_completion_with_a_discrepancy(
    client_for, nurse, pharmacist, discharge
):
    client = client_for(nurse)
    client.post(f"/transitions/handoffs/{discharge.pk}/reconciliation/", **HTMX)
    client.post(
        f"/transitions/handoffs/{discharge.pk}/reconciliation/lines/",
        {"name": "Furosemide", "on_pre_admission": "on", "pre_dose": "40 mg"},
        **HTMX,
    )
    response = client.post(f"/transitions/handoffs/{discharge.pk}/reconciliation/complete/", **HTMX)
    assert response.status_code == 400
    assert "Furosemide: on the pre-admission list" in response.content.decode()
    line = MedicationLine.objects.get()
    client.post(f"/transitions/lines/{line.pk}/reason/", {"reason": "Dry at discharge"}, **HTMX)
    response = client.post(f"/transitions/handoffs/{discharge.pk}/reconciliation/complete/", **HTMX)
    assert response.status_code == 200
    response = client_for(pharmacist).post(
        f"/transitions/handoffs/{discharge.pk}/reconciliation/verify/", **HTMX
    )
    assert response.status_code == 200
    assert MedicationReconciliation.objects.get().status == ReconciliationStatus.VERIFIED


def test_a_chw_cannot_reconcile(client_for, chw, nurse, discharge):
    response = client_for(chw).post(f"/transitions/handoffs/{discharge.pk}/reconciliation/", **HTMX)
    assert response.status_code == 403
    assert not MedicationReconciliation.objects.exists()


def test_the_nurse_cannot_verify_their_own_reconciliation(client_for, nurse, discharge):
    reconciliation = reconciliation_start(actor=nurse, handoff=discharge)
    client = client_for(nurse)
    client.post(f"/transitions/handoffs/{discharge.pk}/reconciliation/complete/", **HTMX)
    response = client.post(f"/transitions/handoffs/{discharge.pk}/reconciliation/verify/", **HTMX)
    assert response.status_code == 403
    reconciliation.refresh_from_db()
    assert reconciliation.status == ReconciliationStatus.AWAITING_VERIFICATION


# --- manual entry and the chart section ------------------------------------------------


def test_a_phoned_in_discharge_is_recorded_through_the_same_services(client_for, nurse, patient):
    admit(patient, at=timezone.now() - timedelta(days=2))
    when = timezone.localtime(timezone.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(nurse).post(
        f"/transitions/patients/{patient.pk}/record/",
        {
            "kind": "discharge",
            "occurred_at": when,
            "setting": "home",
            "facility": "St Mary",
            "visit_number": "V1",
            "source": "phone",
            "source_reference": "Ward clerk 3W",
        },
    )
    assert response.status_code == 302
    handoff = Handoff.objects.get(kind=HandoffKind.DISCHARGE)
    assert (handoff.source, handoff.recorded_by) == (HandoffSource.PHONE, nurse)
    assert FollowUp.objects.filter(handoff=handoff).exists()


def test_manual_entry_refuses_a_future_time_and_records_nothing(client_for, nurse, patient):
    when = timezone.localtime(timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(nurse).post(
        f"/transitions/patients/{patient.pk}/record/",
        {"kind": "admission", "occurred_at": when, "source": "fax"},
    )
    assert response.status_code == 200
    assert "cannot be in the future" in response.content.decode()
    assert not Episode.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("pharmacist", 403), ("outsider", 404)])
def test_manual_entry_role_matrix(client_for, request, who, status, patient):
    response = client_for(request.getfixturevalue(who)).post(
        f"/transitions/patients/{patient.pk}/record/",
        {"kind": "admission", "occurred_at": "2024-01-01T10:00", "source": "fax"},
    )
    assert response.status_code == status
    assert not Episode.objects.exists()


def test_chart_section_lists_episodes_for_the_team_only(client_for, nurse, outsider, discharge):
    url = f"/transitions/patients/{discharge.episode.patient_id}/section/"
    body = client_for(nurse).get(url).content.decode()
    assert "Home → Hospital → Home" in body
    assert client_for(outsider).get(url).status_code == 404


def test_a_medication_posted_without_a_name_is_refused_naming_the_field_and_nothing_is_added(
    client_for, nurse, discharge
):
    client = client_for(nurse)
    client.post(f"/transitions/handoffs/{discharge.pk}/reconciliation/", **HTMX)
    response = client.post(
        f"/transitions/handoffs/{discharge.pk}/reconciliation/lines/",
        {"on_discharge": "on", "discharge_dose": "5 mg", "discharge_route": "x" * 31},
        **HTMX,
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Name: This field is required." in text
    assert "Route at discharge: Ensure this value has at most 30 characters" in text
    assert not MedicationLine.objects.exists()


def test_verifying_before_the_reconciliation_is_started_says_to_start_it(
    client_for, pharmacist, discharge
):
    response = client_for(pharmacist).post(
        f"/transitions/handoffs/{discharge.pk}/reconciliation/verify/", **HTMX
    )
    assert response.status_code == 400
    assert "Start the reconciliation first." in response.content.decode()
    assert not MedicationReconciliation.objects.exists()
