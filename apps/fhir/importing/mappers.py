"""From one FHIR resource to the values of one chart row.

A mapper reads the resource (already validated against the R4B model) and
returns the model and the values it becomes, or raises `Unmappable` with a
reason the report shows. Mappers write nothing: the import service saves what
they return, in one transaction per resource.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from apps.fhir import systems
from apps.patients import hrsn, icd10
from apps.patients.models import (
    Allergy,
    AllergyCriticality,
    AllergyStatus,
    Appointment,
    AppointmentStatus,
    ClinicalDocument,
    Condition,
    ConditionStatus,
    Encounter,
    EncounterKind,
    Medication,
    MedicationStatus,
    Patient,
    SdohScreen,
)

# Condition code systems kept; only ICD-10-CM is scored (Charlson). Anything else is refused
# as an unknown code system, so a typo in a system URI never passes silently.
CONDITION_SYSTEMS = (systems.ICD10CM, systems.SNOMED, systems.ICD10)


class Unmappable(Exception):
    """The resource cannot become a chart row; the message says why."""


class NotImported(Exception):
    """A resource of a kind caregraph does not keep (a lab result, a vital sign): skipped."""


class WaitingForMatch(Exception):
    """The resource's patient is on the match queue; nothing is written until matched."""


@dataclass
class Mapped:
    model: type[models.Model]
    values: dict[str, Any]
    patient: Patient
    # A row written without this import that the resource describes (the same active
    # condition typed by hand): updated in place rather than duplicated.
    same_as: Callable[[], models.Model | None] = lambda: None
    extra: dict[str, Any] = field(default_factory=dict)
    # What `same_as` looks for, so an importer can answer it for a whole batch at once:
    # (code system, code) of an active condition.
    same_key: tuple[str, str] | None = None


PatientLookup = Callable[[Any, str], Patient]


# --- small readers ---------------------------------------------------------------------------


def _codings(concept: Any) -> list[dict[str, Any]]:
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, dict)]


def _coding(concept: Any, system: str) -> dict[str, Any] | None:
    return next((c for c in _codings(concept) if c.get("system") == system), None)


def _text(concept: Any) -> str:
    if not isinstance(concept, dict):
        return ""
    if concept.get("text"):
        return str(concept["text"])
    return next((str(c["display"]) for c in _codings(concept) if c.get("display")), "")


def _first_code(concept: Any) -> str:
    return next((str(c["code"]) for c in _codings(concept) if c.get("code")), "")


def _date(value: Any, name: str) -> date | None:
    if not value:
        return None
    text = str(value)
    parsed = parse_date(text[:10]) if len(text) >= 10 else None
    if parsed is None and len(text) in (4, 7):
        # FHIR partial dates: a year, or a year and month.
        parsed = parse_date(f"{text}-01-01"[:10] if len(text) == 4 else f"{text}-01")
    if parsed is None:
        raise Unmappable(f"{name} is not a date.")
    return parsed


def _datetime(value: Any, name: str) -> datetime | None:
    if not value:
        return None
    text = str(value)
    parsed = parse_datetime(text)
    if parsed is None:
        day = _date(text, name)
        return timezone.make_aware(datetime.combine(day, time(12))) if day else None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _not_future(day: date | None, name: str) -> None:
    if day is not None and day > timezone.localdate():
        raise Unmappable(f"{name} is in the future.")


def _clip(value: Any, length: int) -> str:
    return str(value or "").strip()[:length]


def _reference(resource: dict[str, Any], *path: str) -> str:
    node: Any = resource
    for name in path:
        node = node.get(name) if isinstance(node, dict) else None
    if not isinstance(node, dict) or not node.get("reference"):
        raise Unmappable(f"No {'.'.join(path)} reference: whose record is this?")
    return str(node["reference"])


# --- per resource ----------------------------------------------------------------------------


