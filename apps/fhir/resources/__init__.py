"""Output mappers: caregraph rows as FHIR R4 resources (validated against R4B in tests).

Importing the package registers every resource type in `REGISTRY`.
"""

from apps.fhir.resources import patients, people, plans, referrals  # noqa: F401
from apps.fhir.resources.base import REGISTRY, ResourceType, Source

__all__ = ["REGISTRY", "ResourceType", "Source"]
