"""Admission risk in the next 12 months: a transparent logistic model and its tiers.

    log-odds = intercept
             + charlson_coefficient  x Charlson index
             + ed_visit_coefficient  x ED visits in the last 12 months
             + admission_coefficient x inpatient admissions in the last 12 months
             + hrsn_coefficient      x positive AHC HRSN domains (latest screen, 12 months)
             + adi_coefficient       x (ADI national decile - 1)
    p = 1 / (1 + exp(-log-odds))

Each factor's "points" are its coefficient times its value (its share of the
log-odds), so the chart can show exactly why a patient has the probability they
have. A patient with no ADI on file (or a suppressed one) scores 0 for ADI, as
if in the least deprived decile; the chart says so.

About the defaults (RiskModel's field defaults). They are ILLUSTRATIVE
DEFAULTS, NOT PUBLISHED COEFFICIENTS: no published model with exactly these
five predictors was available to copy, and none is cited as if it were. They
were chosen so that the direction of each factor matches well-known findings
(more comorbidity, prior acute use, unmet social needs and area deprivation go
with more admissions; a prior admission weighs more than an ED visit) and so
that a patient with no evidence sits near 5 %. An organisation must calibrate
them on its own admissions (e.g. a logistic regression of next-year admission
on these five factors) before using the tiers for decisions. Where the inputs
come from:
- the Charlson index: Charlson ME, Pompei P, Ales KL, MacKenzie CR. J Chronic
  Dis 1987;40(5):373-383 (apps.patients.charlson maps ICD-10-CM codes to it);
- the Area Deprivation Index: Kind AJH, Buckingham WR. N Engl J Med
  2018;378:2456-2458 (the Neighborhood Atlas);
- the HRSN needs: the CMS Accountable Health Communities screening tool
  (apps.patients.hrsn).

Tiers: low below `rising_from` %, rising below `high_from` %, high below
`very_high_from` %, very high from there on (all set per organisation).
"""

import math
from decimal import Decimal
from typing import Any

from apps.patients.models import RiskModel, RiskTier

# (field of RiskModel, label on the chart)
FACTORS = (
    ("charlson_coefficient", "Charlson index"),
    ("ed_visit_coefficient", "ED visits in 12 months"),
    ("admission_coefficient", "Admissions in 12 months"),
    ("hrsn_coefficient", "Positive HRSN domains"),
    ("adi_coefficient", "ADI national decile above the first"),
)
COEFFICIENT_FIELDS = ("intercept", *(name for name, _ in FACTORS))
CUT_POINT_FIELDS = ("rising_from", "high_from", "very_high_from")
PROBABILITY_PLACES = Decimal("0.0001")
LOG_ODDS_LIMIT = 50.0


def adi_decile(percentile: int | None) -> int | None:
    """The national decile (1..10) of an ADI national percentile (1..100)."""
    if percentile is None:
        return None
    return (percentile + 9) // 10


def risk_tier(probability: Decimal, model: RiskModel) -> str:
    percent = probability * 100
    if percent >= model.very_high_from:
        return RiskTier.VERY_HIGH
    if percent >= model.high_from:
        return RiskTier.HIGH
    if percent >= model.rising_from:
        return RiskTier.RISING
    return RiskTier.LOW


def risk_score(
    *,
    cci: int,
    ed_visits: int,
    admissions: int,
    hrsn_needs: int,
    adi_percentile: int | None,
    model: RiskModel,
) -> dict[str, Any]:
    """The PatientComplexity risk values: probability, tier and the parts that make it."""
    decile = adi_decile(adi_percentile)
    values = (cci, ed_visits, admissions, hrsn_needs, 0 if decile is None else decile - 1)
    parts: list[dict[str, Any]] = [
        {"factor": "intercept", "label": "Baseline (intercept)", "value": None,
         "coefficient": str(model.intercept), "points": str(model.intercept)},
    ]  # fmt: skip
    log_odds = Decimal(model.intercept)
    for (name, label), value in zip(FACTORS, values, strict=True):
        coefficient = Decimal(getattr(model, name))
        points = coefficient * value
        log_odds += points
        part = {
            "factor": name.removesuffix("_coefficient"),
            "label": label,
            "value": value,
            "coefficient": str(coefficient),
            "points": str(points.quantize(Decimal("0.001"))),
        }
        if name == "adi_coefficient" and decile is None:
            part["note"] = "no ADI value on file: counted as the first decile"
        parts.append(part)
    # Clamped so that an extreme history cannot overflow exp(); p is 0 or 1 out there anyway.
    bounded = max(-LOG_ODDS_LIMIT, min(LOG_ODDS_LIMIT, float(log_odds)))
    probability = Decimal(1 / (1 + math.exp(-bounded))).quantize(PROBABILITY_PLACES)
    return {
        "risk_probability": probability,
        "risk_tier": risk_tier(probability, model),
        "risk_parts": parts,
    }
