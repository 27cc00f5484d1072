"""The Gravity loop: a partner's client updates the referral's Task; the referral follows."""

import json

import pytest

from apps.core.models import AuditEvent
from apps.referrals.models import Referral, ReferralEvent, ReferralState
from tests.fhir.conftest import FHIR_JSON, validated
from tests.referrals import factories as referral_factories

pytestmark = pytest.mark.django_db
S = ReferralState


@pytest.fixture
def partner_http(make_system_client, organisation, sent_referral):
    partner = sent_referral.service.resource_organisation
    system = make_system_client(
        organisation,
        scopes="system/Task.read system/Task.write system/Organization.read",
        partner=partner,
    )
    return system.http("system/Task.read system/Task.write system/Organization.read")


def task_url(referral: Referral) -> str:
    return f"/fhir/R4/Task/referral-{referral.pk}"


def patch_status(http, referral, status, **more):
    operations = [{"op": "replace", "path": "/status", "value": status}]
    operations += [
        {"op": "add", "path": f"/{name}", "value": value} for name, value in more.items()
    ]
    return http.patch(
        task_url(referral), json.dumps(operations), content_type="application/json-patch+json"
    )


def put_task(http, referral, **changes):
    resource = http.get(task_url(referral)).json()
    resource.update(changes)
    return http.put(task_url(referral), json.dumps(resource), content_type=FHIR_JSON)


def test_a_sent_referral_is_published_as_service_request_and_task_owned_by_the_partner(
    partner_http, sent_referral
):
    task = validated(partner_http.get(task_url(sent_referral)).json())

    assert task["status"] == "requested"
    assert task["focus"]["reference"] == f"ServiceRequest/{sent_referral.pk}"
    assert task["owner"]["display"] == sent_referral.service.resource_organisation.name
    assert task["meta"]["versionId"] == str(sent_referral.state_sequence)


def test_partner_accepts_then_starts_then_completes_and_the_loop_closes(
    partner_http, sent_referral
):
    assert patch_status(partner_http, sent_referral, "accepted").status_code == 200
    assert patch_status(partner_http, sent_referral, "in-progress").status_code == 200
    done = put_task(
        partner_http,
        sent_referral,
        status="completed",
        output=[{"type": {"text": "Result"}, "valueString": "Enrolled in weekly food boxes"}],
    )

    assert done.status_code == 200
    assert validated(done.json())["status"] == "completed"
    sent_referral.refresh_from_db()
    assert sent_referral.state == S.CLOSED
    assert sent_referral.result_summary == "Enrolled in weekly food boxes"
    assert sent_referral.result_reported_by == sent_referral.service.resource_organisation.name
    states = list(
        ReferralEvent.objects.filter(referral=sent_referral, to_state__gt="")
        .order_by("pk")
        .values_list("to_state", flat=True)
    )
    assert states[-4:] == [S.RECEIVED, S.SCHEDULED, S.COMPLETED, S.CLOSED]


def test_the_update_is_audited_naming_the_client(partner_http, sent_referral):
    patch_status(partner_http, sent_referral, "accepted")

    event = AuditEvent.objects.filter(object_type="referrals.referral").latest("pk")
    assert event.detail["job"].startswith("fhir-client:")
    assert event.source == "fhir"
    assert event.detail["to_state"] == S.RECEIVED


def test_rejected_needs_a_reason_and_with_one_declines_the_referral(partner_http, sent_referral):
    without = patch_status(partner_http, sent_referral, "rejected")
    sent_referral.refresh_from_db()
    assert without.status_code == 422
    assert sent_referral.state == S.SENT

    with_reason = patch_status(
        partner_http, sent_referral, "rejected", statusReason={"text": "Outside our area"}
    )

    sent_referral.refresh_from_db()
    assert with_reason.status_code == 200
    assert (sent_referral.state, sent_referral.state_reason) == (S.DECLINED, "Outside our area")


def test_a_move_the_state_table_refuses_is_a_422_and_changes_nothing(partner_http, sent_referral):
    before = sent_referral.state_sequence

    response = put_task(
        partner_http,
        sent_referral,
        status="completed",
        output=[{"type": {"text": "Result"}, "valueString": "Done"}],
    )

    sent_referral.refresh_from_db()
    assert response.status_code == 422
    assert validated(response.json())["issue"][0]["code"] == "business-rule"
    assert (sent_referral.state, sent_referral.state_sequence) == (S.SENT, before)


def test_a_stale_if_match_is_a_412(partner_http, sent_referral):
    stale = f'W/"{sent_referral.state_sequence - 1}"'

    response = partner_http.patch(
        task_url(sent_referral),
        json.dumps([{"op": "replace", "path": "/status", "value": "accepted"}]),
        content_type="application/json-patch+json",
        headers={"If-Match": stale},
    )

    sent_referral.refresh_from_db()
    assert response.status_code == 412
    assert sent_referral.state == S.SENT


