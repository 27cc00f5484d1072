"""Code and identifier system URIs that caregraph reads and writes in FHIR.

One place for every URI, so the importer and the API speak the same systems.
"""

ICD10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ENCOUNTER_CLASS = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"

# The base under which each organisation's medical record numbers live; the
# organisation's id completes it, so two organisations' MRNs never collide.
MRN_SYSTEM_BASE = "urn:caregraph:organisation"


def mrn_system(organisation_id: int) -> str:
    """The identifier system of the medical record numbers one organisation issues."""
    return f"{MRN_SYSTEM_BASE}:{organisation_id}:mrn"


# LOINC codes the importer recognises.
LOINC_DISCHARGE_SUMMARY = "18842-5"
LOINC_AHC_HRSN_PANEL = "96777-8"
