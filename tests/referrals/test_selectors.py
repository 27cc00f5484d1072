from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.exceptions import NotFoundError
from apps.core.models import AuditAction, AuditEvent
from apps.referrals import selectors, services
from apps.referrals.models import ReferralState, ServiceType
from tests import factories
from tests.referrals.factories import make_partner, make_referral, make_service

S = ReferralState
NEW_YORK = ZoneInfo("America/New_York")


def test_the_board_lists_overdue_loops_first_then_the_longest_waiting(
    patient, nurse, social_worker, food_service
):
    with time_machine.travel(datetime(2026, 10, 1, 9, tzinfo=NEW_YORK), tick=False):
        old_sent = make_referral(patient, actor=nurse, service=food_service, state=S.SENT)
    with time_machine.travel(datetime(2026, 11, 2, 9, tzinfo=NEW_YORK), tick=False):
        old_draft = make_referral(patient, actor=nurse, service=food_service)
    with time_machine.travel(datetime(2026, 11, 9, 9, tzinfo=NEW_YORK), tick=False):
        fresh = make_referral(patient, actor=nurse, service=food_service)
        closed = make_referral(patient, actor=nurse, service=food_service, state=S.CLOSED)
    with time_machine.travel(datetime(2026, 11, 4, 9, tzinfo=NEW_YORK), tick=False):
        slightly_late = make_referral(patient, actor=nurse, service=food_service)
    with time_machine.travel(datetime(2026, 11, 9, 12, tzinfo=NEW_YORK), tick=False):
        page = selectors.referral_board_for_user(user=social_worker)
    order = [referral.pk for referral in page.referrals]
    # Escalation due (old sent, old draft), then reminder due, then the rest.
    assert order == [old_sent.pk, old_draft.pk, slightly_late.pk, fresh.pk]
    assert closed.pk not in order
    assert [r.overdue_level for r in page.referrals] == [2, 2, 1, 0]
    draft_row = next(row for row in page.summary if row.state == S.DRAFT)
    assert (draft_row.total, draft_row.overdue, draft_row.by_age) == (3, 2, [2, 1, 0])
    sent_row = next(row for row in page.summary if row.state == S.SENT)
    assert (sent_row.total, sent_row.by_age) == (1, [0, 0, 1])


def test_the_board_filters_by_state_owner_and_overdue(patient, nurse, chw, food_service):
    mine = make_referral(patient, actor=nurse, service=food_service, owner=chw)
    make_referral(patient, actor=nurse, service=food_service, owner=nurse, state=S.SENT)
    assert [r.pk for r in selectors.referral_board_for_user(user=chw, mine=True).referrals] == [
        mine.pk
    ]
    sent = selectors.referral_board_for_user(user=chw, state=S.SENT)
    assert [r.state for r in sent.referrals] == [S.SENT]
    assert selectors.referral_board_for_user(user=chw, overdue_only=True).total == 0


def test_the_board_shows_only_the_users_teams_and_audits_the_patients_listed(
    patient, other_patient, nurse, outsider, food_service
):
    make_referral(patient, actor=nurse, service=food_service)
    theirs = make_referral(other_patient, actor=outsider, service=food_service)
    page = selectors.referral_board_for_user(user=outsider)
    assert [r.pk for r in page.referrals] == [theirs.pk]
    audit = AuditEvent.objects.filter(action=AuditAction.LIST, actor=outsider).latest("id")
    assert audit.patient_ids == [other_patient.pk]


def _board_queries(user) -> int:
    with CaptureQueriesContext(connection) as captured:
        page = selectors.referral_board_for_user(user=user)
        for referral in page.referrals:
            str(referral.service.resource_organisation.name)
            str(referral.owner.display_name)
            str(referral.patient.family_name)
    return len(captured)


def test_the_board_query_count_does_not_grow_with_the_number_of_referrals(
    team, patient, nurse, org_admin, food_service
):
    make_referral(patient, actor=nurse, service=food_service)
    small = _board_queries(nurse)
    for number in range(12):
        other = factories.make_patient(team, actor=org_admin)
        service = make_service(patient.organisation, actor=org_admin)
        make_referral(other, actor=nurse, service=service, state=[S.DRAFT, S.SENT][number % 2])
    assert _board_queries(nurse) == small
    assert small <= 6


def test_a_referral_of_a_patient_on_another_team_is_not_found_and_the_attempt_audited(
    referral, outsider
):
    with pytest.raises(NotFoundError):
        selectors.referral_get_for_user(user=outsider, referral_id=referral.pk)
    denied = AuditEvent.objects.get(action=AuditAction.DENIED, actor=outsider)
    assert denied.patient_id == referral.patient_id
    with pytest.raises(NotFoundError):
        selectors.referral_get_for_user(user=outsider, referral_id=999999)
    with pytest.raises(NotFoundError):
        selectors.referral_get_for_user(user=outsider, referral_id="abc")


