"""The referral loop as Gravity publishes it: ServiceRequest + Task, and the patient's Consent.

A referral's Task has the id `referral-<pk>`; its `meta.versionId` counts the
states the referral has entered, so a partner can update it version-aware.
"""

from django.db.models import QuerySet

from apps.fhir import systems
from apps.fhir.callers import FhirCaller
from apps.fhir.permissions import fhir_visible_partners, fhir_visible_referrals
from apps.fhir.resources.base import (
    Json,
    ResourceType,
    Source,
    coding,
    concept,
    drop_empty,
    instant,
    meta,
    ref,
    register,
    register_about_a_patient,
    text_concept,
)
from apps.fhir.resources.plans import WORK_TASKS
from apps.referrals.models import Referral, ReferralState, ResourceOrganisation, ServiceType

S = ReferralState
REFERRAL_TASK_PREFIX = "referral-"

# The referral's state as a FHIR Task status (Gravity's loop). Closed is "completed"
# with the result as output; the business status names caregraph's own state.
TASK_STATUS = {
    S.DRAFT: "draft",
    S.SENT: "requested",
    S.RECEIVED: "accepted",
    S.SCHEDULED: "in-progress",
    S.COMPLETED: "completed",
    S.CLOSED: "completed",
    S.DECLINED: "rejected",
    S.CANCELLED: "cancelled",
    S.UNABLE_TO_CONTACT: "failed",
}
REQUEST_STATUS = {
    S.DRAFT: "draft",
    S.SENT: "active",
    S.RECEIVED: "active",
    S.SCHEDULED: "active",
    S.COMPLETED: "completed",
    S.CLOSED: "completed",
    S.DECLINED: "revoked",
    S.CANCELLED: "revoked",
    S.UNABLE_TO_CONTACT: "revoked",
}
SOCIAL_SERVICE_TYPES = {
    ServiceType.FOOD: "food-insecurity",
    ServiceType.HOUSING: "housing-instability",
    ServiceType.TRANSPORTATION: "transportation-insecurity",
    ServiceType.UTILITIES: "utility-insecurity",
    ServiceType.INCOME: "financial-insecurity",
    ServiceType.EMPLOYMENT: "employment-status",
    ServiceType.LEGAL_AID: "sdoh-category-unspecified",
    ServiceType.CAREGIVER_SUPPORT: "sdoh-category-unspecified",
}


def _referrals(caller: FhirCaller) -> QuerySet[Referral]:
    return fhir_visible_referrals(caller).select_related("service__resource_organisation")


def partner_reference(referral: Referral) -> Json:
    partner = referral.service.resource_organisation
    return {
        **ref("Organization", partner.pk, partner.name),
        "identifier": {"system": systems.PARTNER, "value": str(partner.pk)},
    }


def organization_resource(partner: ResourceOrganisation) -> Json:
    telecom = [
        {"system": "phone", "value": partner.phone} if partner.phone else None,
        {"system": "email", "value": partner.email} if partner.email else None,
        {"system": "url", "value": partner.website} if partner.website else None,
    ]
    return drop_empty(
        {
            "resourceType": "Organization",
            "id": str(partner.pk),
            "meta": meta(partner),
            "identifier": [{"system": systems.PARTNER, "value": str(partner.pk)}],
            "active": partner.is_active,
            "type": [concept(systems.ORGANIZATION_TYPE, "cg", "Community Group")],
            "name": partner.name,
            "telecom": [item for item in telecom if item],
            "address": [{"text": partner.address}] if partner.address else None,
        }
    )


register(
    ResourceType(
        name="Organization",
        sources=(
            Source(
                model=ResourceOrganisation,
                rows=fhir_visible_partners,
                render=organization_resource,
            ),
        ),
    )
)


def service_request_resource(referral: Referral) -> Json:
    service = referral.service
    sdoh = SOCIAL_SERVICE_TYPES.get(ServiceType(service.service_type))
    return drop_empty(
        {
            "resourceType": "ServiceRequest",
            "id": str(referral.pk),
            "meta": meta(referral, version=referral.state_sequence),
            "status": REQUEST_STATUS[ReferralState(referral.state)],
            "intent": "order",
            "category": [concept(systems.SDOH_CATEGORY, sdoh)] if sdoh else None,
            "code": {
                "coding": [
                    coding(
                        systems.SERVICE_TYPE,
                        service.service_type,
                        service.get_service_type_display(),
                    )
                ],
                "text": service.name,
            },
            "priority": referral.urgency,
            "subject": ref("Patient", referral.patient_id),
            "authoredOn": instant(referral.created_at),
            "requester": ref("Practitioner", referral.referred_by_id),
            "performer": [partner_reference(referral)],
            "reasonCode": [text_concept(referral.reason)],
            "supportingInfo": [ref("Consent", referral.pk)] if referral.consent_given else None,
        }
    )


register_about_a_patient(
    "ServiceRequest", model=Referral, rows=_referrals, render=service_request_resource
)


def referral_task_resource(referral: Referral) -> Json:
    state = ReferralState(referral.state)
    output = None
    if referral.result_summary:
        output = [{"type": text_concept("Result"), "valueString": referral.result_summary}]
    return drop_empty(
        {
            "resourceType": "Task",
            "id": f"{REFERRAL_TASK_PREFIX}{referral.pk}",
            "meta": meta(referral, version=referral.state_sequence),
            "status": TASK_STATUS[state],
            "statusReason": text_concept(referral.state_reason) if referral.state_reason else None,
            "businessStatus": text_concept(state.label),
            "intent": "order",
            "priority": referral.urgency,
            "code": concept(systems.TASK_CODE, "fulfill", "Fulfill the focal request"),
            "focus": ref("ServiceRequest", referral.pk),
            "for": ref("Patient", referral.patient_id),
            "authoredOn": instant(referral.created_at),
            "lastModified": instant(referral.updated_at),
            "requester": ref("Practitioner", referral.referred_by_id),
            "owner": partner_reference(referral),
            "output": output,
        }
    )


REFERRAL_TASKS = Source(
    model=Referral,
    rows=lambda caller: _referrals(caller).exclude(state=ReferralState.DRAFT),
    render=referral_task_resource,
    patient_field="patient_id",
    prefix=REFERRAL_TASK_PREFIX,
)

register_about_a_patient("Task", WORK_TASKS, REFERRAL_TASKS, subject="for")


def consent_resource(referral: Referral) -> Json:
    return drop_empty(
        {
            "resourceType": "Consent",
            "id": str(referral.pk),
            "meta": meta(referral),
            "status": "active",
            "scope": concept(systems.CONSENT_SCOPE, "patient-privacy", "Privacy Consent"),
            "category": [concept(systems.LOINC, "59284-0", "Consent Document")],
            "patient": ref("Patient", referral.patient_id),
            "dateTime": instant(referral.consent_recorded_at),
            "performer": [ref("Patient", referral.patient_id)],
            "sourceAttachment": {"title": f"{referral.get_consent_method_display()} consent"},
            "provision": {
                "type": "permit",
                "data": [{"meaning": "related", "reference": ref("ServiceRequest", referral.pk)}],
            },
        }
    )


register_about_a_patient(
    "Consent",
    model=Referral,
    rows=lambda caller: _referrals(caller).filter(consent_given=True),
    render=consent_resource,
    subject="",
)