def condition(resource: dict[str, Any], patient_for: PatientLookup) -> Mapped:
    patient = patient_for(resource, _reference(resource, "subject"))
    concept = resource.get("code")
    coding = next(
        (_coding(concept, system) for system in CONDITION_SYSTEMS if _coding(concept, system)),
        None,
    )
    if coding is None:
        found = sorted({str(c.get("system") or "no system") for c in _codings(concept)})
        raise Unmappable(
            f"Unknown code system ({', '.join(found) or 'no coding'}): "
            "give an ICD-10-CM or SNOMED CT code."
        )
    system = str(coding["system"])
    raw_code = str(coding.get("code") or "")
    if system == systems.ICD10CM:
        try:
            code = icd10.validate(raw_code)
        except icd10.InvalidCode as error:
            # The report holds no clinical values: the code itself is left out.
            raise Unmappable(
                "Not a billable ICD-10-CM code (unknown, malformed or too general)."
            ) from error
        title = icd10.title(code)
    else:
        code = raw_code.strip()
        if not code:
            raise Unmappable("The coding has no code.")
        title = str(coding.get("display") or _text(concept))
    if len(code) > 32:
        raise Unmappable("The code is longer than 32 characters.")
    # When it began, if the source says; the day it was recorded is not its onset.
    onset = _date(
        resource.get("onsetDateTime") or (resource.get("onsetPeriod") or {}).get("start"), "onset"
    )
    _not_future(onset, "onset")
    clinical_status = _first_code(resource.get("clinicalStatus")) or "active"
    resolved = None
    status = ConditionStatus.ACTIVE
    if clinical_status in {"inactive", "remission", "resolved"}:
        status = ConditionStatus.RESOLVED
        resolved = _date(resource.get("abatementDateTime"), "abatement") or onset
        resolved = resolved or timezone.localdate()
        _not_future(resolved, "abatement")
    values = {
        "code_system": system,
        "code": code,
        "title": title[:255],
        "onset_date": onset,
        "status": status,
        "resolved_date": resolved,
    }

    def same_as() -> models.Model | None:
        if status != ConditionStatus.ACTIVE:
            return None
        return Condition.objects.filter(
            patient=patient, code_system=system, code=code, status=ConditionStatus.ACTIVE
        ).first()

    same_key = (system, code) if status == ConditionStatus.ACTIVE else None
    return Mapped(Condition, values, patient, same_as=same_as, same_key=same_key)


ENCOUNTER_CLASSES = {
    "EMER": EncounterKind.ED,
    "IMP": EncounterKind.INPATIENT,
    "ACUTE": EncounterKind.INPATIENT,
    "NONAC": EncounterKind.INPATIENT,
    "OBSENC": EncounterKind.OBSERVATION,
    "SS": EncounterKind.OUTPATIENT,
    "AMB": EncounterKind.OUTPATIENT,
    "HH": EncounterKind.OUTPATIENT,
    "VR": EncounterKind.OUTPATIENT,
    "FLD": EncounterKind.OUTPATIENT,
}


def encounter(resource: dict[str, Any], patient_for: PatientLookup) -> Mapped:
    patient = patient_for(resource, _reference(resource, "subject"))
    klass = resource.get("class") or {}
    code = str(klass.get("code") or "") if isinstance(klass, dict) else ""
    if code not in ENCOUNTER_CLASSES:
        raise Unmappable(f"Unknown encounter class {code[:20]!r} ({systems.ACT_CODE}).")
    period = resource.get("period") or {}
    admit = _date(period.get("start"), "period.start")
    if admit is None:
        raise Unmappable("The encounter has no period.start.")
    discharge = _date(period.get("end"), "period.end")
    _not_future(admit, "period.start")
    _not_future(discharge, "period.end")
    if discharge and discharge < admit:
        raise Unmappable("period.end is before period.start.")
    participants = resource.get("participant") or []
    provider = next(
        (
            _clip((p.get("individual") or {}).get("display"), 120)
            for p in participants
            if isinstance(p, dict) and (p.get("individual") or {}).get("display")
        ),
        "",
    )
    values = {
        "kind": ENCOUNTER_CLASSES[code],
        "admit_date": admit,
        "discharge_date": discharge,
        "attending_provider": provider,
        "facility": _clip((resource.get("serviceProvider") or {}).get("display"), 120),
    }
    return Mapped(Encounter, values, patient)


