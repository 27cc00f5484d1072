"""The CapabilityStatement: exactly the interactions and parameters this server supports."""

from typing import Any

from django.utils import timezone

from apps.fhir.resources import REGISTRY

SMART_EXTENSION = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"


def _search_params(resource_type: Any) -> list[dict[str, str]]:
    params = [
        {"name": "_id", "type": "token"},
        {"name": "_lastUpdated", "type": "date"},
    ]
    if any(source.identifier for source in resource_type.sources):
        params.append({"name": "identifier", "type": "token"})
    if resource_type.name != "Patient" and all(
        source.patient_field for source in resource_type.sources
    ):
        params.append({"name": "patient", "type": "reference"})
    return params


def capability_statement(base: str) -> dict[str, Any]:
    resources = []
    for name, resource_type in sorted(REGISTRY.items()):
        interactions = [{"code": "read"}, {"code": "search-type"}]
        if name == "Task":
            interactions += [{"code": "update"}, {"code": "patch"}]
        entry: dict[str, Any] = {
            "type": name,
            "interaction": interactions,
            "searchParam": _search_params(resource_type),
        }
        if resource_type.includes:
            entry["searchInclude"] = sorted(resource_type.includes)
        if resource_type.profile:
            entry["supportedProfile"] = [resource_type.profile]
        if name == "Task":
            entry["versioning"] = "versioned-update"
            entry["conditionalUpdate"] = False
        if name == "Patient":
            entry["operation"] = [
                {
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                }
            ]
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.now().date().isoformat(),
        "publisher": "caregraph",
        "kind": "instance",
        "software": {"name": "caregraph"},
        "implementation": {"description": "caregraph FHIR R4 API", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "extension": [
                        {
                            "url": SMART_EXTENSION,
                            "extension": [{"url": "token", "valueUri": f"{base}auth/token"}],
                        }
                    ],
                    "description": "People: session or API token. Systems: SMART Backend "
                    "Services (private_key_jwt, RS384/ES384), see .well-known/smart-configuration.",
                },
                "resource": resources,
                "operation": [
                    {
                        "name": "export",
                        "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export",
                    },
                ],
            }
        ],
    }
