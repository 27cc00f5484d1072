"""A Synthea-shaped population: per patient, the resources an EHR export holds.

Writes either one transaction Bundle per patient (as Synthea's default output,
entries referring to each other by urn:uuid fullUrls) or a bulk `$export`
folder (one NDJSON file per resource type). Content is made up here; only the
shapes follow Synthea and the FHIR R4 examples (see samples/README.md).

    python -m tests.fhir.generate OUT --patients 100 --organisation 1 [--bundles]
"""

import argparse
import json
import uuid
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from apps.fhir import systems

ICD10_CODES = (("E11.9", "Type 2 diabetes"), ("I50.9", "Heart failure"), ("J44.9", "COPD"))
SNOMED_FINDING = ("73595000", "Stress (finding)")
MEDICATIONS = (
    ("860975", "metformin 500 MG oral tablet"),
    ("197361", "amlodipine 5 MG oral tablet"),
    ("314076", "lisinopril 10 MG oral tablet"),
)
# What one patient contributes, by type: the expected import counts follow from it.
PER_PATIENT = {
    "Patient": 1,
    "Condition": 3,
    "Encounter": 2,
    "AllergyIntolerance": 1,
    "MedicationRequest": 2,
    "MedicationStatement": 1,
    "Appointment": 1,
    "DocumentReference": 1,
    "Observation": 1,
    "QuestionnaireResponse": 1,
}
HRSN_ANSWERS = {
    "71802-3": {"valueString": "steady"},
    "96778-6": {"valueString": "none"},
    "88122-7": {"valueString": "often"},
    "88123-5": {"valueString": "sometimes"},
    "93030-5": {"valueString": "no"},
    "96779-4": {"valueString": "no"},
    "95618-5": {"valueInteger": 1},
    "95617-7": {"valueInteger": 1},
    "95616-9": {"valueInteger": 1},
    "95615-1": {"valueInteger": 1},
}


def _ref(uid: str, *, urn: bool) -> dict[str, str]:
    return {"reference": f"urn:uuid:{uid}" if urn else f"Patient/{uid}"}