ALLERGY_STATUSES = {s.value for s in AllergyStatus}
ALLERGY_CRITICALITIES = {c.value for c in AllergyCriticality}


def allergy(resource: dict[str, Any], patient_for: PatientLookup) -> Mapped:
    patient = patient_for(resource, _reference(resource, "patient"))
    concept = resource.get("code")
    codings = _codings(concept)
    substance = _text(concept)
    if not substance:
        raise Unmappable("The allergy names no substance (code.text or a coding's display).")
    first = codings[0] if codings else {}
    status = _first_code(resource.get("clinicalStatus")) or AllergyStatus.ACTIVE
    criticality = str(resource.get("criticality") or "")
    reactions = resource.get("reaction") or []
    reaction_text = ""
    if reactions and isinstance(reactions[0], dict):
        manifestations = reactions[0].get("manifestation") or []
        reaction_text = ", ".join(_text(m) for m in manifestations if _text(m))
        reaction_text = reaction_text or str(reactions[0].get("description") or "")
    values = {
        "substance_system": _clip(first.get("system"), 200),
        "substance_code": _clip(first.get("code"), 40),
        "substance_display": substance[:255],
        "criticality": criticality if criticality in ALLERGY_CRITICALITIES else "",
        "reaction_text": reaction_text[:255],
        "status": status if status in ALLERGY_STATUSES else AllergyStatus.ACTIVE,
    }
    return Mapped(Allergy, values, patient)


MEDICATION_ACTIVE = {"active", "intended", "on-hold", "draft"}


def medication(resource: dict[str, Any], patient_for: PatientLookup) -> Mapped:
    patient = patient_for(resource, _reference(resource, "subject"))
    concept = resource.get("medicationCodeableConcept")
    if concept is None:
        raise Unmappable("The medication is given by reference: send medicationCodeableConcept.")
    rxnorm = _coding(concept, systems.RXNORM)
    codings = _codings(concept)
    if codings and rxnorm is None:
        found = sorted({str(c.get("system") or "no system") for c in codings})
        raise Unmappable(f"Unknown code system ({', '.join(found)}): give an RxNorm code.")
    display = _text(concept) or str((rxnorm or {}).get("display") or "")
    if not display:
        raise Unmappable("The medication has no name (text or display).")
    if resource.get("resourceType") == "MedicationRequest":
        start = _date(resource.get("authoredOn"), "authoredOn")
        end = None
        dosages = resource.get("dosageInstruction") or []
    else:
        period = resource.get("effectivePeriod") or {}
        start = _date(resource.get("effectiveDateTime") or period.get("start"), "effective")
        end = _date(period.get("end"), "effectivePeriod.end")
        dosages = resource.get("dosage") or []
    if start and end and end < start:
        raise Unmappable("The medication ends before it starts.")
    dose = next((str(d["text"]) for d in dosages if isinstance(d, dict) and d.get("text")), "")
    status = str(resource.get("status") or "")
    values = {
        "rxnorm_code": _clip((rxnorm or {}).get("code"), 20),
        "display": display[:255],
        "dose_text": dose[:255],
        "status": MedicationStatus.ACTIVE
        if status in MEDICATION_ACTIVE
        else MedicationStatus.STOPPED,
        "start_date": start,
        "end_date": end,
    }
    return Mapped(Medication, values, patient)


