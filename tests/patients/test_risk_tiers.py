"""Admission risk: a transparent logistic score with its parts, tiers at set cut points,
recomputed with the complexity job, coefficients set by the organisation's admin."""

import math
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from apps.core.actors import JobActor
from apps.core.exceptions import ApplicationError
from apps.core.models import AuditAction, AuditEvent
from apps.patients import risk
from apps.patients.complexity import complexity_recompute, risk_model_for
from apps.patients.models import PatientComplexity, RiskModel, RiskTier
from apps.patients.services.complexity import risk_model_update
from tests import factories
from tests.patients.factories import add_conditions, add_encounters, make_complex, screen

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "clinical-section"}


def _expected(cci, ed, admissions, hrsn, decile):
    log_odds = -3 + 0.25 * cci + 0.2 * ed + 0.45 * admissions + 0.15 * hrsn + 0.05 * (decile - 1)
    return 1 / (1 + math.exp(-log_odds))


def test_risk_score_is_the_logistic_of_the_summed_points_of_each_factor():
    result = risk.risk_score(
        cci=5, ed_visits=2, admissions=1, hrsn_needs=2, adi_percentile=91, model=RiskModel()
    )
    expected = _expected(5, 2, 1, 2, 10)
    assert float(result["risk_probability"]) == pytest.approx(expected, abs=1e-4)
    points = {part["factor"]: Decimal(part["points"]) for part in result["risk_parts"]}
    assert points == {
        "intercept": Decimal("-3"),
        "charlson": Decimal("1.25"),
        "ed_visit": Decimal("0.4"),
        "admission": Decimal("0.45"),
        "hrsn": Decimal("0.3"),
        "adi": Decimal("0.45"),
    }
    assert sum(points.values()) == Decimal("-0.15")


def test_risk_without_adi_counts_the_first_decile_and_says_so():
    result = risk.risk_score(
        cci=0, ed_visits=0, admissions=0, hrsn_needs=0, adi_percentile=None, model=RiskModel()
    )
    adi = next(part for part in result["risk_parts"] if part["factor"] == "adi")
    assert adi["points"] == "0.000"
    assert "no ADI value" in adi["note"]
    assert result["risk_tier"] == RiskTier.LOW


@pytest.mark.parametrize(
    ("percent", "tier"),
    [("9.99", "low"), ("10", "rising"), ("19.99", "rising"), ("20", "high"), ("40", "very_high")],
)
def test_tiers_start_at_their_cut_points(percent, tier):
    assert risk.risk_tier(Decimal(percent) / 100, RiskModel()) == tier


def test_an_extreme_history_scores_near_one_without_overflow():
    result = risk.risk_score(
        cci=24, ed_visits=100_000, admissions=100_000, hrsn_needs=5, adi_percentile=100,
        model=RiskModel(),
    )  # fmt: skip
    assert result["risk_probability"] == Decimal("1.0000")
    assert result["risk_tier"] == RiskTier.VERY_HIGH


def test_recording_evidence_recomputes_the_patients_risk_with_its_parts(nurse, patient):
    make_complex(nurse, patient)
    add_encounters(nurse, patient, "inpatient", 30)
    screen(nurse, patient, food_worry="often")
    row = PatientComplexity.objects.get(patient=patient)
    assert float(row.risk_probability) == pytest.approx(_expected(5, 2, 1, 1, 10), abs=1e-4)
    assert row.risk_tier == RiskTier.VERY_HIGH  # 42.6 %: -3 + 1.25 + 0.4 + 0.45 + 0.15 + 0.45
    assert [part["factor"] for part in row.risk_parts] == [
        "intercept", "charlson", "ed_visit", "admission", "hrsn", "adi",
    ]  # fmt: skip


def test_the_organisation_run_uses_the_organisations_own_coefficients(nurse, patient, organisation):
    add_conditions(nurse, patient, "I50.9")
    model = risk_model_for(organisation)
    RiskModel.objects.filter(pk=model.pk).update(intercept=0, charlson_coefficient=0)
    result = complexity_recompute(
        organisation_id=organisation.pk, actor=JobActor(job="test", organisation_id=organisation.pk)
    )
    row = PatientComplexity.objects.get(patient=patient)
    assert row.risk_probability == Decimal("0.5000")
    assert row.risk_tier == RiskTier.VERY_HIGH
    assert result.changed == [patient.pk]


