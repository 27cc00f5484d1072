"""Which codes a documented month supports, at the edges of every threshold (no database)."""

from datetime import date

import pytest

from apps.measures.billing_codes import CODES
from apps.measures.billing_rules import Claim, Discharge, PatientMonth, month_outcome


def _month(minutes: int = 0, **values: object) -> PatientMonth:
    facts: dict[str, object] = {
        "consent": True,
        "chronic_conditions": 2,
        "complex": False,
        "staff_minutes": minutes,
        "practitioner_minutes": 0,
    }
    facts.update(values)
    return PatientMonth(**facts)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("minutes", "claims"),
    [
        (19, []),
        (20, [Claim("99490")]),
        (39, [Claim("99490")]),
        (40, [Claim("99490"), Claim("99439")]),
        (59, [Claim("99490"), Claim("99439")]),
        (60, [Claim("99490"), Claim("99439", 2)]),
        (200, [Claim("99490"), Claim("99439", 2)]),
    ],
)
def test_ccm_codes_at_19_20_39_40_59_60_minutes(minutes: int, claims: list[Claim]) -> None:
    assert month_outcome(_month(minutes)).claims == claims


def test_19_minutes_says_below_threshold_with_the_minutes() -> None:
    outcome = month_outcome(_month(19))
    assert outcome.reasons == [
        "CCM 99490: below threshold (19 of 20 minutes of clinical staff time)."
    ]


@pytest.mark.parametrize(
    ("minutes", "claims"),
    [
        (59, [Claim("99490"), Claim("99439")]),
        (60, [Claim("99487")]),
        (89, [Claim("99487")]),
        (90, [Claim("99487"), Claim("99489")]),
        (120, [Claim("99487"), Claim("99489", 2)]),
    ],
)
def test_complex_ccm_starts_at_60_minutes_and_adds_each_30(
    minutes: int, claims: list[Claim]
) -> None:
    assert month_outcome(_month(minutes, complex=True)).claims == claims


def test_60_minutes_for_a_patient_not_flagged_complex_says_why_not_99487() -> None:
    outcome = month_outcome(_month(60))
    assert any("not flagged complex" in reason for reason in outcome.reasons)


def test_no_consent_supports_no_ccm_and_says_so() -> None:
    outcome = month_outcome(_month(45, consent=False))
    assert outcome.claims == []
    assert outcome.reasons == ["CCM: no CCM consent recorded for this month."]


def test_fewer_than_two_chronic_conditions_supports_no_ccm_and_says_so() -> None:
    outcome = month_outcome(_month(45, chronic_conditions=1))
    assert outcome.claims == [Claim("99426")]  # PCM on clinical staff time instead
    assert outcome.reasons == ["CCM: fewer than 2 chronic conditions (1 active)."]
    assert month_outcome(_month(45, chronic_conditions=0)).claims == []


@pytest.mark.parametrize(
    ("minutes", "claims"),
    [
        (29, []),
        (30, [Claim("99424")]),
        (59, [Claim("99424")]),
        (60, [Claim("99424"), Claim("99425")]),
    ],
)
def test_pcm_counts_the_practitioners_own_time_from_30_minutes(
    minutes: int, claims: list[Claim]
) -> None:
    month = _month(0, chronic_conditions=1, practitioner_minutes=minutes)
    assert month_outcome(month).claims == claims


def test_pcm_is_not_reported_in_a_month_with_ccm() -> None:
    outcome = month_outcome(_month(20, practitioner_minutes=30))
    assert outcome.claims == [Claim("99490")]
    assert "PCM 99424: not reported in a month CCM is reported." in outcome.reasons


def _discharge(**values: object) -> Discharge:
    facts: dict[str, object] = {
        "follow_up_id": 1,
        "discharged_on": date(2026, 3, 2),
        "high_complexity": True,
        "contact_due_on": date(2026, 3, 4),
        "first_contact_on": date(2026, 3, 4),
        "first_visit_on": date(2026, 3, 9),
    }
    facts.update(values)
    return Discharge(**facts)  # type: ignore[arg-type]


def _tcm(**values: object) -> tuple[list[Claim], list[str]]:
    outcome = month_outcome(_month(0, consent=False, discharges=(_discharge(**values),)))
    return outcome.claims, outcome.reasons


def test_tcm_high_complexity_visit_on_day_7_is_99496_and_day_8_is_99495() -> None:
    assert _tcm(first_visit_on=date(2026, 3, 9))[0] == [Claim("99496")]
    claims, reasons = _tcm(first_visit_on=date(2026, 3, 10))
    assert claims == [Claim("99495")]
    assert "after day 7; 99495 reported instead" in reasons[0]


def test_tcm_moderate_complexity_visit_on_day_14_is_99495_and_day_15_is_too_late() -> None:
    assert _tcm(high_complexity=False, first_visit_on=date(2026, 3, 16))[0] == [Claim("99495")]
    claims, reasons = _tcm(high_complexity=False, first_visit_on=date(2026, 3, 17))
    assert claims == []
    assert "visit too late (day 15" in reasons[0]


def test_tcm_contact_after_the_second_business_day_supports_no_tcm() -> None:
    claims, reasons = _tcm(first_contact_on=date(2026, 3, 5))
    assert claims == []
    assert reasons == [
        "TCM (discharge 2026-03-02): no interactive contact within 2 business days of "
        "discharge (due by 2026-03-04)."
    ]


def test_tcm_without_a_visit_says_so() -> None:
    claims, reasons = _tcm(first_visit_on=None)
    assert claims == []
    assert reasons == ["TCM (discharge 2026-03-02): no face-to-face visit recorded."]


def test_every_code_in_the_table_names_its_source() -> None:
    assert {"99490", "99439", "99487", "99489", "99424", "99425", "99495", "99496"} <= set(CODES)
    assert all(code.source for code in CODES.values())


@pytest.mark.parametrize(
    ("minutes", "claims"),
    [
        (29, []),
        (30, [Claim("99426")]),
        (59, [Claim("99426")]),
        (60, [Claim("99426"), Claim("99427")]),
        (150, [Claim("99426"), Claim("99427", 2)]),
    ],
)
def test_clinical_staff_pcm_for_one_condition_at_29_30_59_60_minutes(
    minutes: int, claims: list[Claim]
) -> None:
    outcome = month_outcome(_month(minutes, chronic_conditions=1))
    assert outcome.claims == claims
    assert "CCM: fewer than 2 chronic conditions (1 active)." in outcome.reasons


def test_clinical_staff_pcm_is_not_offered_when_ccm_fits() -> None:
    outcome = month_outcome(_month(45))
    assert [claim.code for claim in outcome.claims] == ["99490", "99439"]
    assert not any("99426" in reason for reason in outcome.reasons)