APPOINTMENT_STATUSES = {
    "booked": AppointmentStatus.BOOKED,
    "pending": AppointmentStatus.BOOKED,
    "proposed": AppointmentStatus.BOOKED,
    "arrived": AppointmentStatus.FULFILLED,
    "checked-in": AppointmentStatus.FULFILLED,
    "fulfilled": AppointmentStatus.FULFILLED,
    "cancelled": AppointmentStatus.CANCELLED,
    "entered-in-error": AppointmentStatus.CANCELLED,
    "noshow": AppointmentStatus.NOSHOW,
}


def appointment(resource: dict[str, Any], patient_for: PatientLookup) -> Mapped:
    actors = [
        p.get("actor") or {}
        for p in resource.get("participant") or []
        if isinstance(p, dict) and isinstance(p.get("actor"), dict)
    ]
    patient_refs = [
        a["reference"] for a in actors if "Patient/" in str(a.get("reference") or "")
    ] or [a["reference"] for a in actors if str(a.get("reference") or "").startswith("urn:")]
    if not patient_refs:
        raise Unmappable("No participant is a Patient: whose appointment is this?")
    patient = patient_for(resource, str(patient_refs[0]))
    start = _datetime(resource.get("start"), "start")
    if start is None:
        raise Unmappable("The appointment has no start.")
    end = _datetime(resource.get("end"), "end")
    if end and end < start:
        raise Unmappable("The appointment ends before it starts.")

    def display_of(kind: str) -> str:
        return next(
            (
                _clip(a.get("display"), 120)
                for a in actors
                if str(a.get("reference") or "").startswith(kind) and a.get("display")
            ),
            "",
        )

    values = {
        "start": start,
        "end": end,
        "status": APPOINTMENT_STATUSES.get(str(resource.get("status")), AppointmentStatus.BOOKED),
        "description": _clip(resource.get("description"), 255),
        "practitioner": display_of("Practitioner"),
        "location": display_of("Location"),
    }
    return Mapped(Appointment, values, patient)


def document(resource: dict[str, Any], patient_for: PatientLookup) -> Mapped:
    patient = patient_for(resource, _reference(resource, "subject"))
    concept = resource.get("type")
    loinc = _coding(concept, systems.LOINC)
    when = _datetime(resource.get("date"), "date")
    contents = resource.get("content") or []
    attachment = (contents[0].get("attachment") or {}) if contents else {}
    when = when or _datetime(attachment.get("creation"), "attachment.creation")
    if when is None:
        raise Unmappable("The document has no date.")
    if when > timezone.now():
        raise Unmappable("The document's date is in the future.")
    url = str(attachment.get("url") or "")
    values = {
        "type_code": _clip((loinc or {}).get("code") or _first_code(concept), 40),
        "type_display": _text(concept)[:255],
        "document_date": when,
        "title": _clip(attachment.get("title") or resource.get("description"), 255),
        "url": url if url.startswith(("http://", "https://")) and len(url) <= 500 else "",
        "is_discharge_summary": bool(
            loinc and loinc.get("code") == systems.LOINC_DISCHARGE_SUMMARY
        ),
    }
    return Mapped(ClinicalDocument, values, patient)


# The AHC HRSN items by their LOINC question codes.
HRSN_ITEMS = {code: name for name, code in systems.HRSN_ITEM_LOINC.items()}


def _answer(value: dict[str, Any], question: hrsn.Question) -> Any:
    """An answer as the tool's option value: by option value or label (a LOINC answer's
    display is the tool's wording), or a whole number."""
    if "valueInteger" in value:
        return value["valueInteger"]
    candidates: list[Any] = []
    if "valueString" in value:
        candidates.append(value["valueString"])
    coding = value.get("valueCoding")
    concept = value.get("valueCodeableConcept")
    codings = [coding] if isinstance(coding, dict) else _codings(concept)
    for item in codings:
        candidates += [item.get("code"), item.get("display")]
    if isinstance(concept, dict) and concept.get("text"):
        candidates.append(concept["text"])
    candidates = [c for c in candidates if c not in (None, "")]
    for raw in candidates:
        for option, label in question.options:
            if str(raw).strip().lower() in {str(option).lower(), label.lower()}:
                return option
    return candidates[0] if candidates else None


