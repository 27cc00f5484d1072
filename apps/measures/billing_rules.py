"""Which codes a patient's documented month supports, and why not where it does not.

Pure functions over facts gathered set-wise (billing_selectors.py), so each
threshold is tested at its edges without a database. Every number comes from
billing_codes.CODES.
"""

from dataclasses import dataclass, field
from datetime import date

from apps.measures.billing_codes import (
    CCM_CONDITIONS_MIN,
    CODES,
    PCM_CONDITIONS_MIN,
    TCM_CONTACT_BUSINESS_DAYS,
)


@dataclass(frozen=True)
class Discharge:
    """A discharge home (a transitions follow-up) as TCM needs it, in the practice's dates."""

    follow_up_id: int
    discharged_on: date
    high_complexity: bool
    contact_due_on: date  # the 2nd business day after discharge
    first_contact_on: date | None  # first interactive contact that reached the patient
    first_visit_on: date | None  # first face-to-face visit that happened


@dataclass(frozen=True)
class PatientMonth:
    consent: bool
    chronic_conditions: int
    complex: bool
    staff_minutes: int
    practitioner_minutes: int
    discharges: tuple[Discharge, ...] = ()


@dataclass(frozen=True)
class Claim:
    code: str
    units: int = 1

    def __str__(self) -> str:
        return self.code if self.units == 1 else f"{self.code} x{self.units}"


@dataclass
class Outcome:
    claims: list[Claim] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def codes(self) -> str:
        return ", ".join(str(claim) for claim in self.claims)


def _add_on_units(minutes: int, base: str, add_on: str) -> int:
    step = CODES[add_on]
    units = max(0, (minutes - CODES[base].minutes) // step.minutes)
    return units if step.max_units is None else min(units, step.max_units)


def _with_add_on(outcome: Outcome, minutes: int, base: str, add_on: str) -> None:
    outcome.claims.append(Claim(base))
    units = _add_on_units(minutes, base, add_on)
    if units:
        outcome.claims.append(Claim(add_on, units))


def _ccm(month: PatientMonth, outcome: Outcome) -> bool:
    """CCM (99490/99439) or complex CCM (99487/99489); True when a CCM code is supported."""
    if not month.staff_minutes and not month.consent:
        return False
    minutes = month.staff_minutes
    blocked = False
    if not month.consent:
        outcome.reasons.append("CCM: no CCM consent recorded for this month.")
        blocked = True
    if month.chronic_conditions < CCM_CONDITIONS_MIN:
        outcome.reasons.append(
            f"CCM: fewer than {CCM_CONDITIONS_MIN} chronic conditions "
            f"({month.chronic_conditions} active)."
        )
        blocked = True
    base, complex_base = CODES["99490"], CODES["99487"]
    if minutes < base.minutes:
        outcome.reasons.append(
            f"CCM 99490: below threshold ({minutes} of {base.minutes} minutes "
            "of clinical staff time)."
        )
        return False
    if blocked:
        return False
    if month.complex and minutes >= complex_base.minutes:
        _with_add_on(outcome, minutes, "99487", "99489")
        return True
    _with_add_on(outcome, minutes, "99490", "99439")
    if month.complex:
        outcome.reasons.append(
            f"Complex CCM 99487: below threshold ({minutes} of {complex_base.minutes} minutes)."
        )
    elif minutes >= complex_base.minutes:
        outcome.reasons.append(
            "Complex CCM 99487: the patient is not flagged complex "
            "(moderate or high complexity decision making)."
        )
    return True


def _pcm_one(
    month: PatientMonth, outcome: Outcome, ccm_claimed: bool, minutes: int, base: str, add_on: str
) -> bool:
    """One PCM pair (99424/99425 on the practitioner's time, 99426/99427 on clinical staff
    time); True when supported. Reasons only where minutes of that kind were logged."""
    if not minutes:
        return False
    code = CODES[base]
    whose = "the practitioner's own time" if base == "99424" else "clinical staff time"
    if ccm_claimed:
        outcome.reasons.append(f"PCM {base}: not reported in a month CCM is reported.")
    elif not month.consent:
        outcome.reasons.append(f"PCM {base}: no consent recorded for this month.")
    elif month.chronic_conditions < PCM_CONDITIONS_MIN:
        outcome.reasons.append(f"PCM {base}: no active chronic condition.")
    elif minutes < code.minutes:
        outcome.reasons.append(
            f"PCM {base}: below threshold ({minutes} of {code.minutes} minutes of {whose})."
        )
    else:
        _with_add_on(outcome, minutes, base, add_on)
        return True
    return False


def _pcm(month: PatientMonth, outcome: Outcome, ccm_claimed: bool) -> None:
    """PCM on the practitioner's own time first; on clinical staff time only when CCM is not
    reported (a patient whose one condition is the focus) and 99424 was not either."""
    if _pcm_one(month, outcome, ccm_claimed, month.practitioner_minutes, "99424", "99425"):
        return
    if ccm_claimed or month.chronic_conditions >= CCM_CONDITIONS_MIN:
        return
    _pcm_one(month, outcome, ccm_claimed, month.staff_minutes, "99426", "99427")


def tcm_outcome(discharge: Discharge) -> tuple[Claim | None, list[str]]:
    """TCM for one discharge: 99496 (high complexity, visit by day 7) or 99495 (by day 14)."""
    on = discharge.discharged_on.isoformat()
    reasons: list[str] = []
    contact = discharge.first_contact_on
    if contact is None or contact > discharge.contact_due_on:
        reasons.append(
            f"TCM (discharge {on}): no interactive contact within "
            f"{TCM_CONTACT_BUSINESS_DAYS} business days of discharge "
            f"(due by {discharge.contact_due_on.isoformat()})."
        )
    if discharge.first_visit_on is None:
        reasons.append(f"TCM (discharge {on}): no face-to-face visit recorded.")
        return None, reasons
    day = (discharge.first_visit_on - discharge.discharged_on).days
    high_days = CODES["99496"].visit_within_days or 0
    moderate_days = CODES["99495"].visit_within_days or 0
    if day > moderate_days:
        reasons.append(
            f"TCM (discharge {on}): visit too late (day {day}; 99495 needs day "
            f"{moderate_days} at the latest, 99496 day {high_days})."
        )
    if reasons:
        return None, reasons
    if discharge.high_complexity and day <= high_days:
        return Claim("99496"), []
    if discharge.high_complexity:
        reasons.append(
            f"TCM 99496 (discharge {on}): visit on day {day}, after day "
            f"{high_days}; 99495 reported instead."
        )
    return Claim("99495"), reasons


def month_outcome(month: PatientMonth) -> Outcome:
    """Every code the month supports, and a reason for each that it does not."""
    outcome = Outcome()
    ccm_claimed = _ccm(month, outcome)
    _pcm(month, outcome, ccm_claimed)
    tcm_claimed = False
    for discharge in sorted(month.discharges, key=lambda d: d.discharged_on):
        claim, reasons = tcm_outcome(discharge)
        outcome.reasons.extend(reasons)
        if claim is None:
            continue
        if tcm_claimed:
            outcome.reasons.append(
                f"TCM (discharge {discharge.discharged_on.isoformat()}): one TCM per patient "
                "in 30 days; already reported this month."
            )
            continue
        outcome.claims.append(claim)
        tcm_claimed = True
    return outcome
