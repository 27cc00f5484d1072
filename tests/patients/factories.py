"""Clinical test data for the complex-needs evidence, written through the real services."""

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from apps.accounts.models import User
from apps.patients.models import Patient, SdohScreen
from apps.patients.services import clinical

NEGATIVE_SCREEN: dict[str, Any] = {
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


def days_ago(days: int) -> date:
    return timezone.localdate() - timedelta(days=days)


def add_conditions(actor: User, patient: Patient, *codes: str) -> None:
    for code in codes:
        clinical.condition_add(actor=actor, patient=patient, code=code)


def add_encounters(actor: User, patient: Patient, kind: str, *ages: int, **extra: Any) -> None:
    for age in ages:
        clinical.encounter_add(
            actor=actor, patient=patient, kind=kind, admit_date=days_ago(age), **extra
        )


def screen(actor: User, patient: Patient, days: int = 1, **answers: Any) -> SdohScreen:
    return clinical.sdoh_screen_record(
        actor=actor, patient=patient, screened_on=days_ago(days), answers=NEGATIVE_SCREEN | answers
    )


def make_complex(actor: User, patient: Patient) -> None:
    """Evidence that crosses every default threshold: CCI 5, 2 ED visits, ADI 91."""
    add_conditions(actor, patient, "I50.9", "N18.4", "E11.22", "J44.9")
    add_encounters(actor, patient, "ed", 20, 90)
    clinical.patient_area_deprivation_set(
        actor=actor, patient=patient, national_percentile=91, state_decile=9
    )