def _item_code(link_id: str) -> str:
    """An item's LOINC code from its linkId: "71802-3", or LHC-Forms' "/96777-8/71802-3"."""
    return link_id.rstrip("/").rsplit("/", 1)[-1]


def _items(items: Any) -> list[tuple[str, list[dict[str, Any]]]]:
    """Every answered item, groups opened, as (code, answers)."""
    found: list[tuple[str, list[dict[str, Any]]]] = []
    for item in items or []:
        if not isinstance(item, dict):
            continue
        answers = [a for a in item.get("answer") or [] if isinstance(a, dict)]
        if answers:
            found.append((_item_code(str(item.get("linkId") or "")), answers))
        found += _items(item.get("item"))
    return found


def _hrsn_answers(pairs: list[tuple[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for code, values in pairs:
        name = HRSN_ITEMS.get(code)
        if name is None:
            continue
        question = hrsn.QUESTION_BY_FIELD[name]
        picked = [_answer(v, question) for v in values if isinstance(v, dict)]
        answers[name] = picked if question.many else (picked[0] if picked else None)
    return answers


def sdoh_screen(resource: dict[str, Any], patient_for: PatientLookup) -> Mapped:
    kind = resource.get("resourceType")
    if kind == "Observation":
        if not _coding_is(resource.get("code"), systems.LOINC, systems.LOINC_AHC_HRSN_PANEL):
            raise NotImported("Only the AHC HRSN panel (LOINC 96777-8) is imported.")
        patient = patient_for(resource, _reference(resource, "subject"))
        pairs = [
            (_first_code(c.get("code")), [c])
            for c in resource.get("component") or []
            if isinstance(c, dict)
        ]
        when = _date(resource.get("effectiveDateTime") or resource.get("issued"), "effective")
    else:
        questionnaire = str(resource.get("questionnaire") or "")
        pairs = _items(resource.get("item"))
        answered = {code for code, _ in pairs}
        # Named as the HRSN panel, or answering every one of its core questions.
        if systems.LOINC_AHC_HRSN_PANEL not in questionnaire and not set(HRSN_ITEMS) <= answered:
            raise NotImported("Only the AHC HRSN questionnaire (LOINC 96777-8) is imported.")
        patient = patient_for(resource, _reference(resource, "subject"))
        when = _date(resource.get("authored"), "authored")
    if when is None:
        raise Unmappable("The screen has no date.")
    _not_future(when, "screen date")
    try:
        cleaned = hrsn.clean_answers(_hrsn_answers(pairs))
    except hrsn.InvalidAnswers as error:
        fields = ", ".join(sorted(error.field_errors))
        raise Unmappable(f"HRSN answers not options of the tool: {fields}.") from error
    result = hrsn.score(cleaned)
    values = {
        "screened_on": when,
        **cleaned,
        "housing_positive": result.housing,
        "food_positive": result.food,
        "transportation_positive": result.transportation,
        "utilities_positive": result.utilities,
        "safety_positive": result.safety,
        "safety_score": result.safety_score,
    }
    return Mapped(SdohScreen, values, patient)


def _coding_is(concept: Any, system: str, code: str) -> bool:
    return any(c.get("system") == system and c.get("code") == code for c in _codings(concept))


MAPPERS: dict[str, Callable[[dict[str, Any], PatientLookup], Mapped]] = {
    "Condition": condition,
    "Encounter": encounter,
    "AllergyIntolerance": allergy,
    "MedicationRequest": medication,
    "MedicationStatement": medication,
    "Appointment": appointment,
    "DocumentReference": document,
    "Observation": sdoh_screen,
    "QuestionnaireResponse": sdoh_screen,
}
