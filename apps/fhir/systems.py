"""Code and identifier system URIs caregraph reads and writes in FHIR: one place for
every URI, so the importer and the API speak the same systems."""

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
V2_IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CAREPLAN_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
LOINC = "http://loinc.org"
# LOINC codes the importer recognises.
LOINC_DISCHARGE_SUMMARY = "18842-5"
LOINC_AHC_HRSN_PANEL = "96777-8"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
TASK_CODE = "http://hl7.org/fhir/CodeSystem/task-code"
SDOH_CATEGORY = (
    "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
)
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"

# caregraph's own systems: names under the organisation that owns them.
CAREGRAPH = "https://caregraph.example/fhir"
ROLE = f"{CAREGRAPH}/CodeSystem/care-team-role"
GOAL_DOMAIN = f"{CAREGRAPH}/CodeSystem/goal-domain"
SERVICE_TYPE = f"{CAREGRAPH}/CodeSystem/service-type"
PARTNER = f"{CAREGRAPH}/sid/resource-organisation"
USERNAME = f"{CAREGRAPH}/sid/username"
HRSN_ITEM = f"{CAREGRAPH}/CodeSystem/ahc-hrsn-item"
HRSN_DOMAIN = f"{CAREGRAPH}/CodeSystem/ahc-hrsn-domain"
HRSN_QUESTIONNAIRE = "http://loinc.org/vs/96777-8"


def mrn_system(organisation_id: int) -> str:
    """The organisation's own medical record numbers."""
    return f"{CAREGRAPH}/sid/organisation/{organisation_id}/mrn"


def authority_system(authority: str) -> str:
    """An identifier another system assigned (HL7 PID-3): a URI as given, else a URN."""
    if ":" in authority:
        return authority
    return f"urn:caregraph:authority:{authority.replace(' ', '-')}"
