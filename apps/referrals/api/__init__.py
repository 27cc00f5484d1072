"""REST API for referrals and the resource directory: serializers parse, the same
selectors and services act (see apps/referrals/services).

One module per aggregate; every name is importable from here as before.
"""

from apps.referrals.api.directory import (
    ResourceOrganisationDetailApi,
    ResourceOrganisationListCreateApi,
    ResourceServiceDetailApi,
    ResourceServiceListCreateApi,
)
from apps.referrals.api.referrals import (
    PatientReferralsApi,
    ReferralConsentApi,
    ReferralDetailApi,
    ReferralListCreateApi,
    ReferralMeasuresApi,
    ReferralReassignApi,
    ReferralSnoozeApi,
    ReferralTransitionApi,
)
from apps.referrals.api.serializers import (
    LoopMeasureSerializer,
    LoopMeasuresSerializer,
    ReferralConsentInput,
    ReferralCreateInput,
    ReferralDetailSerializer,
    ReferralEventSerializer,
    ReferralGoalSerializer,
    ReferralPageSerializer,
    ReferralReassignInput,
    ReferralSerializer,
    ReferralSnoozeInput,
    ReferralTransitionInput,
    ReferralTransitionOptionSerializer,
    ReferralUpdateInput,
    ResourceOrganisationInput,
    ResourceOrganisationRefSerializer,
    ResourceOrganisationSerializer,
    ResourceServiceCreateInput,
    ResourceServiceInput,
    ResourceServiceSerializer,
)

__all__ = [
    "LoopMeasureSerializer",
    "LoopMeasuresSerializer",
    "PatientReferralsApi",
    "ReferralConsentApi",
    "ReferralConsentInput",
    "ReferralCreateInput",
    "ReferralDetailApi",
    "ReferralDetailSerializer",
    "ReferralEventSerializer",
    "ReferralGoalSerializer",
    "ReferralListCreateApi",
    "ReferralMeasuresApi",
    "ReferralPageSerializer",
    "ReferralReassignApi",
    "ReferralReassignInput",
    "ReferralSerializer",
    "ReferralSnoozeApi",
    "ReferralSnoozeInput",
    "ReferralTransitionApi",
    "ReferralTransitionInput",
    "ReferralTransitionOptionSerializer",
    "ReferralUpdateInput",
    "ResourceOrganisationDetailApi",
    "ResourceOrganisationInput",
    "ResourceOrganisationListCreateApi",
    "ResourceOrganisationRefSerializer",
    "ResourceOrganisationSerializer",
    "ResourceServiceCreateInput",
    "ResourceServiceDetailApi",
    "ResourceServiceInput",
    "ResourceServiceListCreateApi",
    "ResourceServiceSerializer",
]
