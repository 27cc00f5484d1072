"""Measures on a small generated population whose figures are known."""

import itertools
import random
from collections import Counter
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.careplans import selectors as careplan_selectors
from apps.careplans.models import CarePlanVersion
from apps.careplans.services import care_plan_sign
from apps.measures import selectors
from apps.patients.models import Encounter, EncounterKind, Patient
from apps.referrals.models import (
    Referral,
    ReferralEvent,
    ReferralEventKind,
    ReferralState,
    ServiceType,
)
from apps.teams.models import CareTeam
from apps.transitions.models import FollowUp
from apps.transitions.services import (
    medication_line_add,
    reconciliation_complete,
    reconciliation_start,
    reconciliation_verify,
)
from tests import factories
from tests.careplans import factories as careplan_factories
from tests.referrals import factories as referral_factories
from tests.tasks import factories as task_factories
from tests.transitions.factories import admit, discharged_home, record_contact

pytestmark = pytest.mark.django_db
DAYS = 60


def _period() -> selectors.Period:
    today = timezone.localdate()
    return selectors.Period(start=today - timedelta(days=DAYS), end=today)


def _figures(user: User, **scope: object) -> dict[str, selectors.Figure]:
    chosen = selectors.measure_scope_for_user(user=user, **scope)  # type: ignore[arg-type]
    return {f.code: f for f in selectors.measure_figures(scope=chosen, period=_period())}


def _follow_up(patient: Patient) -> FollowUp:
    return FollowUp.objects.filter(episode__patient=patient).latest("discharged_at")


def test_full_team_counts_patients_whose_team_has_a_lead_rn_pcp_and_social_worker(
    team: CareTeam, other_team: CareTeam, nurse: User, pcp: User, social_worker: User
) -> None:
    factories.make_patient(team)
    factories.make_patient(team)
    # The other team has a lead nurse and a PCP, but no social worker or CHW.
    lead = factories.make_member(other_team, Role.RN_CARE_COORDINATOR, is_lead=True)
    factories.make_member(other_team, Role.PCP, user=nurse)
    factories.make_patient(other_team)
    mine = _figures(nurse)["full-team"]
    assert (mine.numerator, mine.denominator, mine.rate) == (2, 3, 66.7)
    assert _figures(lead)["full-team"].numerator == 0
    assert _figures(lead)["full-team"].denominator == 1


def test_a_deactivated_lead_leaves_the_team_not_full(
    team: CareTeam, nurse: User, pcp: User, chw: User
) -> None:
    factories.make_patient(team)
    assert _figures(pcp)["full-team"].numerator == 1
    User.objects.filter(pk=nurse.pk).update(is_active=False)
    assert _figures(pcp)["full-team"].numerator == 0


def test_contact_within_two_business_days_counts_only_documented_reached_contacts_in_time(
    team: CareTeam, nurse: User, pcp: User
) -> None:
    now = timezone.now()
    reached, late, undocumented, not_reached = (factories.make_patient(team) for _ in range(4))
    for patient in (reached, late, undocumented, not_reached):
        discharged_home(patient, at=now - timedelta(days=20))
    record_contact(nurse, _follow_up(reached), at=now - timedelta(days=20) + timedelta(hours=2))
    record_contact(nurse, _follow_up(late), at=now - timedelta(days=10))
    record_contact(
        nurse,
        _follow_up(not_reached),
        at=now - timedelta(days=19),
        outcome="not_reached",
        attempts=3,
    )
    figure = _figures(nurse)["contact-2-business-days"]
    assert (figure.numerator, figure.denominator, figure.rate) == (1, 4, 25.0)


def test_a_discharge_whose_two_business_days_are_not_over_is_not_counted_yet(
    team: CareTeam, nurse: User
) -> None:
    discharged_home(factories.make_patient(team), at=timezone.now() - timedelta(hours=2))
    figure = _figures(nurse)["contact-2-business-days"]
    assert (figure.numerator, figure.denominator, figure.rate) == (0, 0, None)