def test_another_partners_client_cannot_see_or_update_the_task(
    make_system_client, organisation, org_admin, sent_referral
):
    other = referral_factories.make_partner(organisation, actor=org_admin, name="Other agency")
    http = make_system_client(
        organisation, scopes="system/Task.read system/Task.write", partner=other
    ).http("system/Task.read system/Task.write")

    response = patch_status(http, sent_referral, "accepted")

    sent_referral.refresh_from_db()
    assert response.status_code == 404
    assert sent_referral.state == S.SENT


def test_a_client_without_write_scope_is_refused(make_system_client, organisation, sent_referral):
    partner = sent_referral.service.resource_organisation
    http = make_system_client(organisation, scopes="system/Task.read", partner=partner).http(
        "system/Task.read"
    )

    response = patch_status(http, sent_referral, "accepted")

    sent_referral.refresh_from_db()
    assert response.status_code == 403
    assert sent_referral.state == S.SENT


def test_a_person_cannot_update_through_fhir(client_for, social_worker, sent_referral):
    response = patch_status(client_for(social_worker), sent_referral, "accepted")

    assert response.status_code == 403


def test_a_malformed_body_is_a_400_and_a_wrong_media_type_a_415(partner_http, sent_referral):
    malformed = partner_http.put(
        task_url(sent_referral),
        json.dumps({"resourceType": "Task", "status": "accepted", "intent": 5}),
        content_type=FHIR_JSON,
    )
    wrong_type = partner_http.patch(
        task_url(sent_referral), "status=accepted", content_type="text/plain"
    )

    assert malformed.status_code == 400
    assert wrong_type.status_code == 415


def test_the_same_status_again_changes_nothing(partner_http, sent_referral):
    patch_status(partner_http, sent_referral, "accepted")
    sent_referral.refresh_from_db()
    sequence = sent_referral.state_sequence

    again = patch_status(partner_http, sent_referral, "accepted")

    sent_referral.refresh_from_db()
    assert again.status_code == 200
    assert sent_referral.state_sequence == sequence


@pytest.mark.parametrize(
    "body",
    [
        '{"resourceType": "Task", "status": "accepted", "intent": "order", '
        '"note": [{"text": "a\\u0000b"}]}',
        "[" * 100_000 + "]" * 100_000,
        '{"resourceType": "Patient"}',
        "not json",
    ],
)
def test_a_body_of_the_wrong_shape_is_a_400_and_changes_nothing(partner_http, sent_referral, body):
    response = partner_http.put(task_url(sent_referral), body, content_type=FHIR_JSON)

    sent_referral.refresh_from_db()
    assert response.status_code == 400
    assert validated(response.json())["resourceType"] == "OperationOutcome"
    assert sent_referral.state == S.SENT


def test_a_partner_reads_the_loop_not_the_chart_nor_the_teams_own_work(
    make_system_client, organisation, chart, sent_referral
):
    partner = sent_referral.service.resource_organisation
    partner_http = make_system_client(organisation, scopes="system/*.read", partner=partner).http(
        "system/*.read"
    )

    everything = partner_http.get(f"/fhir/R4/Patient/{chart.pk}/$everything").json()
    tasks = partner_http.get("/fhir/R4/Task").json()

    kinds = {entry["resource"]["resourceType"] for entry in everything["entry"]}
    assert kinds <= {"Patient", "ServiceRequest", "Task", "Consent"}
    assert [entry["resource"]["id"] for entry in tasks["entry"]] == [f"referral-{sent_referral.pk}"]
    assert partner_http.get("/fhir/R4/Condition").status_code == 403


def test_a_draft_referral_is_not_shown_to_its_partner(
    make_system_client, organisation, patient, nurse, org_admin
):
    service = referral_factories.make_service(organisation, actor=org_admin, name="Rides")
    draft = referral_factories.make_referral(patient, actor=nurse, service=service)
    http = make_system_client(
        organisation, scopes="system/*.read", partner=service.resource_organisation
    ).http("system/*.read")

    assert http.get(f"/fhir/R4/ServiceRequest/{draft.pk}").status_code == 404
    assert http.get(f"/fhir/R4/Patient/{patient.pk}").status_code == 404


def test_accepted_again_after_in_progress_steps_back_for_rebooking_with_a_reason(
    partner_http, sent_referral
):
    patch_status(partner_http, sent_referral, "accepted")
    patch_status(partner_http, sent_referral, "in-progress")

    refused = patch_status(partner_http, sent_referral, "accepted")
    stepped_back = patch_status(
        partner_http, sent_referral, "accepted", statusReason={"text": "Missed the visit"}
    )

    sent_referral.refresh_from_db()
    assert refused.status_code == 422
    assert stepped_back.status_code == 200
    assert (sent_referral.state, sent_referral.state_reason) == (S.RECEIVED, "Missed the visit")


def test_the_task_owner_is_the_partner_organization_resource(partner_http, sent_referral):
    task = partner_http.get(task_url(sent_referral)).json()

    owner = partner_http.get(f"/fhir/R4/{task['owner']['reference']}")

    assert owner.status_code == 200
    assert validated(owner.json())["name"] == sent_referral.service.resource_organisation.name