def test_the_organisation_run_is_set_wise(nurse, team, organisation, django_assert_max_num_queries):
    for number in range(30):
        factories.make_patient(team, actor=nurse, mrn=f"R{number}")
    actor = JobActor(job="test", organisation_id=organisation.pk)
    complexity_recompute(organisation_id=organisation.pk, actor=actor)
    with django_assert_max_num_queries(12):
        complexity_recompute(organisation_id=organisation.pk, actor=actor)


def test_chart_shows_the_tier_probability_and_points_per_factor(client_for, nurse, patient):
    make_complex(nurse, patient)
    body = (
        client_for(nurse).get(reverse("patients:clinical", args=[patient.pk]), **HTMX)
    ).content.decode()
    expected = f"{_expected(5, 2, 0, 0, 10) * 100:.1f} %"
    assert expected in body
    assert 'id="risk-tier">High' in body  # 32.1 %
    assert "Charlson index</td><td>5</td><td>0.250</td><td>1.250" in body


def test_admin_sets_coefficients_and_the_tiers_are_recomputed(
    client_for, org_admin, organisation, django_capture_on_commit_callbacks
):
    model = risk_model_for(organisation)
    form = {name: getattr(model, name) for name in risk.COEFFICIENT_FIELDS + risk.CUT_POINT_FIELDS}
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(org_admin).post(
            reverse("admin:patients_riskmodel_change", args=[model.pk]),
            form | {"charlson_coefficient": "0.4", "very_high_from": 50},
        )
    assert response.status_code == 302
    model.refresh_from_db()
    assert (model.charlson_coefficient, model.very_high_from) == (Decimal("0.4"), 50)
    assert len(callbacks) == 1
    assert AuditEvent.objects.filter(
        object_type="patients.riskmodel", action=AuditAction.UPDATE
    ).exists()


def test_admin_cut_points_that_do_not_rise_are_a_form_error_and_nothing_changes(
    client_for, org_admin, organisation
):
    model = risk_model_for(organisation)
    form = {name: getattr(model, name) for name in risk.COEFFICIENT_FIELDS + risk.CUT_POINT_FIELDS}
    response = client_for(org_admin).post(
        reverse("admin:patients_riskmodel_change", args=[model.pk]),
        form | {"high_from": 60, "charlson_coefficient": "11"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "The cut points must rise" in body
    assert "Give a number from -10 to 10" in body
    model.refresh_from_db()
    assert (model.high_from, model.charlson_coefficient) == (20, Decimal("0.25"))


def test_risk_model_refused_to_a_team_member_and_to_bad_values(nurse, org_admin, organisation):
    model = risk_model_for(organisation)
    with pytest.raises(PermissionDenied) as refused:
        risk_model_update(actor=nurse, model=model, intercept=Decimal("-2"))
    assert "administrator" in str(refused.value)
    with pytest.raises(ApplicationError) as error:
        risk_model_update(actor=org_admin, model=model, rising_from=0, adi_coefficient="x")
    assert set(error.value.field_errors) == {"rising_from", "adi_coefficient"}
    model.refresh_from_db()
    assert (model.intercept, model.rising_from) == (Decimal("-3"), 10)


def test_team_members_cannot_open_the_risk_model_admin(client_for, nurse):
    response = client_for(nurse).get(reverse("admin:patients_riskmodel_changelist"))
    assert response.status_code == 302


def test_the_complexity_api_gives_the_risk_its_tier_and_its_parts(api_for, nurse, patient):
    make_complex(nurse, patient)
    body = api_for(nurse).get(f"/api/v1/patients/{patient.pk}/complexity/").json()["complexity"]
    assert body["risk_tier"] == "high"
    assert body["risk_probability"] == f"{_expected(5, 2, 0, 0, 10):.4f}"
    charlson = next(part for part in body["risk_parts"] if part["factor"] == "charlson")
    assert (charlson["value"], charlson["coefficient"], charlson["points"]) == (5, "0.250", "1.250")
