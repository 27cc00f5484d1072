from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from apps.accounts.models import Role
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditEvent
from apps.referrals import services
from apps.referrals.models import (
    Referral,
    ReferralEvent,
    ReferralEventKind,
    ReferralState,
    ResourceService,
)
from tests import factories
from tests.referrals.factories import make_partner, make_referral, make_service

S = ReferralState


def test_create_drafts_a_referral_with_one_owner_timers_a_timeline_and_an_audit(
    patient, nurse, chw, food_service
):
    referral = services.referral_create(
        actor=nurse,
        patient=patient,
        service=food_service,
        reason="  Food insecurity on screening ",
        owner=chw,
        consent_given=True,
        consent_method="verbal",
    )
    referral.refresh_from_db()
    assert referral.state == S.DRAFT
    assert referral.reason == "Food insecurity on screening"
    assert (referral.owner, referral.referred_by, referral.created_by) == (chw, nurse, nurse)
    assert referral.consent_recorded_by == nurse
    assert referral.consent_recorded_at is not None
    assert referral.remind_at > referral.state_entered_at
    assert referral.escalate_at > referral.remind_at
    kinds = list(referral.events.values_list("kind", flat=True))
    assert kinds == [ReferralEventKind.CREATED, ReferralEventKind.CONSENT_RECORDED]
    audit = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="referrals.referral")
    assert audit.patient_id == patient.pk
    assert "Food" not in str(audit.detail)


def test_a_referral_to_a_specialist_is_told_apart_from_a_community_service(
    patient, nurse, cardiology, food_service
):
    to_specialist = make_referral(patient, actor=nurse, service=cardiology)
    to_community = make_referral(patient, actor=nurse, service=food_service)
    assert to_specialist.target_kind == "specialist"
    assert to_community.target_kind == "community service"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": "   "}, "reason"),
        ({"urgency": "whenever"}, "urgency"),
        ({"service": None}, "service"),
        ({"consent_given": True, "consent_method": ""}, "consent_method"),
    ],
)
def test_create_refuses_bad_input_with_a_field_message_and_writes_nothing(
    change, field, patient, nurse, food_service
):
    values = {
        "patient": patient,
        "service": food_service,
        "reason": "Needs food",
        "owner": nurse,
    }
    values.update(change)
    with pytest.raises(ApplicationError) as error:
        services.referral_create(actor=nurse, **values)
    assert field in error.value.field_errors
    assert not Referral.objects.exists()
    assert not ReferralEvent.objects.exists()


def test_the_owner_must_be_on_the_patients_care_team(patient, nurse, outsider, food_service):
    with pytest.raises(ApplicationError) as error:
        services.referral_create(
            actor=nurse, patient=patient, service=food_service, reason="x", owner=outsider
        )
    assert "owner" in error.value.field_errors
    assert not Referral.objects.exists()


def test_a_service_of_another_organisations_directory_or_an_inactive_one_is_refused(
    patient, nurse, org_admin, food_service
):
    elsewhere = factories.make_organisation()
    admin_elsewhere = factories.make_user(elsewhere, is_staff=True, is_superuser=True)
    foreign = make_service(elsewhere, actor=admin_elsewhere)
    with pytest.raises(ApplicationError) as error:
        services.referral_create(
            actor=nurse, patient=patient, service=foreign, reason="x", owner=nurse
        )
    assert error.value.field_errors["service"] == [
        "Choose a service from your organisation's directory."
    ]
    services.resource_service_update(actor=org_admin, service=food_service, is_active=False)
    food_service.refresh_from_db()
    with pytest.raises(ApplicationError) as error:
        services.referral_create(
            actor=nurse, patient=patient, service=food_service, reason="x", owner=nurse
        )
    assert "no longer offered" in error.value.field_errors["service"][0]


@pytest.mark.parametrize("role", [Role.PHARMACIST, Role.SPECIALIST, Role.BEHAVIORAL_HEALTH])
def test_roles_without_manage_referrals_cannot_refer(role, team, patient, nurse, food_service):
    member = factories.make_member(team, role)
    with pytest.raises(PermissionDenied):
        services.referral_create(
            actor=member, patient=patient, service=food_service, reason="x", owner=nurse
        )
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    "role", [Role.PCP, Role.RN_CARE_COORDINATOR, Role.SOCIAL_WORKER, Role.CHW, Role.NAVIGATOR]
)
def test_roles_with_manage_referrals_can_refer(role, team, patient, food_service):
    member = factories.make_member(team, role)
    referral = services.referral_create(
        actor=member, patient=patient, service=food_service, reason="x", owner=member
    )
    assert referral.referred_by == member