def test_reading_a_referral_is_audited_with_its_patient(referral, pharmacist):
    found = selectors.referral_get_for_user(user=pharmacist, referral_id=referral.pk)
    assert found.pk == referral.pk
    view = AuditEvent.objects.get(action=AuditAction.VIEW, actor=pharmacist)
    assert (view.object_id, view.patient_id) == (str(referral.pk), referral.patient_id)


def test_a_patients_referrals_come_with_their_timelines_in_two_queries(
    patient, nurse, food_service, django_assert_num_queries
):
    for state in (S.DRAFT, S.SENT, S.CLOSED):
        make_referral(patient, actor=nurse, service=food_service, state=state)
    with django_assert_num_queries(3):  # referrals, timelines, audit
        referrals = selectors.referral_list_for_patient(user=nurse, patient=patient)
        timelines = [len(referral.events.all()) for referral in referrals]
    assert timelines == [7, 3, 2]


def test_measures_give_closure_rate_median_days_and_none_closed_without_result(
    organisation, patient, nurse, org_admin, food_service
):
    housing = make_service(
        organisation,
        actor=org_admin,
        partner=make_partner(organisation, actor=org_admin, name="Harbor Housing"),
        service_type=ServiceType.HOUSING,
    )
    start = datetime(2026, 11, 2, 9, tzinfo=NEW_YORK)
    for days, service in ((2, food_service), (4, food_service), (9, housing)):
        with time_machine.travel(start, tick=False):
            referral = make_referral(patient, actor=nurse, service=service, state=S.COMPLETED)
        with time_machine.travel(start + timedelta(days=days), tick=False):
            services.referral_transition(
                actor=nurse,
                referral=referral,
                to_state=S.CLOSED,
                result_summary="Done",
                result_reported_by="Partner",
            )
    make_referral(patient, actor=nurse, service=food_service, state=S.DECLINED)
    make_referral(patient, actor=nurse, service=food_service, state=S.SENT)
    make_referral(patient, actor=nurse, service=food_service)  # never sent: not counted
    measures = selectors.referral_measures_for_user(user=nurse)
    overall = measures.overall
    assert (overall.sent, overall.closed, overall.ended_otherwise, overall.still_open) == (
        5,
        3,
        1,
        1,
    )
    assert overall.closure_rate == pytest.approx(0.6)
    assert overall.median_days_to_close == 4.0
    assert overall.closed_without_result == 0
    assert overall.share_closed_without_result == 0
    food = next(row for row in measures.by_service_type if row.key == ServiceType.FOOD)
    assert (food.sent, food.closed, food.median_days_to_close) == (4, 2, 3.0)
    by_partner = {row.label: row for row in measures.by_organisation}
    assert by_partner["Harbor Housing"].closure_rate == 1.0
    assert by_partner["Riverside Food Bank"].closure_rate == 0.5


def test_measures_count_only_the_users_teams(patient, other_patient, nurse, outsider, food_service):
    make_referral(other_patient, actor=outsider, service=food_service, state=S.SENT)
    assert selectors.referral_measures_for_user(user=nurse).overall.sent == 0
    assert selectors.referral_measures_for_user(user=outsider).overall.sent == 1


@pytest.mark.parametrize(
    ("query", "filters", "expected"),
    [
        ("food", {}, ["Weekly food boxes"]),
        ("spanish riverside", {}, ["Weekly food boxes"]),
        ("general", {}, ["Cardiology clinic"]),
        ("specialist", {}, ["Cardiology clinic"]),
        ("", {"service_type": ServiceType.SPECIALIST}, ["Cardiology clinic"]),
        ("", {"language": "spanish"}, ["Weekly food boxes"]),
        ("income", {}, ["Weekly food boxes"]),
        ("nothing-like-this", {}, []),
    ],
)
def test_the_directory_search_matches_every_word_across_its_fields(
    query, filters, expected, nurse, food_service, cardiology
):
    found = selectors.resource_service_search(user=nurse, query=query, **filters)
    assert [service.name for service in found] == expected


def test_the_directory_shows_only_the_users_organisation_and_hides_inactive_entries(
    nurse, org_admin, food_service
):
    elsewhere = factories.make_organisation()
    admin_elsewhere = factories.make_user(elsewhere, is_staff=True, is_superuser=True)
    make_service(elsewhere, actor=admin_elsewhere, name="Far food bank")
    services.resource_service_update(actor=org_admin, service=food_service, is_active=False)
    assert list(selectors.resource_service_search(user=nurse)) == []
    assert [
        s.name for s in selectors.resource_service_search(user=nurse, include_inactive=True)
    ] == ["Weekly food boxes"]
