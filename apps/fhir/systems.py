"""Code and identifier system URIs caregraph reads and writes in FHIR: one place for
every URI, so the importer and the API speak the same systems."""

from apps.patients.models import ICD10_CM_SYSTEM

ICD10CM = ICD10_CM_SYSTEM  # the one definition lives with the Condition model
ICD10 = "http://hl7.org/fhir/sid/icd-10"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
V2_IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CAREPLAN_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
LOINC = "http://loinc.org"
# LOINC codes the importer recognises.
LOINC_DISCHARGE_SUMMARY = "18842-5"
LOINC_AHC_HRSN_PANEL = "96777-8"
# The LOINC code of each AHC HRSN core question (apps.patients.hrsn names the fields):
# the linkId of its item in a QuestionnaireResponse, in and out.
HRSN_ITEM_LOINC = {
    "living_situation": "71802-3",
    "housing_problems": "96778-6",
    "food_worry": "88122-7",
    "food_ran_out": "88123-5",
    "transportation": "93030-5",
    "utilities": "96779-4",
    "safety_hurt": "95618-5",
    "safety_insult": "95617-7",
    "safety_threaten": "95616-9",
    "safety_scream": "95615-1",
}
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