def test_thirty_day_readmissions_among_discharges_home_whose_window_is_over(
    team: CareTeam, nurse: User
) -> None:
    now = timezone.now()
    readmitted, stayed_home, too_recent = (factories.make_patient(team) for _ in range(3))
    discharged_home(readmitted, at=now - timedelta(days=50))
    admit(readmitted, at=now - timedelta(days=45), visit_number="V2")
    discharged_home(stayed_home, at=now - timedelta(days=50))
    discharged_home(too_recent, at=now - timedelta(days=5))
    figure = _figures(nurse)["readmissions-30-days"]
    assert (figure.numerator, figure.denominator, figure.rate) == (1, 2, 50.0)


def test_emergency_visits_per_thousand_patient_months(team: CareTeam, nurse: User) -> None:
    frequent, never = factories.make_patient(team), factories.make_patient(team)
    today = timezone.localdate()
    Encounter.objects.bulk_create(
        [
            *(
                Encounter(patient=frequent, kind=EncounterKind.ED, admit_date=today - timedelta(d))
                for d in (1, 10, 30)
            ),
            Encounter(patient=frequent, kind=EncounterKind.ED, admit_date=today - timedelta(90)),
            Encounter(patient=never, kind=EncounterKind.OUTPATIENT, admit_date=today),
        ]
    )
    figure = _figures(nurse)["ed-visits-per-1000-patient-months"]
    patient_months = 2 * (DAYS + 1) / (365.25 / 12)
    assert figure.numerator == 3
    assert figure.denominator == round(patient_months, 1)
    assert figure.rate == round(3 / patient_months * 1000, 1)


def test_coordinator_scope_keeps_the_patients_they_lead_not_those_they_own_a_task_for(
    team: CareTeam, other_team: CareTeam, nurse: User, pcp: User
) -> None:
    factories.make_patient(team)
    other_lead = factories.make_member(other_team, Role.RN_CARE_COORDINATOR, is_lead=True)
    factories.make_member(other_team, Role.PCP, user=pcp)
    theirs = factories.make_patient(other_team)
    # The nurse owns work for the other team's patient; that patient's lead is someone else.
    factories.make_member(other_team, user=nurse)
    task_factories.make_task(theirs, owner=nurse)
    assert _figures(pcp)["full-team"].denominator == 2
    assert _figures(pcp, coordinator_id=nurse.pk)["full-team"].denominator == 1
    assert _figures(pcp, coordinator_id=other_lead.pk)["full-team"].denominator == 1


def test_coordinators_figures_add_up_to_their_teams(
    team: CareTeam, other_team: CareTeam, nurse: User, pcp: User
) -> None:
    other_lead = factories.make_member(other_team, is_lead=True)
    factories.make_member(other_team, user=pcp)
    for owner_team, count in ((team, 2), (other_team, 3)):
        for _ in range(count):
            patient = factories.make_patient(owner_team)
            Encounter.objects.create(
                patient=patient, kind=EncounterKind.ED, admit_date=timezone.localdate()
            )
    code = "ed-visits-per-1000-patient-months"
    whole = _figures(pcp)[code].numerator
    by_lead = [_figures(pcp, coordinator_id=who.pk)[code].numerator for who in (nurse, other_lead)]
    assert by_lead == [2, 3]
    assert sum(by_lead) == whole


def test_a_coordinator_not_leading_a_team_in_view_is_not_found(
    team: CareTeam, other_team: CareTeam, nurse: User, pcp: User
) -> None:
    from apps.core.exceptions import NotFoundError

    other_lead = factories.make_member(other_team, is_lead=True)
    plain_member = factories.make_member(team, Role.SOCIAL_WORKER)
    for coordinator in (other_lead, plain_member):
        with pytest.raises(NotFoundError):
            selectors.measure_scope_for_user(user=pcp, coordinator_id=coordinator.pk)


def test_a_coordinator_sees_their_own_figures(
    team: CareTeam, other_team: CareTeam, nurse: User
) -> None:
    factories.make_patient(team)
    factories.make_patient(other_team)
    scope = selectors.measure_scope_for_user(user=nurse, coordinator_id=nurse.pk)
    assert scope.team_ids == (team.pk,)
    assert _figures(nurse, coordinator_id=nurse.pk)["full-team"].denominator == 1


def test_a_team_the_user_is_not_on_is_not_found(
    team: CareTeam, other_team: CareTeam, nurse: User
) -> None:
    from apps.core.exceptions import NotFoundError

    with pytest.raises(NotFoundError):
        selectors.measure_scope_for_user(user=nurse, team_id=other_team.pk)


