"""Patient and the chart's clinical rows: Condition, Encounter, QuestionnaireResponse,
Observation, MedicationStatement and AllergyIntolerance."""

from typing import Any

from django.db.models import Q, QuerySet

from apps.fhir import systems
from apps.fhir.callers import FhirCaller
from apps.fhir.permissions import fhir_visible_patients
from apps.fhir.resources.base import (
    Json,
    ResourceType,
    Source,
    coding,
    concept,
    day,
    drop_empty,
    instant,
    meta,
    ref,
    register,
    register_about_a_patient,
    text_concept,
)
from apps.patients.hrsn import DOMAIN_LABELS, DOMAINS
from apps.patients.models import (
    Allergy,
    Condition,
    ConditionStatus,
    Encounter,
    EncounterKind,
    Medication,
    MedicationStatus,
    Patient,
    PatientIdentifier,
    SdohScreen,
)

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition"


# --- Patient --------------------------------------------------------------------------------


def _patients(caller: FhirCaller) -> QuerySet[Patient]:
    return fhir_visible_patients(caller).prefetch_related("identifiers")


def _patient_identifier(system: str | None, value: str) -> Q:
    """`identifier=[system|]value`: the organisation's MRN or another system's identifier."""
    other = PatientIdentifier.objects.filter(value=value)
    if system is None:
        return Q(mrn=value) | Q(pk__in=other.values("patient_id"))
    prefix = f"{systems.CAREGRAPH}/sid/organisation/"
    if system.startswith(prefix) and system.endswith("/mrn"):
        organisation = system[len(prefix) : -len("/mrn")]
        if not organisation.isdigit():
            return Q(pk__in=[])
        return Q(mrn=value, organisation_id=int(organisation))
    matching = [
        row.patient_id
        for row in other.only("patient_id", "assigning_authority")
        if systems.authority_system(row.assigning_authority) == system
    ]
    return Q(pk__in=matching)


def patient_resource(patient: Patient) -> Json:
    identifiers = [
        {
            "use": "usual",
            "type": concept(systems.V2_IDENTIFIER_TYPE, "MR", "Medical record number"),
            "system": systems.mrn_system(patient.organisation_id),
            "value": patient.mrn,
        }
    ] + [
        {
            "type": {"coding": [coding(systems.V2_IDENTIFIER_TYPE, row.type_code)]},
            "system": systems.authority_system(row.assigning_authority),
            "value": row.value,
        }
        for row in patient.identifiers.all()
    ]
    telecom = [
        {"system": "phone", "value": patient.phone, "use": "home"} if patient.phone else None,
        {"system": "email", "value": patient.email} if patient.email else None,
    ]
    address = drop_empty(
        {
            "line": [patient.address_line] if patient.address_line else None,
            "city": patient.city,
            "state": patient.state,
            "postalCode": patient.postal_code,
        }
    )
    data: Json = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "meta": meta(patient, profile=f"{US_CORE}/us-core-patient"),
        "identifier": identifiers,
        "active": patient.is_active,
        "name": [{"use": "official", "family": patient.family_name, "given": [patient.given_name]}],
        "telecom": [item for item in telecom if item],
        "gender": patient.sex,
        "birthDate": day(patient.date_of_birth),
        "address": [address] if address else None,
        "communication": (
            [{"language": text_concept(patient.preferred_language), "preferred": True}]
            if patient.preferred_language
            else None
        ),
        "generalPractitioner": None,
    }
    if patient.deceased:
        data["deceasedDateTime" if patient.deceased_at else "deceasedBoolean"] = (
            instant(patient.deceased_at) if patient.deceased_at else True
        )
    return drop_empty(data)


PATIENT = register(
    ResourceType(
        name="Patient",
        sources=(
            Source(
                model=Patient,
                rows=_patients,
                render=patient_resource,
                patient_field="pk",
                identifier=_patient_identifier,
            ),
        ),
        profile=f"{US_CORE}/us-core-patient",
    )
)


# --- Condition ------------------------------------------------------------------------------


def _conditions(caller: FhirCaller) -> QuerySet[Condition]:
    return Condition.objects.filter(patient__in=fhir_visible_patients(caller))


