"""The admin door to the match queue and the ADT store: own organisation's staff only."""

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from apps.core.models import AuditAction, AuditEvent
from apps.interop.models import AdtMessage, PatientMatchRequest
from tests import factories

MISSING_ID = 987_654_321
PRIVATE = (b"Unknown", b"Person", b"H12345")


@pytest.fixture
def staff_elsewhere(db):
    """Staff of another organisation holding every interop model permission."""
    return factories.make_staff(
        factories.make_organisation(), Permission.objects.filter(content_type__app_label="interop")
    )


def state() -> list[Any]:
    return list(
        PatientMatchRequest.objects.order_by("pk").values_list(
            "pk", "status", "patient_id", "resolved_by_id", "resolution_note"
        )
    )


@pytest.mark.parametrize(
    "url",
    [
        lambda match: reverse("admin:interop_patientmatchrequest_changelist"),
        lambda match: reverse("admin:interop_patientmatchrequest_change", args=[match.pk]),
        lambda match: reverse("admin:interop_adtmessage_change", args=[match.message_id]),
    ],
    ids=["match-list", "match", "message"],
)
def test_a_non_staff_coordinator_is_sent_to_the_admin_login(url, client_for, nurse, queued):
    response = client_for(nurse).get(url(queued))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    for value in PRIVATE:
        assert value not in response.content


def test_staff_of_another_organisation_see_no_match_request_of_ours(
    client_for, staff_elsewhere, queued
):
    client = client_for(staff_elsewhere)
    listing = client.get(reverse("admin:interop_patientmatchrequest_changelist"))
    assert listing.status_code == 200
    ours = reverse("admin:interop_patientmatchrequest_change", args=[queued.pk])
    assert ours.encode() not in listing.content
    for value in PRIVATE:
        assert value not in listing.content
    opened = client.get(ours)
    missing = client.get(reverse("admin:interop_patientmatchrequest_change", args=[MISSING_ID]))
    assert opened.status_code == 302
    assert opened["Location"] == missing["Location"]


def test_staff_of_another_organisation_cannot_change_or_delete_a_match_request(
    client_for, staff_elsewhere, queued
):
    client = client_for(staff_elsewhere)
    before = state()
    client.post(
        reverse("admin:interop_patientmatchrequest_change", args=[queued.pk]),
        {"status": "dismissed", "resolution_note": "x"},
    )
    client.post(
        reverse("admin:interop_patientmatchrequest_delete", args=[queued.pk]), {"post": "yes"}
    )
    client.post(
        reverse("admin:interop_patientmatchrequest_changelist"),
        {"action": "delete_selected", "_selected_action": [queued.pk], "post": "yes"},
    )
    assert state() == before
    assert AdtMessage.objects.filter(pk=queued.message_id).exists()


def test_staff_of_another_organisation_cannot_open_the_raw_message(
    client_for, staff_elsewhere, queued
):
    client = client_for(staff_elsewhere)
    opened = client.get(reverse("admin:interop_adtmessage_change", args=[queued.message_id]))
    missing = client.get(reverse("admin:interop_adtmessage_change", args=[MISSING_ID]))
    assert opened.status_code == 302
    assert opened["Location"] == missing["Location"]
    assert not AuditEvent.objects.filter(
        actor=staff_elsewhere, action=AuditAction.VIEW, object_type="interop.adtmessage"
    ).exists()


def test_staff_of_the_organisation_review_the_match_request(client_for, org_admin, queued):
    response = client_for(org_admin).get(
        reverse("admin:interop_patientmatchrequest_change", args=[queued.pk])
    )
    assert response.status_code == 200
    assert b"GENHOSP|H12345" in response.content