def test_a_non_member_cannot_refer(patient, outsider, nurse, food_service):
    with pytest.raises(PermissionDenied):
        services.referral_create(
            actor=outsider, patient=patient, service=food_service, reason="x", owner=nurse
        )


def test_the_owner_may_move_their_referral_even_without_manage_referrals(
    team, patient, nurse, food_service
):
    pharmacist = factories.make_member(team, Role.PHARMACIST)
    referral = make_referral(
        patient, actor=nurse, service=food_service, owner=pharmacist, state=S.SENT
    )
    moved = services.referral_transition(actor=pharmacist, referral=referral, to_state=S.RECEIVED)
    assert moved.state == S.RECEIVED
    other = factories.make_member(team, Role.PHARMACIST)
    with pytest.raises(PermissionDenied):
        services.referral_transition(actor=other, referral=moved, to_state=S.SCHEDULED)
    assert Referral.objects.get(pk=referral.pk).state == S.RECEIVED


def test_an_outsider_cannot_move_a_referral(referral, outsider):
    with pytest.raises(PermissionDenied):
        services.referral_transition(actor=outsider, referral=referral, to_state=S.CANCELLED)
    assert Referral.objects.get(pk=referral.pk).state == S.DRAFT


def test_a_stale_copy_cannot_move_a_referral_twice(patient, nurse, food_service):
    referral = make_referral(patient, actor=nurse, service=food_service, state=S.SENT)
    stale = Referral.objects.get(pk=referral.pk)
    services.referral_transition(actor=nurse, referral=referral, to_state=S.RECEIVED)
    with pytest.raises(ApplicationError):
        services.referral_transition(actor=nurse, referral=stale, to_state=S.RECEIVED)
    assert referral.events.filter(to_state=S.RECEIVED).count() == 1


def test_scheduling_with_an_appointment_counts_the_limits_from_the_appointment(
    patient, nurse, food_service
):
    referral = make_referral(patient, actor=nurse, service=food_service, state=S.RECEIVED)
    appointment = timezone.now() + timedelta(days=30)
    scheduled = services.referral_transition(
        actor=nurse, referral=referral, to_state=S.SCHEDULED, appointment_at=appointment
    )
    assert scheduled.appointment_at == appointment
    assert scheduled.remind_at > appointment
    back = services.referral_transition(
        actor=nurse, referral=scheduled, to_state=S.RECEIVED, reason="Clinic cancelled"
    )
    assert back.appointment_at is None
    assert back.state_reason == "Clinic cancelled"


def test_consent_is_recorded_only_before_sending(referral, social_worker):
    withdrawn = services.referral_record_consent(
        actor=social_worker, referral=referral, consent_given=False
    )
    assert not withdrawn.consent_given
    assert withdrawn.consent_recorded_at is None
    given = services.referral_record_consent(
        actor=social_worker, referral=referral, consent_given=True, consent_method="written"
    )
    assert given.consent_method == "written"
    assert given.consent_recorded_by == social_worker
    sent = services.referral_transition(actor=social_worker, referral=given, to_state=S.SENT)
    with pytest.raises(ApplicationError):
        services.referral_record_consent(actor=social_worker, referral=sent, consent_given=False)
    assert Referral.objects.get(pk=referral.pk).consent_given


def test_a_draft_can_be_edited_but_what_was_sent_stands(referral, nurse, cardiology):
    edited = services.referral_update(
        actor=nurse, referral=referral, reason="Chest pain on exertion", service=cardiology
    )
    assert edited.service == cardiology
    assert edited.events.filter(kind=ReferralEventKind.UPDATED).get().detail == {
        "fields": ["reason", "service"]
    }
    sent = services.referral_transition(actor=nurse, referral=edited, to_state=S.SENT)
    with pytest.raises(ApplicationError) as error:
        services.referral_update(actor=nurse, referral=sent, reason="Something else")
    assert "reason" in error.value.field_errors
    assert Referral.objects.get(pk=referral.pk).reason == "Chest pain on exertion"


