"""Replaying a refused ADT message from its stored text."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditEvent
from apps.interop.models import AdtMessage, AdtStatus
from apps.interop.services import adt_message_replay, adt_receive
from apps.transitions.models import Episode, EpisodeStatus, Handoff
from tests import factories
from tests.interop.messages import adt


@pytest.fixture
def refused_cancel(interface, known_patient, nurse):
    """An A11 that arrived before the A13 it needed: refused AE, then the A13 comes."""
    adt_receive(actor=interface, raw=adt("A01", control_id="R1"))
    adt_receive(
        actor=interface,
        raw=adt("A03", control_id="R2", discharged_at=timezone.now(), disposition="01"),
    )
    refused = adt_receive(actor=interface, raw=adt("A11", control_id="R3"))
    assert refused.ack_code == "AE"
    return AdtMessage.objects.get(pk=refused.message_id)


def staff_with_replay_right(organisation, username="interfaces"):
    return factories.make_staff(
        organisation,
        Permission.objects.filter(content_type__app_label="interop", codename="change_adtmessage"),
        username=username,
    )


def test_a_refused_message_replayed_once_its_cause_is_fixed_is_applied(
    interface, refused_cancel, organisation
):
    adt_receive(actor=interface, raw=adt("A13", control_id="R4"))  # the discharge is cancelled
    admin = staff_with_replay_right(organisation)

    replayed = adt_message_replay(actor=admin, message=refused_cancel)

    assert replayed.status == AdtStatus.APPLIED
    assert replayed.applied_at is not None
    assert replayed.ack_code == "AE"  # what the sender was told stays on record
    assert replayed.ack_text.startswith("Replayed")
    assert Episode.objects.get().status == EpisodeStatus.CANCELLED
    event = AuditEvent.objects.filter(object_id=str(replayed.pk), action=AuditAction.UPDATE).get()
    assert (event.actor, event.detail) == (
        admin,
        {"replay": True, "from": AdtStatus.ERROR, "to": AdtStatus.APPLIED},
    )


def test_a_message_still_refused_on_replay_stays_refused_and_changes_nothing(
    refused_cancel, organisation
):
    admin = staff_with_replay_right(organisation)
    handoffs = list(Handoff.objects.values_list("pk", "cancelled_at"))

    replayed = adt_message_replay(actor=admin, message=refused_cancel)

    assert replayed.status == AdtStatus.ERROR
    assert "still refused" in replayed.ack_text
    assert "cancel the discharge first" in replayed.ack_text
    assert list(Handoff.objects.values_list("pk", "cancelled_at")) == handoffs
    assert Episode.objects.get().status != EpisodeStatus.CANCELLED


def test_an_applied_message_is_not_replayed(interface, known_patient, org_admin):
    applied = AdtMessage.objects.get(
        pk=adt_receive(actor=interface, raw=adt("A01", control_id="A1")).message_id
    )
    with pytest.raises(ApplicationError, match="Only refused messages"):
        adt_message_replay(actor=org_admin, message=applied)
    assert Episode.objects.count() == 1


@pytest.mark.parametrize("who", ["nurse", "staff_without_right", "staff_elsewhere", "interface"])
def test_only_the_organisations_admins_replay(request, who, refused_cancel, organisation, nurse):
    if who == "nurse":
        actor = nurse
    elif who == "staff_without_right":
        actor = factories.make_user(organisation, is_staff=True)
    elif who == "staff_elsewhere":
        actor = staff_with_replay_right(factories.make_organisation(), username="elsewhere")
    else:
        actor = request.getfixturevalue("interface")
    with pytest.raises(PermissionDenied):
        adt_message_replay(actor=actor, message=refused_cancel)
    refused_cancel.refresh_from_db()
    assert refused_cancel.status == AdtStatus.ERROR
    assert not AuditEvent.objects.filter(
        object_id=str(refused_cancel.pk), action=AuditAction.UPDATE
    ).exists()


def test_the_admin_action_replays_and_says_what_happened(
    client_for, interface, refused_cancel, organisation
):
    adt_receive(actor=interface, raw=adt("A13", control_id="R4"))
    admin = staff_with_replay_right(organisation)
    admin.user_permissions.add(
        Permission.objects.get(content_type__app_label="interop", codename="view_adtmessage")
    )

    response = client_for(admin).post(
        "/admin/interop/adtmessage/",
        {"action": "replay", "_selected_action": [refused_cancel.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Replayed: 1 applied." in response.content.decode()
    refused_cancel.refresh_from_db()
    assert refused_cancel.status == AdtStatus.APPLIED