def test_organisation_scope_only_for_an_organisation_admin(
    team: CareTeam, other_team: CareTeam, nurse: User, org_admin: User
) -> None:
    assert not selectors.measure_scope_for_user(user=nurse).organisation_wide
    scope = selectors.measure_scope_for_user(user=org_admin)
    assert scope.organisation_wide
    assert set(scope.team_ids) == {team.pk, other_team.pk}


def _verified(patient: Patient, nurse: User, pharmacist: User, *, at: datetime) -> None:
    handoff = discharged_home(patient, at=at)
    reconciliation = reconciliation_start(actor=nurse, handoff=handoff)
    medication_line_add(
        actor=nurse,
        reconciliation=reconciliation,
        name="Lisinopril",
        on_pre_admission=True,
        pre_dose="10 mg",
        pre_route="oral",
        pre_frequency="daily",
        on_discharge=True,
        discharge_dose="10 mg",
        discharge_route="oral",
        discharge_frequency="daily",
    )
    reconciliation_complete(actor=nurse, reconciliation=reconciliation)
    reconciliation_verify(actor=pharmacist, reconciliation=reconciliation)


def test_reconciliation_verified_within_thirty_days_of_discharge(
    team: CareTeam, nurse: User, pharmacist: User
) -> None:
    now = timezone.now()
    in_time, late, never, recent = (factories.make_patient(team) for _ in range(4))
    _verified(in_time, nurse, pharmacist, at=now - timedelta(days=10))
    _verified(late, nurse, pharmacist, at=now - timedelta(days=40))  # verified today: day 40
    discharged_home(never, at=now - timedelta(days=40))
    discharged_home(recent, at=now - timedelta(days=5))  # its 30 days are not over
    figure = _figures(nurse)["reconciliation-30-days"]
    assert (figure.numerator, figure.denominator) == (1, 3)


def test_referrals_closed_within_their_limits(team: CareTeam, nurse: User, org_admin: User) -> None:
    partner = referral_factories.make_partner(team.organisation, actor=org_admin)
    service = referral_factories.make_service(
        team.organisation, actor=org_admin, partner=partner, service_type=ServiceType.FOOD
    )
    patient = factories.make_patient(team)

    def referral(state: str) -> Referral:
        return referral_factories.make_referral(patient, actor=nurse, service=service, state=state)

    referral(ReferralState.CLOSED)
    reminded = referral(ReferralState.CLOSED)
    ReferralEvent.objects.create(referral=reminded, kind=ReferralEventKind.REMINDED)
    referral(ReferralState.DECLINED)
    referral(ReferralState.SENT)  # open, within its limit: its outcome is not known yet
    referral(ReferralState.CANCELLED)
    figure = _figures(nurse)["referrals-closed-in-limit"]
    assert (figure.numerator, figure.denominator) == (1, 3)


def test_plans_reviewed_means_signed_in_the_ninety_days_to_the_end_of_the_period(
    team: CareTeam, nurse: User, pcp: User
) -> None:
    signed, unsigned, signed_long_ago = (factories.make_patient(team) for _ in range(3))
    for patient in (signed, unsigned, signed_long_ago):
        plan = careplan_factories.make_plan(patient, nurse)
        if patient is unsigned:
            continue
        plan.refresh_from_db()
        review = careplan_selectors.care_plan_review(user=pcp, plan=plan)
        version = care_plan_sign(actor=pcp, plan=plan, fingerprint=review.fingerprint)
        if patient is signed_long_ago:
            CarePlanVersion.objects.filter(pk=version.pk).update(
                signed_at=timezone.now() - timedelta(days=120)
            )
    figure = _figures(nurse)["plans-reviewed-90-days"]
    assert (figure.numerator, figure.denominator) == (1, 3)


def _visits(patient: Patient, providers: list[str], **values: object) -> list[Encounter]:
    today = timezone.localdate()
    return [
        Encounter(
            patient=patient,
            kind=values.get("kind", EncounterKind.OUTPATIENT),
            admit_date=today - timedelta(days=40 - 5 * number),
            attending_provider=provider,
        )
        for number, provider in enumerate(providers)
    ]