def test_raising_the_urgency_of_a_draft_brings_its_limits_forward(referral, nurse):
    routine_reminder = referral.remind_at
    urgent = services.referral_update(actor=nurse, referral=referral, urgency="asap")
    assert urgent.remind_at <= routine_reminder


def test_reassigning_needs_a_reason_and_a_team_member_and_keeps_the_history(
    referral, nurse, chw, social_worker, outsider
):
    with pytest.raises(ApplicationError) as error:
        services.referral_reassign(actor=nurse, referral=referral, owner=chw, reason=" ")
    assert "reason" in error.value.field_errors
    with pytest.raises(ApplicationError):
        services.referral_reassign(actor=nurse, referral=referral, owner=outsider, reason="x")
    moved = services.referral_reassign(
        actor=nurse, referral=referral, owner=chw, reason="CHW knows the food bank"
    )
    assert moved.owner == chw
    event = moved.events.get(kind=ReferralEventKind.REASSIGNED)
    assert event.detail == {
        "fields": ["owner"],
        "from_owner_id": social_worker.pk,
        "to_owner_id": chw.pk,
    }
    assert event.note == "CHW knows the food bank"


def test_directory_is_kept_by_coordinators_and_admins_only(
    organisation, team, nurse, pcp, chw, org_admin
):
    partner = make_partner(organisation, actor=chw, name="Harbor Housing")
    service = services.resource_service_create(
        actor=nurse,
        resource_organisation=partner,
        name="Rapid rehousing",
        service_type="housing",
        languages="English, Haitian Creole",
    )
    with pytest.raises(PermissionDenied):
        services.resource_service_update(actor=pcp, service=service, name="Renamed")
    with pytest.raises(PermissionDenied):
        make_partner(organisation, actor=pcp)
    updated = services.resource_service_update(actor=org_admin, service=service, hours="Mon 9-12")
    assert updated.hours == "Mon 9-12"
    assert ResourceService.objects.get(pk=service.pk).name == "Rapid rehousing"


def test_a_coordinator_cannot_edit_another_organisations_directory(organisation, nurse):
    elsewhere = factories.make_organisation()
    admin_elsewhere = factories.make_user(elsewhere, is_staff=True, is_superuser=True)
    foreign = make_partner(elsewhere, actor=admin_elsewhere, name="Far away")
    with pytest.raises(PermissionDenied):
        services.resource_organisation_update(
            actor=nurse, resource_organisation=foreign, name="Mine now"
        )


def test_a_duplicate_name_in_the_directory_is_a_field_error(organisation, org_admin, food_service):
    with pytest.raises(ApplicationError) as error:
        services.resource_service_create(
            actor=org_admin,
            resource_organisation=food_service.resource_organisation,
            name="Weekly food boxes",
            service_type="food",
        )
    assert "name" in error.value.field_errors


def test_a_referral_may_serve_a_goal_of_the_patients_current_care_plan(
    patient, other_patient, nurse, outsider, food_service
):
    from tests.careplans.factories import make_goal, make_plan

    goal = make_goal(make_plan(patient, nurse), nurse, description="Eat regular meals")
    referral = services.referral_create(
        actor=nurse, patient=patient, service=food_service, reason="x", owner=nurse, goal=goal
    )
    assert referral.goal == goal
    assert list(goal.referrals.all()) == [referral]

    foreign_goal = make_goal(make_plan(other_patient, outsider), outsider)
    with pytest.raises(ApplicationError) as error:
        services.referral_create(
            actor=nurse,
            patient=patient,
            service=food_service,
            reason="x",
            owner=nurse,
            goal=foreign_goal,
        )
    assert error.value.field_errors["goal"] == ["Choose a goal of this patient's care plan."]
    with pytest.raises(ApplicationError):
        services.referral_update(actor=nurse, referral=referral, goal=foreign_goal)
    assert Referral.objects.get(pk=referral.pk).goal == goal
    unlinked = services.referral_update(actor=nurse, referral=referral, goal=None)
    assert unlinked.goal is None