def condition_resource(condition: Condition) -> Json:
    active = condition.status == ConditionStatus.ACTIVE
    return drop_empty(
        {
            "resourceType": "Condition",
            "id": str(condition.pk),
            "meta": meta(condition),
            "clinicalStatus": concept(
                systems.CONDITION_CLINICAL, "active" if active else "resolved"
            ),
            "verificationStatus": concept(systems.CONDITION_VERIFICATION, "confirmed"),
            "category": [concept(systems.CONDITION_CATEGORY, "problem-list-item")],
            "code": {
                "coding": [coding(condition.code_system, condition.code, condition.title)],
                **({"text": condition.title} if condition.title else {}),
            },
            "subject": ref("Patient", condition.patient_id),
            "onsetDateTime": day(condition.onset_date),
            "abatementDateTime": day(condition.resolved_date),
            "recordedDate": instant(condition.created_at),
        }
    )


register_about_a_patient("Condition", model=Condition, rows=_conditions, render=condition_resource)


# --- Encounter ------------------------------------------------------------------------------

ENCOUNTER_CLASS = {
    EncounterKind.ED: ("EMER", "emergency"),
    EncounterKind.INPATIENT: ("IMP", "inpatient encounter"),
    EncounterKind.OBSERVATION: ("OBSENC", "observation encounter"),
    EncounterKind.SNF: ("NONAC", "inpatient non-acute"),
    EncounterKind.OUTPATIENT: ("AMB", "ambulatory"),
}


def _encounters(caller: FhirCaller) -> QuerySet[Encounter]:
    return Encounter.objects.filter(patient__in=fhir_visible_patients(caller))


def encounter_resource(encounter: Encounter) -> Json:
    code, display = ENCOUNTER_CLASS[EncounterKind(encounter.kind)]
    finished = encounter.discharge_date is not None or encounter.kind in (
        EncounterKind.ED,
        EncounterKind.OUTPATIENT,
    )
    return drop_empty(
        {
            "resourceType": "Encounter",
            "id": str(encounter.pk),
            "meta": meta(encounter),
            "status": "finished" if finished else "in-progress",
            "class": coding(systems.ACT_CODE, code, display),
            "type": [text_concept(encounter.get_kind_display())],
            "subject": ref("Patient", encounter.patient_id),
            "period": drop_empty(
                {"start": day(encounter.admit_date), "end": day(encounter.discharge_date)}
            ),
            "serviceProvider": {"display": encounter.facility} if encounter.facility else None,
            "participant": (
                [{"individual": {"display": encounter.attending_provider}}]
                if encounter.attending_provider
                else None
            ),
        }
    )


register_about_a_patient("Encounter", model=Encounter, rows=_encounters, render=encounter_resource)


# --- QuestionnaireResponse: the AHC HRSN screen, as answered --------------------------------

HRSN_ITEMS = (
    ("living_situation", "Living situation"),
    ("housing_problems", "Problems with the place you live"),
    ("food_worry", "Worried food would run out"),
    ("food_ran_out", "Food ran out"),
    ("transportation", "Lack of transportation kept you from appointments"),
    ("utilities", "Utility company threatened to shut off services"),
    ("safety_hurt", "How often does anyone physically hurt you"),
    ("safety_insult", "How often does anyone insult or talk down to you"),
    ("safety_threaten", "How often does anyone threaten you with harm"),
    ("safety_scream", "How often does anyone scream or curse at you"),
)


def _answers(value: Any) -> list[Json]:
    if isinstance(value, list):
        return [{"valueString": str(item)} for item in value]
    if isinstance(value, int):
        return [{"valueInteger": value}]
    return [{"valueString": str(value)}] if value not in (None, "") else []


def _screens(caller: FhirCaller) -> QuerySet[SdohScreen]:
    return SdohScreen.objects.filter(patient__in=fhir_visible_patients(caller))


def screen_resource(screen: SdohScreen) -> Json:
    items = [
        drop_empty(
            {
                "linkId": systems.HRSN_ITEM_LOINC[name],
                "text": text,
                "answer": _answers(getattr(screen, name)),
            }
        )
        for name, text in HRSN_ITEMS
    ]
    return drop_empty(
        {
            "resourceType": "QuestionnaireResponse",
            "id": str(screen.pk),
            "meta": meta(screen),
            "questionnaire": systems.HRSN_QUESTIONNAIRE,
            "status": "completed",
            "subject": ref("Patient", screen.patient_id),
            "authored": day(screen.screened_on),
            "author": ref("Practitioner", screen.screened_by_id),
            "item": items,
        }
    )


