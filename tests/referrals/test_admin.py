"""The admin door: the same services, the same state machine, the same refusals."""

import re

from django.urls import reverse

from apps.core.models import AuditAction, AuditEvent
from apps.referrals.models import Referral, ReferralState, ReferralTimeLimit, ResourceService
from tests.referrals.factories import RESULT, make_referral

S = ReferralState
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def _post_change(client, url: str, data: dict[str, str]):
    page = client.get(url)
    assert page.status_code == 200
    form = dict(HIDDEN.findall(page.content.decode()))
    form.update(data)
    return client.post(url, form)


def test_an_illegal_move_in_the_admin_is_refused_on_the_form(client_for, org_admin, referral):
    url = reverse("admin:referrals_referral_change", args=[referral.pk])
    response = _post_change(
        client_for(org_admin),
        url,
        {
            "move_to": "closed",
            **{
                "move_result_summary": RESULT["result_summary"],
                "move_result_reported_by": RESULT["result_reported_by"],
            },
        },
    )
    assert response.status_code == 200
    assert "A referral cannot go from Draft to Closed" in response.content.decode()
    assert Referral.objects.get(pk=referral.pk).state == S.DRAFT


def test_closing_in_the_admin_needs_the_result_and_goes_through_the_service(
    client_for, org_admin, patient, nurse, food_service
):
    referral = make_referral(patient, actor=nurse, service=food_service, state=S.COMPLETED)
    url = reverse("admin:referrals_referral_change", args=[referral.pk])
    client = client_for(org_admin)
    refused = _post_change(client, url, {"move_to": "closed"})
    assert "Document what happened before closing the loop." in refused.content.decode()
    assert Referral.objects.get(pk=referral.pk).state == S.COMPLETED
    done = _post_change(
        client,
        url,
        {
            "move_to": "closed",
            "move_result_summary": "Seen by cardiology, echo normal",
            "move_result_reported_by": "Dr Lee's letter",
        },
    )
    assert done.status_code == 302
    closed = Referral.objects.get(pk=referral.pk)
    assert closed.state == S.CLOSED
    assert closed.result_documented_by == org_admin
    event = closed.events.last()
    assert (event.from_state, event.to_state, event.actor) == (S.COMPLETED, S.CLOSED, org_admin)


def test_reading_referrals_in_the_admin_is_audited(client_for, org_admin, referral):
    client = client_for(org_admin)
    client.get(reverse("admin:referrals_referral_changelist"))
    client.get(reverse("admin:referrals_referral_change", args=[referral.pk]))
    assert AuditEvent.objects.filter(
        actor=org_admin, action=AuditAction.LIST, patient_ids=[referral.patient_id]
    ).exists()
    assert AuditEvent.objects.filter(
        actor=org_admin, action=AuditAction.VIEW, object_id=str(referral.pk)
    ).exists()


def test_time_limits_are_edited_in_the_admin_through_the_service(
    client_for, org_admin, organisation, referral
):
    settings_row = organisation.referral_settings
    url = reverse("admin:referrals_referralsettings_change", args=[settings_row.pk])
    client = client_for(org_admin)
    page = client.get(url).content.decode()
    data = dict(HIDDEN.findall(page))
    data["max_snooze_business_days"] = "5"
    by_id = {limit.pk: limit for limit in ReferralTimeLimit.objects.filter(settings=settings_row)}
    for index in range(len(by_id)):
        limit = by_id[int(data[f"time_limits-{index}-id"])]
        data[f"time_limits-{index}-remind_after_business_days"] = str(
            limit.remind_after_business_days
        )
        data[f"time_limits-{index}-escalate_after_business_days"] = str(
            limit.escalate_after_business_days
        )
    data["time_limits-0-remind_after_business_days"] = "3"
    data["time_limits-0-escalate_after_business_days"] = "2"
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "the escalation must come after it" in refused.content.decode()
    assert not AuditEvent.objects.filter(object_type="referrals.referraltimelimit").exists()
    data["time_limits-0-escalate_after_business_days"] = "6"
    saved = client.post(url, data)
    assert saved.status_code == 302
    limit = ReferralTimeLimit.objects.get(pk=int(data["time_limits-0-id"]))
    assert (limit.remind_after_business_days, limit.escalate_after_business_days) == (3, 6)
    settings_row.refresh_from_db()
    assert settings_row.max_snooze_business_days == 5
    assert AuditEvent.objects.filter(
        actor=org_admin, object_type="referrals.referraltimelimit"
    ).exists()


def test_directory_entries_are_added_in_the_admin_through_the_service(
    client_for, org_admin, food_service
):
    response = client_for(org_admin).post(
        reverse("admin:referrals_resourceservice_add"),
        {
            "resource_organisation": food_service.resource_organisation_id,
            "name": "Utility bill help",
            "service_type": "utilities",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    created = ResourceService.objects.get(name="Utility bill help")
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE,
        object_id=str(created.pk),
        object_type="referrals.resourceservice",
    ).exists()
