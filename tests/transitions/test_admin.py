from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditEvent
from apps.interop.models import AdtMessage
from apps.interop.services import adt_receive
from apps.transitions.models import TransitionSettings
from apps.transitions.selectors import transition_settings_for
from apps.transitions.services.settings import transition_settings_update
from tests import factories
from tests.interop.messages import adt
from tests.transitions.factories import discharged_home


def test_admin_saves_settings_through_the_service_and_audits(client_for, org_admin, organisation):
    config = transition_settings_for(organisation)
    response = client_for(org_admin).post(
        f"/admin/transitions/transitionsettings/{config.pk}/change/",
        {
            "contact_business_days": 3,
            "visit_days_high": 7,
            "visit_days_moderate": 14,
            "default_complexity": "high",
            "due_time": "16:00",
            "readmission_window_days": 30,
            "base_handoff_failure": "0.020",
            "weight_summary_missing": "0.120",
            "weight_reconciliation_missing": "0.200",
            "weight_verification_missing": "0.060",
            "weight_follow_up_not_booked": "0.100",
            "weight_teach_back_missing": "0.080",
            "weight_plan_review_missing": "0.040",
        },
    )
    assert response.status_code == 302
    config.refresh_from_db()
    assert (config.contact_business_days, config.weight_reconciliation_missing) == (
        3,
        Decimal("0.200"),
    )
    event = AuditEvent.objects.get(object_type="transitions.transitionsettings")
    assert set(event.detail["fields"]) == {
        "contact_business_days",
        "due_time",
        "weight_reconciliation_missing",
    }


def test_settings_service_refuses_nonsense_and_non_admins(organisation, org_admin, nurse):
    config = transition_settings_for(organisation)
    with pytest.raises(ApplicationError):
        transition_settings_update(actor=org_admin, settings=config, weight_summary_missing=2)
    with pytest.raises(ApplicationError):
        transition_settings_update(actor=org_admin, settings=config, visit_days_high=20)
    with pytest.raises(PermissionDenied):
        transition_settings_update(actor=nurse, settings=config, contact_business_days=5)
    config.refresh_from_db()
    assert config.contact_business_days == 2


def test_admin_episode_page_is_read_only_and_audited(client_for, org_admin, patient, nurse):
    handoff = discharged_home(patient)
    client = client_for(org_admin)
    response = client.get(f"/admin/transitions/episode/{handoff.episode_id}/change/")
    assert response.status_code == 200
    assert AuditEvent.objects.filter(
        actor=org_admin, action=AuditAction.VIEW, object_type="transitions.episode"
    ).exists()
    assert client.get("/admin/transitions/episode/add/").status_code == 403


def test_admin_opening_an_adt_message_audits_the_raw_read(client_for, org_admin, organisation):
    interface = factories.make_user(organisation, is_interface=True)
    result = adt_receive(actor=interface, raw=adt("A01", control_id="ADM1"))
    response = client_for(org_admin).get(f"/admin/interop/adtmessage/{result.message_id}/change/")
    assert response.status_code == 200
    assert AuditEvent.objects.filter(
        actor=org_admin, action=AuditAction.VIEW, object_type="interop.adtmessage"
    ).exists()
    assert AdtMessage.objects.count() == 1


def test_admin_episode_list_is_an_audited_read_of_the_listed_patients(
    client_for, org_admin, patient, nurse
):
    episode = discharged_home(patient).episode
    response = client_for(org_admin).get("/admin/transitions/episode/")
    assert response.status_code == 200
    listed = AuditEvent.objects.get(action=AuditAction.LIST, object_type="transitions.episode")
    assert (listed.actor, listed.patient_ids) == (org_admin, [episode.patient_id])


@pytest.mark.parametrize("value", ["1", "1.000", "-0.010", "2"])
def test_settings_service_refuses_a_failure_probability_outside_zero_to_one(
    organisation, org_admin, value
):
    config = transition_settings_for(organisation)
    with pytest.raises(ApplicationError) as refused:
        transition_settings_update(
            actor=org_admin, settings=config, base_handoff_failure=Decimal(value)
        )
    assert "base_handoff_failure" in refused.value.field_errors
    config.refresh_from_db()
    assert config.base_handoff_failure == Decimal("0.020")


@pytest.mark.parametrize("value", ["1", "-0.001"])
def test_database_refuses_a_failure_probability_outside_zero_to_one(organisation, value):
    config = transition_settings_for(organisation)
    with pytest.raises(IntegrityError), transaction.atomic():
        TransitionSettings.objects.filter(pk=config.pk).update(
            weight_reconciliation_missing=Decimal(value)
        )
    config.refresh_from_db()
    assert config.weight_reconciliation_missing == Decimal("0.150")