register_about_a_patient(
    "QuestionnaireResponse", model=SdohScreen, rows=_screens, render=screen_resource
)


# --- Observation: the screen's scored result, one per screen --------------------------------

OBSERVATION_PREFIX = "hrsn-"


def screen_observation_resource(screen: SdohScreen) -> Json:
    """What the screen found: each AHC HRSN domain positive or not, and the safety score."""
    components = [
        {
            "code": concept(systems.HRSN_DOMAIN, domain, f"Need: {DOMAIN_LABELS[domain]}"),
            "valueBoolean": bool(getattr(screen, f"{domain}_positive")),
        }
        for domain in DOMAINS
    ]
    components.append(
        {
            "code": concept(systems.HRSN_DOMAIN, "safety_score", "Interpersonal safety score"),
            "valueInteger": screen.safety_score,
        }
    )
    return drop_empty(
        {
            "resourceType": "Observation",
            "id": f"{OBSERVATION_PREFIX}{screen.pk}",
            "meta": meta(screen),
            "status": "final",
            "category": [
                concept(systems.OBSERVATION_CATEGORY, "survey", "Survey"),
                concept(systems.OBSERVATION_CATEGORY, "social-history", "Social History"),
            ],
            "code": concept(systems.LOINC, "96777-8", "AHC HRSN screening tool"),
            "subject": ref("Patient", screen.patient_id),
            "effectiveDateTime": day(screen.screened_on),
            "performer": [ref("Practitioner", screen.screened_by_id)],
            "derivedFrom": [ref("QuestionnaireResponse", screen.pk)],
            "component": components,
        }
    )


register(
    ResourceType(
        name="Observation",
        sources=(
            Source(
                model=SdohScreen,
                rows=_screens,
                render=screen_observation_resource,
                patient_field="patient_id",
                prefix=OBSERVATION_PREFIX,
            ),
        ),
        includes={"Observation:patient": "Patient", "Observation:subject": "Patient"},
    )
)


# --- MedicationStatement: the chart's medication list -----------------------------------------


def _medications(caller: FhirCaller) -> QuerySet[Medication]:
    return Medication.objects.filter(patient__in=fhir_visible_patients(caller))


def medication_resource(medication: Medication) -> Json:
    active = medication.status == MedicationStatus.ACTIVE
    code = (
        [coding(systems.RXNORM, medication.rxnorm_code, medication.display)]
        if medication.rxnorm_code
        else []
    )
    return drop_empty(
        {
            "resourceType": "MedicationStatement",
            "id": str(medication.pk),
            "meta": meta(medication),
            "status": "active" if active else "stopped",
            "medicationCodeableConcept": drop_empty({"coding": code, "text": medication.display}),
            "subject": ref("Patient", medication.patient_id),
            "effectivePeriod": drop_empty(
                {"start": day(medication.start_date), "end": day(medication.end_date)}
            ),
            "dosage": [{"text": medication.dose_text}] if medication.dose_text else None,
        }
    )


register_about_a_patient(
    "MedicationStatement", model=Medication, rows=_medications, render=medication_resource
)


# --- AllergyIntolerance ---------------------------------------------------------------------


def _allergies(caller: FhirCaller) -> QuerySet[Allergy]:
    return Allergy.objects.filter(patient__in=fhir_visible_patients(caller))


def allergy_resource(allergy: Allergy) -> Json:
    code = (
        [coding(allergy.substance_system, allergy.substance_code, allergy.substance_display)]
        if allergy.substance_system and allergy.substance_code
        else []
    )
    return drop_empty(
        {
            "resourceType": "AllergyIntolerance",
            "id": str(allergy.pk),
            "meta": meta(allergy),
            "clinicalStatus": concept(systems.ALLERGY_CLINICAL, allergy.status),
            "criticality": allergy.criticality,
            "code": drop_empty({"coding": code, "text": allergy.substance_display}),
            "patient": ref("Patient", allergy.patient_id),
            "reaction": (
                [{"manifestation": [text_concept(allergy.reaction_text)]}]
                if allergy.reaction_text
                else None
            ),
        }
    )


register_about_a_patient(
    "AllergyIntolerance", model=Allergy, rows=_allergies, render=allergy_resource, subject=""
)
