"""Who has complex needs: the three domains, their evidence, the flag and the reasons.

`complexity_recompute` is the only writer of PatientComplexity rows. It works
set-wise: a handful of queries for a whole organisation (or for a few patients
after a change), whatever the number of patients, and it writes only the rows
whose result changed, so running it twice in a row changes nothing.

Evidence windows: encounters admitted and screens taken in the 365 days up to
and including the day of computation. Only active conditions count.

- Clinical: the Charlson index (apps.patients.charlson) of active conditions.
- Utilization: ED visits + inpatient admissions, or the 12-month cost
  percentile within the organisation's active patients (the share of patients
  whose cost is strictly lower, so patients without cost are at 0). Bed days
  (nights of inpatient stays, an ongoing stay counted to today) are shown.
- Social: the ADI national percentile, or the positive domains of the latest
  AHC HRSN screen.

After a single patient's change only that patient is recomputed; their cost
percentile is placed among the other patients' stored costs, whose own
percentiles are refreshed by the nightly run.
"""

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, DurationField, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.accounts.models import Actor, Organisation
from apps.core.actors import JobActor, is_job
from apps.core.audit import audit_record
from apps.core.items import run_isolated
from apps.core.models import AuditAction, AuditSource
from apps.patients import charlson, hrsn, risk
from apps.patients.models import (
    ICD10_CM_SYSTEM,
    AreaDeprivation,
    ComplexityThresholds,
    Condition,
    ConditionStatus,
    Encounter,
    EncounterKind,
    Patient,
    PatientComplexity,
    RiskModel,
    SdohScreen,
)

LOOKBACK_DAYS = 365
CHUNK = 20_000
# Above this many patients a "partial" recompute is done for the whole organisation.
PARTIAL_LIMIT = 200
COMPARED_FIELDS = (
    "organisation_id",
    "cci",
    "charlson_categories",
    "ed_visits_12m",
    "admissions_12m",
    "acute_events_12m",
    "bed_days_12m",
    "cost_12m",
    "cost_percentile",
    "hrsn_positive_domains",
    "hrsn_positive_count",
    "hrsn_screened_on",
    "adi_percentile",
    "adi_suppression",
    "clinical_met",
    "utilization_met",
    "social_met",
    "is_complex",
    "reasons",
    "summary",
    "risk_probability",
    "risk_tier",
    "risk_parts",
)
WRITTEN_FIELDS = [name.removesuffix("_id") for name in COMPARED_FIELDS] + [
    "as_of",
    "computed_at",
    "flagged_at",
]


def thresholds_for(organisation: Organisation | int) -> ComplexityThresholds:
    """The organisation's thresholds, created with the defaults on first use."""
    organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    thresholds, _ = ComplexityThresholds.objects.get_or_create(organisation_id=organisation_id)
    return thresholds


def risk_model_for(organisation: Organisation | int) -> RiskModel:
    """The organisation's admission-risk model, created with the defaults on first use."""
    organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    model, _ = RiskModel.objects.get_or_create(organisation_id=organisation_id)
    return model


# --- evaluation: pure functions of the evidence ---------------------------------------