def patient_resources(
    number: int, mrn: str, organisation_id: int, *, urn: bool = False, base: date | None = None
) -> list[dict[str, Any]]:
    """The resources of one patient; ids derive from `number`, so a rerun is identical."""
    base = base or date(2025, 6, 1)
    pid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"caregraph-test-patient-{number}"))
    subject = _ref(pid, urn=urn)

    def rid(kind: str, index: int = 0) -> str:
        return f"{kind.lower()}-{number}-{index}"

    day = (base - timedelta(days=number % 200)).isoformat()
    out: list[dict[str, Any]] = [
        {
            "resourceType": "Patient",
            "id": pid,
            "meta": {"versionId": "1"},
            "identifier": [
                {
                    "type": {"coding": [{"system": systems.V2_IDENTIFIER_TYPE, "code": "MR"}]},
                    "system": systems.mrn_system(organisation_id),
                    "value": mrn,
                }
            ],
            "name": [{"family": f"Family{number}", "given": [f"Given{number}"]}],
            "gender": "female" if number % 2 else "male",
            "birthDate": f"{1940 + number % 50}-03-0{1 + number % 9}",
        }
    ]
    for index, (code, display) in enumerate(ICD10_CODES[:2]):
        out.append(
            {
                "resourceType": "Condition",
                "id": rid("Condition", index),
                "clinicalStatus": {"coding": [{"code": "active"}]},
                "code": {"coding": [{"system": systems.ICD10CM, "code": code, "display": display}]},
                "subject": subject,
                "onsetDateTime": day,
            }
        )
    out.append(
        {
            "resourceType": "Condition",
            "id": rid("Condition", 2),
            "clinicalStatus": {"coding": [{"code": "active"}]},
            "code": {
                "coding": [
                    {
                        "system": systems.SNOMED,
                        "code": SNOMED_FINDING[0],
                        "display": SNOMED_FINDING[1],
                    }
                ]
            },
            "subject": subject,
            "onsetDateTime": day,
        }
    )
    for index, klass in enumerate(("EMER", "AMB")):
        out.append(
            {
                "resourceType": "Encounter",
                "id": rid("Encounter", index),
                "status": "finished",
                "class": {"system": systems.ACT_CODE, "code": klass},
                "subject": subject,
                "period": {"start": f"{day}T08:00:00Z", "end": f"{day}T11:00:00Z"},
                "serviceProvider": {"display": "General Hospital"},
            }
        )
    out.append(
        {
            "resourceType": "AllergyIntolerance",
            "id": rid("AllergyIntolerance"),
            "clinicalStatus": {"coding": [{"code": "active"}]},
            "criticality": "high",
            "code": {
                "coding": [{"system": systems.SNOMED, "code": "91936005", "display": "Penicillin"}]
            },
            "patient": subject,
            "reaction": [{"manifestation": [{"text": "Hives"}]}],
        }
    )
    for index, (code, display) in enumerate(MEDICATIONS[:2]):
        out.append(
            {
                "resourceType": "MedicationRequest",
                "id": rid("MedicationRequest", index),
                "status": "active",
                "intent": "order",
                "medicationCodeableConcept": {
                    "coding": [{"system": systems.RXNORM, "code": code, "display": display}],
                    "text": display,
                },
                "subject": subject,
                "authoredOn": day,
                "dosageInstruction": [{"text": "1 tablet daily"}],
            }
        )
    code, display = MEDICATIONS[2]
    out.append(
        {
            "resourceType": "MedicationStatement",
            "id": rid("MedicationStatement"),
            "status": "completed",
            "medicationCodeableConcept": {
                "coding": [{"system": systems.RXNORM, "code": code, "display": display}]
            },
            "subject": subject,
            "effectivePeriod": {"start": day, "end": day},
        }
    )
    out.append(
        {
            "resourceType": "Appointment",
            "id": rid("Appointment"),
            "status": "booked",
            "description": "Follow-up visit",
            "start": f"{day}T14:00:00Z",
            "end": f"{day}T14:30:00Z",
            "participant": [
                {"actor": subject, "status": "accepted"},
                {
                    "actor": {"reference": "Practitioner/pr-1", "display": "Dr. Example"},
                    "status": "accepted",
                },
            ],
        }
    )
    out.append(
        {
            "resourceType": "DocumentReference",
            "id": rid("DocumentReference"),
            "status": "current",
            "type": {
                "coding": [
                    {
                        "system": systems.LOINC,
                        "code": systems.LOINC_DISCHARGE_SUMMARY,
                        "display": "Discharge summary",
                    }
                ]
            },
            "subject": subject,
            "date": f"{day}T12:00:00Z",
            "content": [
                {"attachment": {"title": "Discharge summary", "url": "https://ehr.example/doc/1"}}
            ],
        }
    )
    out.append(
        {
            "resourceType": "Observation",
            "id": rid("Observation"),
            "status": "final",
            "code": {
                "coding": [{"system": systems.LOINC, "code": "8867-4", "display": "Heart rate"}]
            },
            "subject": subject,
            "effectiveDateTime": f"{day}T08:05:00Z",
            "valueQuantity": {"value": 70 + number % 20, "unit": "/min"},
        }
    )
    out.append(
        {
            "resourceType": "QuestionnaireResponse",
            "id": rid("QuestionnaireResponse"),
            "status": "completed",
            "questionnaire": f"http://loinc.org/q/{systems.LOINC_AHC_HRSN_PANEL}",
            "subject": subject,
            "authored": day,
            "item": [{"linkId": link, "answer": [answer]} for link, answer in HRSN_ANSWERS.items()],
        }
    )
    return out