def test_pooled_continuity_counts_visits_and_pairs_of_patients_with_enough_visits(
    team: CareTeam, nurse: User
) -> None:
    mixed, too_few, loyal = (factories.make_patient(team) for _ in range(3))
    Encounter.objects.bulk_create(
        [
            *_visits(mixed, ["Dr A", "Dr A", "Dr B", "Dr A"]),
            *_visits(mixed, ["Dr Z"], kind=EncounterKind.ED),  # not an outpatient visit
            *_visits(mixed, [""]),  # no provider named: cannot be attributed
            *_visits(too_few, ["Dr C", "Dr C"]),  # below the minimum of 3 visits
            *_visits(loyal, ["Dr D", "Dr D", "Dr D"]),
        ]
    )
    figures = _figures(nurse)
    # Visits 4 + 3; usual provider 3 + 3; pairs 6 + 3, same provider 3 + 3;
    # consecutive pairs 3 + 2, repeats 1 + 2.
    assert (figures["continuity-upc"].numerator, figures["continuity-upc"].denominator) == (6, 7)
    assert (figures["continuity-coc"].numerator, figures["continuity-coc"].denominator) == (6, 9)
    assert (figures["continuity-secon"].numerator, figures["continuity-secon"].denominator) == (
        3,
        5,
    )
    assert figures["continuity-coc"].rate == 66.7


def test_continuity_click_through_shows_each_patients_own_indices(
    team: CareTeam, nurse: User
) -> None:
    mixed, too_few = factories.make_patient(team), factories.make_patient(team)
    Encounter.objects.bulk_create(
        [*_visits(mixed, ["Dr A", "Dr A", "Dr B", "Dr A"]), *_visits(too_few, ["Dr C"] * 2)]
    )
    scope = selectors.measure_scope_for_user(user=nurse)
    rows = selectors.measure_patients_for_user(
        user=nurse, code="continuity-coc", scope=scope, period=_period()
    )
    assert [row.patient.pk for row in rows] == [mixed.pk]
    continuity = rows[0].continuity
    assert continuity is not None
    assert (continuity.visits, continuity.upc, continuity.coc, continuity.secon) == (
        4,
        0.75,
        0.5,
        pytest.approx(1 / 3),
    )


def test_pooled_continuity_in_sql_agrees_with_counting_the_generated_histories(
    team: CareTeam, nurse: User
) -> None:
    rng = random.Random(16)
    expected = Counter[str]()
    visits: list[Encounter] = []
    for _ in range(40):
        patient = factories.make_patient(team)
        history = [rng.choice(["Dr A", "Dr B", "Dr C"]) for _ in range(rng.randint(1, 7))]
        visits += _visits(patient, history)
        if len(history) < 3:
            continue
        counts = Counter(history)
        expected["visits"] += len(history)
        expected["usual"] += max(counts.values())
        expected["pairs"] += len(history) * (len(history) - 1) // 2
        expected["same"] += sum(n * (n - 1) // 2 for n in counts.values())
        expected["consecutive"] += len(history) - 1
        expected["repeats"] += sum(a == b for a, b in itertools.pairwise(history))
    Encounter.objects.bulk_create(visits)
    figures = _figures(nurse)
    assert (figures["continuity-upc"].numerator, figures["continuity-upc"].denominator) == (
        expected["usual"],
        expected["visits"],
    )
    assert (figures["continuity-coc"].numerator, figures["continuity-coc"].denominator) == (
        expected["same"],
        expected["pairs"],
    )
    assert (figures["continuity-secon"].numerator, figures["continuity-secon"].denominator) == (
        expected["repeats"],
        expected["consecutive"],
    )


def test_emergency_click_through_lists_patients_without_any_encounter_too(
    team: CareTeam, nurse: User
) -> None:
    visited, untouched = factories.make_patient(team), factories.make_patient(team)
    Encounter.objects.create(
        patient=visited, kind=EncounterKind.ED, admit_date=timezone.localdate()
    )
    scope = selectors.measure_scope_for_user(user=nurse)
    rows = selectors.measure_patients_for_user(
        user=nurse, code="ed-visits-per-1000-patient-months", scope=scope, period=_period()
    )
    assert {row.patient.pk: row.in_numerator for row in rows} == {
        visited.pk: True,
        untouched.pk: False,
    }