@dataclass
class Evidence:
    patient_id: int
    organisation_id: int
    categories: set[str] = field(default_factory=set)
    ed_visits: int = 0
    admissions: int = 0
    bed_days: int = 0
    cost: Decimal = Decimal("0.00")
    cost_percentile: int = 0
    hrsn_domains: list[str] = field(default_factory=list)
    hrsn_screened_on: date | None = None
    adi_percentile: int | None = None
    adi_suppression: str = ""


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def _listing(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _clinical(result: charlson.CharlsonResult, limit: int) -> tuple[bool, str]:
    met = result.score >= limit
    parts = [f"{label} ({weight})" for label, weight in result.scored()]
    detail = f": {_listing(parts)}" if parts else ""
    if met:
        return True, f"Charlson index {result.score} reaches {limit}{detail}"
    if not parts:
        return False, f"no active coded condition counts on the Charlson index (needs {limit})"
    return False, f"Charlson index {result.score} is below {limit}{detail}"


def _utilization(evidence: Evidence, thresholds: ComplexityThresholds) -> tuple[bool, str]:
    acute = evidence.ed_visits + evidence.admissions
    visits = (
        f"{_plural(evidence.ed_visits, 'ED visit')} and "
        f"{_plural(evidence.admissions, 'admission')} in 12 months"
    )
    crossed, short = [], []
    if thresholds.acute_events_min is not None:
        if acute >= thresholds.acute_events_min:
            crossed.append(f"{visits} reach {thresholds.acute_events_min}")
        else:
            short.append(f"{visits} (needs {thresholds.acute_events_min} together)")
    if thresholds.cost_percentile_min is not None:
        cost = f"12-month cost at the {evidence.cost_percentile}th percentile"
        if evidence.cost > 0 and evidence.cost_percentile >= thresholds.cost_percentile_min:
            crossed.append(f"{cost} reaches the {thresholds.cost_percentile_min}th")
        else:
            short.append(f"{cost} (needs the {thresholds.cost_percentile_min}th)")
    if crossed:
        return True, _listing(crossed)
    return False, _listing(short) or "no utilization threshold is set"


def _social(evidence: Evidence, thresholds: ComplexityThresholds) -> tuple[bool, str]:
    crossed, short = [], []
    if thresholds.adi_percentile_min is not None:
        if evidence.adi_percentile is not None:
            adi = f"ADI national percentile {evidence.adi_percentile}"
            if evidence.adi_percentile >= thresholds.adi_percentile_min:
                crossed.append(f"{adi} reaches {thresholds.adi_percentile_min}")
            else:
                short.append(f"{adi} (needs {thresholds.adi_percentile_min})")
        elif evidence.adi_suppression:
            short.append(f"no ADI value (suppressed: {evidence.adi_suppression})")
        else:
            short.append("no ADI on file")
    if thresholds.hrsn_domains_min is not None:
        if evidence.hrsn_screened_on is None:
            short.append("no HRSN screen in 12 months")
        else:
            labels = [hrsn.DOMAIN_LABELS[domain] for domain in evidence.hrsn_domains]
            when = f"the HRSN screen of {evidence.hrsn_screened_on:%Y-%m-%d}"
            if len(labels) >= thresholds.hrsn_domains_min:
                crossed.append(f"{when} is positive for {_listing(labels)}")
            elif labels:
                short.append(
                    f"{when} is positive for {_listing(labels)} "
                    f"(needs {_plural(thresholds.hrsn_domains_min, 'domain')})"
                )
            else:
                short.append(f"{when} has no positive domain")
    if crossed:
        return True, _listing(crossed)
    return False, _listing(short) or "no social threshold is set"


def evaluate(
    evidence: Evidence, thresholds: ComplexityThresholds, model: RiskModel | None = None
) -> dict[str, Any]:
    """The PatientComplexity values for one patient's evidence under the thresholds, with
    the admission risk under the organisation's risk model (the defaults when none)."""
    result = charlson.charlson_from_categories(evidence.categories)
    clinical_met, clinical_text = _clinical(result, thresholds.cci_min)
    utilization_met, utilization_text = _utilization(evidence, thresholds)
    social_met, social_text = _social(evidence, thresholds)
    is_complex = clinical_met and utilization_met and social_met
    domains = [
        ("clinical", clinical_met, clinical_text),
        ("utilization", utilization_met, utilization_text),
        ("social", social_met, social_text),
    ]
    if is_complex:
        summary = "Complex needs: all three domains cross the thresholds. " + "; ".join(
            f"{name.capitalize()}: {text}" for name, _, text in domains
        )
    else:
        summary = "Not flagged: " + "; ".join(
            f"{name} falls short: {text}" for name, met, text in domains if not met
        )
    return {
        "organisation_id": evidence.organisation_id,
        "cci": result.score,
        "charlson_categories": list(result.categories),
        "ed_visits_12m": evidence.ed_visits,
        "admissions_12m": evidence.admissions,
        "acute_events_12m": evidence.ed_visits + evidence.admissions,
        "bed_days_12m": evidence.bed_days,
        "cost_12m": evidence.cost.quantize(Decimal("0.01")),
        "cost_percentile": evidence.cost_percentile,
        "hrsn_positive_domains": list(evidence.hrsn_domains),
        "hrsn_positive_count": len(evidence.hrsn_domains),
        "hrsn_screened_on": evidence.hrsn_screened_on,
        "adi_percentile": evidence.adi_percentile,
        "adi_suppression": evidence.adi_suppression,
        "clinical_met": clinical_met,
        "utilization_met": utilization_met,
        "social_met": social_met,
        "is_complex": is_complex,
        "reasons": {
            name: {"met": met, "text": text[0].upper() + text[1:] + "."}
            for name, met, text in domains
        },
        "summary": summary + ".",
        **risk.risk_score(
            cci=result.score,
            ed_visits=evidence.ed_visits,
            admissions=evidence.admissions,
            hrsn_needs=len(evidence.hrsn_domains),
            adi_percentile=evidence.adi_percentile,
            model=model if model is not None else RiskModel(),
        ),
    }


def percentile_below(positive_costs: Sequence[Decimal], cost: Decimal, population: int) -> int:
    """Percent of the population whose cost is strictly lower (0..99).

    `positive_costs` are the sorted non-zero costs; everyone else in the
    population had no cost and so is below any positive cost.
    """
    if population <= 0 or cost <= 0:
        return 0
    below = population - len(positive_costs) + bisect.bisect_left(positive_costs, cost)
    return min(99, (100 * below) // population)


# --- gathering evidence set-wise ---------------------------------------------------------


def _encounter_totals(patients: Q, start: date, as_of: date) -> dict[int, tuple[Any, ...]]:
    rows = (
        Encounter.objects.filter(patients, admit_date__gt=start, admit_date__lte=as_of)
        .order_by()
        .values("patient_id")
        .annotate(
            ed=Count("id", filter=Q(kind=EncounterKind.ED)),
            admissions=Count("id", filter=Q(kind=EncounterKind.INPATIENT)),
            stays=Sum(
                Coalesce("discharge_date", Value(as_of)) - F("admit_date"),
                output_field=DurationField(),
                filter=Q(kind=EncounterKind.INPATIENT),
            ),
            cost=Sum("cost"),
        )
        .values_list("patient_id", "ed", "admissions", "stays", "cost")
    )
    return {row[0]: row[1:] for row in rows}


def _scope(patient_ids: Sequence[int], organisation_id: int) -> Q:
    """Rows of these patients. A large sorted chunk becomes an id range (a long IN list
    costs more to send and parse than the rows it selects); extra rows are skipped."""
    if len(patient_ids) <= PARTIAL_LIMIT:
        return Q(patient_id__in=patient_ids)
    return Q(
        patient__organisation_id=organisation_id,
        patient_id__gte=patient_ids[0],
        patient_id__lte=patient_ids[-1],
    )


def _gather(
    organisation_id: int, patient_ids: Sequence[int], as_of: date, totals: dict[int, tuple]
) -> dict[int, Evidence]:
    start = as_of - timedelta(days=LOOKBACK_DAYS)
    scope = _scope(patient_ids, organisation_id)
    evidence = {pk: Evidence(patient_id=pk, organisation_id=organisation_id) for pk in patient_ids}
    category_of = charlson.category_of
    for pk, code in (
        Condition.objects.filter(scope, status=ConditionStatus.ACTIVE, code_system=ICD10_CM_SYSTEM)
        .order_by()
        .values_list("patient_id", "code")
        .iterator(chunk_size=20_000)
    ):
        key = category_of(code)
        if key is not None and pk in evidence:
            evidence[pk].categories.add(key)
    for pk in patient_ids:
        row = totals.get(pk)
        if row is None:
            continue
        ed, admissions, stays, cost = row
        item = evidence[pk]
        item.ed_visits, item.admissions = ed, admissions
        item.bed_days = stays.days if isinstance(stays, timedelta) else int(stays or 0)
        item.cost = cost or Decimal("0.00")
    screens = (
        SdohScreen.objects.filter(scope, screened_on__gt=start, screened_on__lte=as_of)
        .order_by("patient_id", "screened_on", "id")
        .values_list(
            "patient_id",
            "screened_on",
            "housing_positive",
            "food_positive",
            "transportation_positive",
            "utilities_positive",
            "safety_positive",
        )
    )
    for pk, screened_on, *positive in screens:  # the latest screen of each patient wins
        if pk not in evidence:
            continue
        evidence[pk].hrsn_screened_on = screened_on
        evidence[pk].hrsn_domains = [
            domain for domain, flag in zip(hrsn.DOMAINS, positive, strict=True) if flag
        ]
    for pk, percentile, suppression in AreaDeprivation.objects.filter(scope).values_list(
        "patient_id", "national_percentile", "suppression_code"
    ):
        if pk not in evidence:
            continue
        evidence[pk].adi_percentile = percentile
        evidence[pk].adi_suppression = suppression
    return evidence


@dataclass
class RecomputeResult:
    patients: int = 0
    changed: list[int] = field(default_factory=list)
    flagged: int = 0


def _write(
    values: dict[int, dict[str, Any]], as_of: date, result: RecomputeResult, scope: Q
) -> list[PatientComplexity]:
    existing = {
        row["patient_id"]: row
        for row in PatientComplexity.objects.filter(scope).values(
            "patient_id", "flagged_at", *COMPARED_FIELDS
        )
    }
    now = timezone.now()
    changed = []
    for pk, fresh in values.items():
        result.patients += 1
        result.flagged += fresh["is_complex"]
        old = existing.get(pk)
        if old is not None and all(old[name] == fresh[name] for name in COMPARED_FIELDS):
            continue
        flagged_at = None
        if fresh["is_complex"]:
            was_on = old is not None and old["is_complex"] and old["flagged_at"] is not None
            flagged_at = old["flagged_at"] if old is not None and was_on else now
        changed.append(
            PatientComplexity(
                patient_id=pk, as_of=as_of, computed_at=now, flagged_at=flagged_at, **fresh
            )
        )
    if changed:
        PatientComplexity.objects.bulk_create(
            changed,
            batch_size=2_000,
            update_conflicts=True,
            unique_fields=["patient"],
            update_fields=WRITTEN_FIELDS,
        )
        result.changed.extend(row.patient_id for row in changed)
    return changed


def _recompute_organisation(organisation_id: int, as_of: date) -> RecomputeResult:
    thresholds = thresholds_for(organisation_id)
    model = risk_model_for(organisation_id)
    start = as_of - timedelta(days=LOOKBACK_DAYS)
    ids = list(
        Patient.objects.filter(organisation_id=organisation_id, is_active=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    totals = _encounter_totals(
        Q(patient__organisation_id=organisation_id, patient__is_active=True), start, as_of
    )
    costs = sorted(row[3] for row in totals.values() if row[3])
    result = RecomputeResult()
    for offset in range(0, len(ids), CHUNK):
        chunk = ids[offset : offset + CHUNK]
        evidence = _gather(organisation_id, chunk, as_of, totals)
        for item in evidence.values():
            item.cost_percentile = percentile_below(costs, item.cost, len(ids))
        _write(
            {pk: evaluate(item, thresholds, model) for pk, item in evidence.items()},
            as_of,
            result,
            _scope(chunk, organisation_id),
        )
    return result


def _recompute_patients(
    organisation_id: int, patient_ids: Sequence[int], as_of: date
) -> RecomputeResult:
    thresholds = thresholds_for(organisation_id)
    model = risk_model_for(organisation_id)
    start = as_of - timedelta(days=LOOKBACK_DAYS)
    ids = list(
        Patient.objects.filter(
            organisation_id=organisation_id, is_active=True, pk__in=patient_ids
        ).values_list("id", flat=True)
    )
    result = RecomputeResult()
    if not ids:
        return result
    totals = _encounter_totals(Q(patient_id__in=ids), start, as_of)
    evidence = _gather(organisation_id, ids, as_of, totals)
    population = Patient.objects.filter(organisation_id=organisation_id, is_active=True).count()
    others = PatientComplexity.objects.filter(
        organisation_id=organisation_id, patient__is_active=True
    ).exclude(patient_id__in=ids)
    for item in evidence.values():
        if item.cost > 0:
            # Counting who is not lower lets patients never computed count as cost 0.
            not_lower = others.filter(cost_12m__gte=item.cost).count()
            not_lower += sum(1 for other in evidence.values() if other.cost >= item.cost)
            item.cost_percentile = min(99, (100 * (population - not_lower)) // population)
    _write(
        {pk: evaluate(item, thresholds, model) for pk, item in evidence.items()},
        as_of,
        result,
        Q(patient_id__in=ids),
    )
    return result


@transaction.atomic
def complexity_recompute(
    *,
    organisation_id: int,
    patient_ids: Iterable[int] | None = None,
    as_of: date | None = None,
    actor: Actor,
) -> RecomputeResult:
    """Recomputes the given patients of one organisation, or all its active patients.

    Services call it with the patient whose evidence changed, inside their
    transaction, as the person who changed it; the nightly task and a threshold
    change call it for everyone, as a `JobActor`.
    """
    day = as_of or timezone.localdate()
    wanted = None if patient_ids is None else sorted(set(patient_ids))
    if wanted is None or len(wanted) > PARTIAL_LIMIT:
        result = _recompute_organisation(organisation_id, day)
    else:
        result = _recompute_patients(organisation_id, wanted, day)
    if result.changed and (patient_ids is None or is_job(actor)):
        # A service that called us audits its own change; a bulk run audits here.
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type=PatientComplexity,
            patient_ids=result.changed,
            source=AuditSource.TASK if is_job(actor) else None,
            detail={"recomputed": result.patients, "changed": len(result.changed)},
        )
    return result


RECOMPUTE_ALL_JOB = "patients.complexity_recompute_all"
RECOMPUTE_ORGANISATION_JOB = "patients.complexity_recompute_organisation"


def complexity_recompute_all(*, as_of: date | None = None) -> dict[int, RecomputeResult]:
    """Every organisation, one transaction each (the nightly job). One organisation that
    fails does not stop the others; the run then ends in `ItemsFailed` naming its id."""
    results: dict[int, RecomputeResult] = {}

    def recompute(organisation_id: int) -> None:
        results[organisation_id] = complexity_recompute(
            organisation_id=organisation_id,
            as_of=as_of,
            actor=JobActor(job=RECOMPUTE_ALL_JOB, organisation_id=organisation_id),
        )

    organisation_ids = list(Organisation.objects.order_by("id").values_list("id", flat=True))
    outcome = run_isolated(organisation_ids, recompute, job=RECOMPUTE_ALL_JOB)
    outcome.raise_if_failed("organisations")
    return results
