"""Conditions, encounters, HRSN screens and ADI for the demo panel, so the list and the
chart show flagged and unflagged patients with their reasons.

Rows are validated with the patients app's own builders and scoring
(condition_build, encounter_build, hrsn), bulk-inserted, audited in bulk, and
scored by one set-wise recomputation: fast even on SQLite.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.models import AuditAction
from apps.patients import hrsn
from apps.patients.complexity import complexity_recompute
from apps.patients.models import AreaDeprivation, Condition, Encounter, Patient, SdohScreen
from apps.patients.services.clinical import condition_build, encounter_build

# Charlson-scoring codes grouped so a profile can pick a believable mix.
HEART_KIDNEY = ["I50.9", "I50.22", "N18.4", "N18.30", "I25.2", "I70.213"]
LUNG = ["J44.9", "J44.1", "J45.40", "J84.10"]
METABOLIC = ["E11.22", "E11.40", "E11.9", "E10.65", "K70.30", "K74.60"]
SERIOUS = ["C34.90", "C50.911", "C78.01", "G30.9", "F03.90", "I63.9", "B20", "G81.94"]
# Common chronic codes that do not score on the Charlson index.
EVERYDAY = [
    "I10", "E78.5", "E66.9", "M17.11", "F32.A", "G47.33", "K21.9", "M54.50", "F41.1", "E03.9",
    "H40.9", "N40.0", "M81.0", "D64.9", "Z79.4",
]  # fmt: skip
FACILITIES = ["Riverside General", "St. Anne's", "Harbor Medical Center"]
PROVIDERS = ["Dr. Park", "Dr. Adeyemi", "Dr. Nair", "Dr. Farah", "Dr. Weiss"]


def _answers(rng: random.Random, needy: bool) -> dict[str, object]:
    answers: dict[str, object] = {
        "living_situation": "steady",
        "housing_problems": ["none"],
        "food_worry": "never",
        "food_ran_out": "never",
        "transportation": "no",
        "utilities": "no",
        "safety_hurt": 1,
        "safety_insult": 1,
        "safety_threaten": 1,
        "safety_scream": 1,
    }
    if needy:
        for field, value in rng.sample(
            [
                ("living_situation", "worried"),
                ("housing_problems", ["mold", "pests"]),
                ("food_worry", "sometimes"),
                ("food_ran_out", "often"),
                ("transportation", "yes"),
                ("utilities", "already_shut_off"),
            ],
            rng.randint(1, 3),
        ):
            answers[field] = value
    return answers


def seed_complexity(*, actor: User, rng: random.Random | None = None) -> int:
    """Evidence for every patient of the actor's organisation; returns the flagged count."""
    rng = rng or random.Random(311)  # noqa: S311 - synthetic data, not security
    today = timezone.localdate()
    if actor.organisation_id is None:
        return 0
    patients = list(Patient.objects.filter(organisation_id=actor.organisation_id).order_by("id"))
    conditions: list[Condition] = []
    encounters: list[Encounter] = []
    screens: list[SdohScreen] = []
    deprivation: list[AreaDeprivation] = []
    for index, patient in enumerate(patients):
        # Profiles: 0 complex in all three domains; 1 sick but not using care;
        # 2 heavy user without social need; 3..5 everyday primary-care patients.
        profile = index % 6
        codes = set(rng.sample(EVERYDAY, rng.randint(1, 4)))
        if profile in (0, 1, 2):
            codes |= set(rng.sample(HEART_KIDNEY, 2)) | set(rng.sample(LUNG + METABOLIC, 2))
            if rng.random() < 0.3:
                codes.add(rng.choice(SERIOUS))
        elif rng.random() < 0.3:
            codes.add(rng.choice(LUNG + METABOLIC))
        for code in sorted(codes):
            onset = today - timedelta(days=rng.randint(200, 4000))
            conditions.append(condition_build(patient=patient, code=code, onset_date=onset))
        acute = {0: rng.randint(2, 4), 1: 0, 2: rng.randint(2, 5)}.get(profile, rng.randint(0, 1))
        for _ in range(acute):
            admitted = today - timedelta(days=rng.randint(3, 330))
            inpatient = rng.random() < 0.4
            encounters.append(
                encounter_build(
                    patient=patient,
                    kind="inpatient" if inpatient else "ed",
                    admit_date=admitted,
                    discharge_date=admitted + timedelta(days=rng.randint(2, 7) if inpatient else 0),
                    attending_provider=rng.choice(PROVIDERS),
                    facility=rng.choice(FACILITIES),
                    cost=Decimal(rng.randint(9000, 42000) if inpatient else rng.randint(600, 2500)),
                )
            )
        for _ in range(rng.randint(1, 4)):
            encounters.append(
                encounter_build(
                    patient=patient,
                    kind="outpatient",
                    admit_date=today - timedelta(days=rng.randint(1, 360)),
                    attending_provider=rng.choice(PROVIDERS),
                    cost=Decimal(rng.randint(90, 400)),
                )
            )
        needy = profile in (0, 1) or rng.random() < 0.15
        if profile == 2 or rng.random() < 0.6:
            cleaned = hrsn.clean_answers(_answers(rng, needy))
            result = hrsn.score(cleaned)
            screens.append(
                SdohScreen(
                    patient=patient,
                    screened_on=today - timedelta(days=rng.randint(5, 200)),
                    screened_by=actor,
                    **cleaned,
                    housing_positive=result.housing,
                    food_positive=result.food,
                    transportation_positive=result.transportation,
                    utilities_positive=result.utilities,
                    safety_positive=result.safety,
                    safety_score=result.safety_score,
                )
            )
        if rng.random() < 0.05:
            deprivation.append(AreaDeprivation(patient=patient, suppression_code="PH"))
        else:
            percentile = rng.randint(80, 99) if needy else rng.randint(5, 75)
            deprivation.append(
                AreaDeprivation(
                    patient=patient,
                    national_percentile=percentile,
                    state_decile=max(1, min(10, (percentile + 9) // 10)),
                )
            )
    for condition in conditions:
        condition.recorded_by = actor
    for encounter in encounters:
        encounter.recorded_by = actor
    for deprivation_row in deprivation:
        deprivation_row.recorded_by = actor
    Condition.objects.bulk_create(conditions, batch_size=1000)
    Encounter.objects.bulk_create(encounters, batch_size=1000)
    SdohScreen.objects.bulk_create(screens, batch_size=1000)
    AreaDeprivation.objects.bulk_create(deprivation, batch_size=1000)
    for label, rows in (
        ("condition", conditions),
        ("encounter", encounters),
        ("sdohscreen", screens),
        ("areadeprivation", deprivation),
    ):
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            object_type=f"patients.{label}",
            patient_ids=sorted({row.patient_id for row in rows}),
            detail={"rows": len(rows), "demo": True},
        )
    assert actor.organisation_id is not None  # noqa: S101 - the demo admin has one
    return complexity_recompute(organisation_id=actor.organisation_id, actor=actor).flagged
