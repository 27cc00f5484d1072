"""About 200 synthetic patients spread over the demo teams."""

import random
from datetime import date, timedelta

from apps.accounts.models import User
from apps.patients.models import Patient, Sex
from apps.patients.services import patient_create, patient_identifier_add
from apps.teams.models import CareTeam

GIVEN_FEMALE = [
    "Mary",
    "Linda",
    "Rosa",
    "Fatima",
    "Mei",
    "Grace",
    "Olga",
    "Amara",
    "Lucia",
    "Joan",
    "Keisha",
    "Ngoc",
    "Ruth",
    "Ines",
    "Hannah",
    "Sofia",
    "Dolores",
    "Yasmin",
]
GIVEN_MALE = [
    "James",
    "Robert",
    "Jose",
    "Ahmed",
    "Wei",
    "Samuel",
    "Ivan",
    "Kwame",
    "Luis",
    "Frank",
    "Darnell",
    "Minh",
    "Walter",
    "Rafael",
    "Noah",
    "Omar",
    "Harold",
    "Tariq",
]
FAMILY = [
    "Johnson",
    "Garcia",
    "Nguyen",
    "Williams",
    "Hernandez",
    "Smith",
    "Brown",
    "Khan",
    "Lopez",
    "Martin",
    "Jackson",
    "Kowalski",
    "Okoro",
    "Rossi",
    "Cohen",
    "Tran",
    "Baker",
    "Murphy",
    "Ortiz",
    "Ali",
    "Petrova",
    "Washington",
    "Silva",
    "Yamamoto",
    "Mensah",
]
LANGUAGES = ["English"] * 7 + ["Spanish", "Spanish", "Vietnamese", "Arabic", "Russian"]
RACE_ETHNICITY = [
    "White",
    "Black or African American",
    "Hispanic or Latino",
    "Asian",
    "American Indian or Alaska Native",
    "Native Hawaiian or Pacific Islander",
    "Two or more races",
    "Declined",
]
STREETS = ["Main St", "Oak Ave", "River Rd", "Maple Dr", "Harbor Blvd", "Elm St", "Pine Ct"]
HOSPITAL_AUTHORITY = "GENHOSP"


def seed_patients(
    *, actor: User, teams: list[CareTeam], count: int = 200, rng: random.Random | None = None
) -> list[Patient]:
    rng = rng or random.Random(2026)  # noqa: S311 - synthetic data, not security
    patients = []
    today = date(2026, 11, 1)
    for number in range(1, count + 1):
        sex = rng.choice([Sex.FEMALE, Sex.MALE])
        given = rng.choice(GIVEN_FEMALE if sex == Sex.FEMALE else GIVEN_MALE)
        language = rng.choice(LANGUAGES)
        patient = patient_create(
            actor=actor,
            care_team=teams[(number - 1) % len(teams)],
            mrn=f"{100000 + number}",
            given_name=given,
            family_name=rng.choice(FAMILY),
            date_of_birth=today - timedelta(days=rng.randint(30 * 365, 92 * 365)),
            sex=sex,
            preferred_language=language,
            interpreter_needed=language != "English" and rng.random() < 0.6,
            race_ethnicity=rng.choice(RACE_ETHNICITY),
            phone=f"555-01{rng.randint(0, 99):02d}",
            address_line=f"{rng.randint(1, 999)} {rng.choice(STREETS)}",
            city="Riverside",
            state="NY",
            postal_code=f"1{rng.randint(1000, 4999)}",
        )
        patient_identifier_add(
            actor=actor,
            patient=patient,
            assigning_authority=HOSPITAL_AUTHORITY,
            value=f"H{500000 + number}",
        )
        patients.append(patient)
    return patients
