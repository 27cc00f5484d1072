"""The clinician who made a referral is told when its result is back."""

from apps.referrals import services
from apps.referrals.models import ReferralState as S
from apps.tasks.models import Notification, NotificationKind
from tests.referrals.factories import PATH_TO, RESULT, make_referral, make_service, move_along


def test_closing_the_loop_with_a_result_tells_the_referring_clinician_once(
    organisation, nurse, pcp, patient
):
    service = make_service(organisation, actor=nurse, name="Cardiology clinic")
    referral = services.referral_create(
        actor=nurse,
        patient=patient,
        service=service,
        reason="Chest pain on exertion",
        owner=nurse,
        referred_by=pcp,
        consent_given=True,
        consent_method="verbal",
    )
    referral = move_along(referral, actor=nurse, path=PATH_TO[S.COMPLETED])
    assert not Notification.objects.filter(recipient=pcp).exists()

    services.referral_transition(actor=nurse, referral=referral, to_state=S.CLOSED, **RESULT)

    told = Notification.objects.get(recipient=pcp, kind=NotificationKind.REFERRAL_RESULT)
    assert told.link == f"/referrals/{referral.pk}/"
    assert told.patient_id == patient.pk
    assert told.kind_label == "Referral result back"
    # No result text and no patient name in what may be emailed.
    assert patient.family_name not in told.subject + told.body
    assert RESULT["result_summary"] not in told.subject + told.body


def test_a_referrer_who_documents_the_result_themselves_is_not_told(organisation, nurse, patient):
    service = make_service(organisation, actor=nurse)
    make_referral(patient, actor=nurse, service=service, state=S.CLOSED)
    assert not Notification.objects.filter(kind=NotificationKind.REFERRAL_RESULT).exists()
