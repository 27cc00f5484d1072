"""The resource directory API: services and partner organisations."""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.http import AuthenticatedRequest
from apps.core.api_helpers import parse_input
from apps.core.exceptions import ApplicationError
from apps.core.filters import filters_or_error
from apps.referrals import selectors, services
from apps.referrals.api.serializers import (
    ResourceOrganisationInput,
    ResourceOrganisationSerializer,
    ResourceServiceCreateInput,
    ResourceServiceInput,
    ResourceServiceSerializer,
)
from apps.referrals.forms import (
    DirectorySearchForm,
    directory_filters,
)
from apps.referrals.models import (
    ResourceService,
    ServiceType,
)

# --- the directory ---------------------------------------------------------------------


class ResourceServiceListCreateApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Words matched in name, organisation, ..."),
            OpenApiParameter("service_type", str, enum=ServiceType.values),
            OpenApiParameter("language", str),
            OpenApiParameter("area", str),
        ],
        responses=ResourceServiceSerializer(many=True),
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = filters_or_error(DirectorySearchForm(request.query_params))
        found: QuerySet[ResourceService] = selectors.resource_service_search(
            user=request.user, **directory_filters(filters)
        )
        return Response(ResourceServiceSerializer(found[:200], many=True).data)

    @extend_schema(request=ResourceServiceCreateInput, responses={201: ResourceServiceSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        data = dict(parse_input(ResourceServiceCreateInput, request.data))
        partner = selectors.resource_organisation_get_for_user(
            user=request.user, resource_organisation_id=data.pop("organisation_id")
        )
        service = services.resource_service_create(
            actor=request.user, resource_organisation=partner, **data
        )
        return Response(ResourceServiceSerializer(service).data, status=status.HTTP_201_CREATED)


class ResourceServiceDetailApi(APIView):
    @extend_schema(responses=ResourceServiceSerializer)
    def get(self, request: AuthenticatedRequest, service_id: int) -> Response:
        service = selectors.resource_service_get_for_user(user=request.user, service_id=service_id)
        return Response(ResourceServiceSerializer(service).data)

    @extend_schema(request=ResourceServiceInput, responses=ResourceServiceSerializer)
    def patch(self, request: AuthenticatedRequest, service_id: int) -> Response:
        service = selectors.resource_service_get_for_user(user=request.user, service_id=service_id)
        data = parse_input(ResourceServiceInput, request.data, partial=True)
        service = services.resource_service_update(actor=request.user, service=service, **data)
        return Response(ResourceServiceSerializer(service).data)


class ResourceOrganisationListCreateApi(APIView):
    @extend_schema(responses=ResourceOrganisationSerializer(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        partners = selectors.resource_organisation_list_for_user(user=request.user)
        return Response(ResourceOrganisationSerializer(partners, many=True).data)

    @extend_schema(
        request=ResourceOrganisationInput, responses={201: ResourceOrganisationSerializer}
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = dict(parse_input(ResourceOrganisationInput, request.data))
        if request.user.organisation is None:
            raise ApplicationError("Your account belongs to no organisation.")
        partner = services.resource_organisation_create(
            actor=request.user, organisation=request.user.organisation, **data
        )
        return Response(
            ResourceOrganisationSerializer(partner).data, status=status.HTTP_201_CREATED
        )


class ResourceOrganisationDetailApi(APIView):
    @extend_schema(responses=ResourceOrganisationSerializer)
    def get(self, request: AuthenticatedRequest, organisation_id: int) -> Response:
        partner = selectors.resource_organisation_get_for_user(
            user=request.user, resource_organisation_id=organisation_id
        )
        return Response(ResourceOrganisationSerializer(partner).data)

    @extend_schema(request=ResourceOrganisationInput, responses=ResourceOrganisationSerializer)
    def patch(self, request: AuthenticatedRequest, organisation_id: int) -> Response:
        partner = selectors.resource_organisation_get_for_user(
            user=request.user, resource_organisation_id=organisation_id
        )
        data = parse_input(ResourceOrganisationInput, request.data, partial=True)
        partner = services.resource_organisation_update(
            actor=request.user, resource_organisation=partner, **data
        )
        return Response(ResourceOrganisationSerializer(partner).data)
