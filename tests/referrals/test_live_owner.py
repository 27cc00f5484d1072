"""A referral's owner follows the one rule for who may own work, as a task's does."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from apps.core.exceptions import ApplicationError
from apps.referrals import selectors, services
from apps.referrals.models import Referral, ReferralState, ReferralTimeLimit
from apps.referrals.services.sweep import referral_reminder_sweep
from apps.tasks.models import Notification
from apps.tasks.services import task_owner_validate
from apps.teams.services import user_deactivate
from tests import factories
from tests.referrals.factories import SWEEPER, make_referral


def test_referral_refuses_deactivated_owner_like_a_task(
    patient, nurse, social_worker, org_admin, food_service
):
    user_deactivate(actor=org_admin, user=social_worker, reason="Left")
    with pytest.raises(ApplicationError) as task_refusal:
        task_owner_validate(patient=patient, user=social_worker)
    with pytest.raises(ApplicationError) as referral_refusal:
        make_referral(patient, actor=nurse, service=food_service, owner=social_worker)
    assert referral_refusal.value.field_errors == task_refusal.value.field_errors
    assert not Referral.objects.exists()


def test_referral_reassignment_refuses_a_deactivated_owner(
    referral, nurse, chw, org_admin, social_worker
):
    user_deactivate(actor=org_admin, user=chw, reason="Left")
    with pytest.raises(ApplicationError) as error:
        services.referral_reassign(actor=nurse, referral=referral, owner=chw, reason="Cover")
    assert "owner" in error.value.field_errors
    referral.refresh_from_db()
    assert referral.owner == social_worker


def test_referral_owner_choices_list_only_live_members(
    team, patient, nurse, social_worker, org_admin
):
    interface = factories.make_user(team.organisation, is_interface=True)
    factories.make_member(team, user=interface)
    user_deactivate(actor=org_admin, user=social_worker, reason="Left")
    choices = set(selectors.team_users_for_patient(patient=patient))
    assert nurse in choices
    assert social_worker not in choices
    assert interface not in choices


def test_a_deactivated_referral_owner_is_not_reminded_the_lead_is(
    organisation, patient, nurse, social_worker, org_admin, food_service
):
    services.referral_settings_get(organisation=organisation)
    limit = ReferralTimeLimit.objects.get(
        settings__organisation=organisation, state=ReferralState.SENT, urgency="routine"
    )
    services.referral_time_limit_update(
        actor=org_admin, limit=limit, remind_after=2, escalate_after=4
    )
    new_york = ZoneInfo("America/New_York")
    with time_machine.travel(datetime(2026, 11, 6, 10, tzinfo=new_york), tick=False):
        referral = make_referral(
            patient, actor=nurse, service=food_service, owner=social_worker, state="sent"
        )
    user_deactivate(actor=org_admin, user=social_worker, reason="Left")
    with time_machine.travel(datetime(2026, 11, 10, 10, tzinfo=new_york), tick=False):
        assert referral_reminder_sweep(actor=SWEEPER).reminders == 1
    [reminder] = Notification.objects.filter(idempotency_key__startswith=f"referral:{referral.pk}:")
    assert reminder.recipient == nurse