def bundle(resources: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A transaction Bundle, Synthea style: urn:uuid fullUrls, POST requests."""
    entries = []
    for resource in resources:
        full_url = (
            f"urn:uuid:{resource['id']}"
            if resource["resourceType"] == "Patient"
            else f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, resource['id'])}"
        )
        entries.append(
            {
                "fullUrl": full_url,
                "resource": resource,
                "request": {"method": "POST", "url": resource["resourceType"]},
            }
        )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def history(number: int, count: int, *, base: date | None = None) -> list[dict[str, Any]]:
    """`count` more resources of a long record, as Synthea writes years of: office visits
    (Encounter rows on the chart) and their vital signs (Observations, read and skipped)."""
    base = base or date(2025, 6, 1)
    pid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"caregraph-test-patient-{number}"))
    out: list[dict[str, Any]] = []
    for index in range(count):
        day = (base - timedelta(days=30 * (index // 2 + 1) + number % 30)).isoformat()
        if index % 2 == 0:
            out.append(
                {
                    "resourceType": "Encounter",
                    "id": f"visit-{number}-{index}",
                    "status": "finished",
                    "class": {"system": systems.ACT_CODE, "code": "AMB"},
                    "subject": {"reference": f"Patient/{pid}"},
                    "period": {"start": f"{day}T09:00:00Z", "end": f"{day}T09:30:00Z"},
                    "serviceProvider": {"display": "Family Practice"},
                }
            )
        else:
            out.append(
                {
                    "resourceType": "Observation",
                    "id": f"vitals-{number}-{index}",
                    "status": "final",
                    "code": {
                        "coding": [
                            {"system": systems.LOINC, "code": "8867-4", "display": "Heart rate"}
                        ]
                    },
                    "subject": {"reference": f"Patient/{pid}"},
                    "effectiveDateTime": f"{day}T09:05:00Z",
                    "valueQuantity": {"value": 60 + index % 30, "unit": "/min"},
                }
            )
    return out


def population(
    mrns: Iterable[str], organisation_id: int, *, urn: bool = False, per_patient: int = 0
) -> Iterator[list[dict[str, Any]]]:
    """Each patient's resources; `per_patient` pads every record to that many with
    `history` (0: the plain record of PER_PATIENT)."""
    plain = sum(PER_PATIENT.values())
    for number, mrn in enumerate(mrns, start=1):
        resources = patient_resources(number, mrn, organisation_id, urn=urn)
        if per_patient > plain and not urn:
            resources += history(number, per_patient - plain)
        yield resources


def write_ndjson(
    folder: Path, mrns: Iterable[str], organisation_id: int, *, per_patient: int = 0
) -> dict[str, int]:
    """A bulk-export folder: one NDJSON file per type, written patient by patient."""
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with ExitStack() as stack:
        files: dict[str, Any] = {}
        for resources in population(mrns, organisation_id, per_patient=per_patient):
            for resource in resources:
                kind = resource["resourceType"]
                if kind not in files:
                    files[kind] = stack.enter_context((folder / f"{kind}.ndjson").open("w"))
                files[kind].write(json.dumps(resource, separators=(",", ":")) + "\n")
                counts[kind] = counts.get(kind, 0) + 1
    return counts


def write_bundles(folder: Path, mrns: Iterable[str], organisation_id: int) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for number, resources in enumerate(population(mrns, organisation_id, urn=True), start=1):
        (folder / f"patient-{number}.json").write_text(json.dumps(bundle(resources)))
        written += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out")
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--organisation", type=int, default=1)
    parser.add_argument("--mrn-prefix", default="GEN")
    parser.add_argument("--bundles", action="store_true")
    parser.add_argument(
        "--per-patient", type=int, default=0, help="Pad each NDJSON record to this many resources"
    )
    options = parser.parse_args()
    mrns = (f"{options.mrn_prefix}{n:07d}" for n in range(1, options.patients + 1))
    if options.bundles:
        write_bundles(Path(options.out), mrns, options.organisation)
    else:
        write_ndjson(Path(options.out), mrns, options.organisation, per_patient=options.per_patient)


if __name__ == "__main__":
    main()
