"""REST API for referrals and the resource directory: serializers parse, the same
selectors and services act (see apps/referrals/services)."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.http import AuthenticatedRequest
from apps.accounts.models import User
from apps.careplans.models import Goal
from apps.core import api_fields
from apps.core.exceptions import ApplicationError
from apps.core.filters import filters_or_error
from apps.patients.models import Patient
from apps.patients.selectors import patient_get_for_user
from apps.referrals import permissions, selectors, services, states
from apps.referrals.forms import (
    BoardFilterForm,
    DirectorySearchForm,
    board_filters,
    directory_filters,
)
from apps.referrals.models import (
    OPEN_STATES,
    ConsentMethod,
    Referral,
    ReferralState,
    ReferralUrgency,
    ResourceService,
    ServiceType,
)

# --- output ----------------------------------------------------------------------------


class ReferralPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class ResourceOrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    website = serializers.CharField()
    address = serializers.CharField()
    notes = serializers.CharField()
    is_active = serializers.BooleanField()


class ResourceOrganisationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ResourceServiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organisation = ResourceOrganisationRefSerializer(source="resource_organisation")
    name = serializers.CharField()
    service_type = serializers.CharField()
    service_type_display = serializers.CharField(source="get_service_type_display")
    area = serializers.CharField()
    contact_name = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    hours = serializers.CharField()
    languages = serializers.CharField()
    eligibility_notes = serializers.CharField()
    is_active = serializers.BooleanField()


class ReferralPatientSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    mrn = serializers.CharField()
    given_name = serializers.CharField()
    family_name = serializers.CharField()


class ReferralTransitionOptionSerializer(serializers.Serializer):
    to_state = serializers.CharField(source="target")
    action = serializers.CharField(source="label")
    needs_reason = serializers.BooleanField()
    needs_result = serializers.BooleanField()
    needs_consent = serializers.BooleanField()


class ReferralEventSerializer(serializers.Serializer):
    occurred_at = api_fields.DateTimeField()
    actor = ReferralPersonSerializer(allow_null=True)
    kind = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    note = serializers.CharField()


class ReferralGoalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    domain = serializers.CharField()
    description = serializers.CharField()


class ReferralSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    patient = ReferralPatientSerializer()
    goal = ReferralGoalSerializer(allow_null=True)
    service = ResourceServiceSerializer()
    target_kind = serializers.CharField()
    specialist_name = serializers.CharField()
    reason = serializers.CharField()
    urgency = serializers.CharField()
    state = serializers.CharField()
    state_display = serializers.CharField(source="get_state_display")
    state_reason = serializers.CharField()
    state_entered_at = api_fields.DateTimeField()
    owner = ReferralPersonSerializer()
    referred_by = ReferralPersonSerializer()
    consent_given = serializers.BooleanField()
    consent_method = serializers.CharField()
    consent_recorded_at = api_fields.DateTimeField(allow_null=True)
    consent_recorded_by = ReferralPersonSerializer(allow_null=True)
    remind_at = api_fields.DateTimeField(allow_null=True)
    escalate_at = api_fields.DateTimeField(allow_null=True)
    reminder_sent_at = api_fields.DateTimeField(allow_null=True)
    escalation_sent_at = api_fields.DateTimeField(allow_null=True)
    snoozed_until = api_fields.DateTimeField(allow_null=True)
    appointment_at = api_fields.DateTimeField(allow_null=True)
    sent_at = api_fields.DateTimeField(allow_null=True)
    ended_at = api_fields.DateTimeField(allow_null=True)
    result_summary = serializers.CharField()
    result_reported_by = serializers.CharField()
    result_documented_by = ReferralPersonSerializer(allow_null=True)
    result_documented_at = api_fields.DateTimeField(allow_null=True)
    created_at = api_fields.DateTimeField()


class ReferralDetailSerializer(ReferralSerializer):
    allowed_transitions = ReferralTransitionOptionSerializer(many=True)
    events = ReferralEventSerializer(many=True, source="events.all")


class ReferralPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(source="total")
    page = serializers.IntegerField(source="number")
    num_pages = serializers.IntegerField()
    page_size = serializers.IntegerField()
    results = ReferralSerializer(many=True, source="referrals")


class LoopMeasureSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField(source="label")
    sent = serializers.IntegerField()
    closed = serializers.IntegerField()
    closure_rate = serializers.FloatField(allow_null=True)
    median_days_to_close = serializers.FloatField(allow_null=True)
    ended_otherwise = serializers.IntegerField()
    still_open = serializers.IntegerField()
    closed_without_result = serializers.IntegerField()
    share_closed_without_result = serializers.FloatField(allow_null=True)


class LoopMeasuresSerializer(serializers.Serializer):
    overall = LoopMeasureSerializer()
    by_service_type = LoopMeasureSerializer(many=True)
    by_organisation = LoopMeasureSerializer(many=True)


# --- input -----------------------------------------------------------------------------


class ReferralCreateInput(serializers.Serializer):
    patient_id = serializers.IntegerField()
    service_id = serializers.IntegerField()
    reason = serializers.CharField(max_length=4000)
    urgency = serializers.ChoiceField(choices=ReferralUrgency.choices, required=False)
    owner_id = serializers.IntegerField()
    referred_by_id = serializers.IntegerField(required=False)
    specialist_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    consent_given = serializers.BooleanField(required=False)
    consent_method = serializers.ChoiceField(
        choices=ConsentMethod.choices, required=False, allow_blank=True
    )
    goal_id = serializers.IntegerField(required=False, allow_null=True)


class ReferralUpdateInput(serializers.Serializer):
    reason = serializers.CharField(max_length=4000, required=False)
    goal_id = serializers.IntegerField(required=False, allow_null=True)
    urgency = serializers.ChoiceField(choices=ReferralUrgency.choices, required=False)
    service_id = serializers.IntegerField(required=False)
    specialist_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    appointment_at = api_fields.DateTimeField(required=False, allow_null=True)


class ReferralTransitionInput(serializers.Serializer):
    to_state = serializers.CharField(max_length=20)
    reason = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    result_summary = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    result_reported_by = serializers.CharField(max_length=200, required=False, allow_blank=True)
    appointment_at = api_fields.DateTimeField(required=False, allow_null=True)


class ReferralConsentInput(serializers.Serializer):
    consent_given = serializers.BooleanField()
    consent_method = serializers.ChoiceField(
        choices=ConsentMethod.choices, required=False, allow_blank=True
    )


class ReferralReassignInput(serializers.Serializer):
    owner_id = serializers.IntegerField()
    reason = serializers.CharField(max_length=1000, allow_blank=True)


class ReferralSnoozeInput(serializers.Serializer):
    until = api_fields.DateTimeField()
    reason = serializers.CharField(max_length=1000, allow_blank=True)


class ResourceOrganisationInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    website = serializers.URLField(required=False, allow_blank=True)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class ResourceServiceInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    service_type = serializers.ChoiceField(choices=ServiceType.choices)
    area = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    hours = serializers.CharField(max_length=200, required=False, allow_blank=True)
    languages = serializers.CharField(max_length=200, required=False, allow_blank=True)
    eligibility_notes = serializers.CharField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class ResourceServiceCreateInput(ResourceServiceInput):
    organisation_id = serializers.IntegerField()


# --- helpers ---------------------------------------------------------------------------


def _parse(serializer_class: type[serializers.Serializer], data: Any, **kwargs: Any) -> Any:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _member(patient: Patient, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    return selectors.team_users_for_patient(patient=patient).filter(pk=user_id).first()


def _goal(patient: Patient, goal_id: int | None) -> Goal | None:
    """The goal of this patient's current plan, or an error naming the field."""
    if goal_id is None:
        return None
    goal = selectors.goals_for_patient(patient=patient).filter(pk=goal_id).first()
    if goal is None:
        raise ApplicationError(
            "No such goal on this patient's care plan.",
            field_errors={"goal_id": ["Choose a goal of this patient's current care plan."]},
        )
    return goal


def _service(user: User, service_id: int) -> ResourceService | None:
    return (
        selectors.resource_service_search(user=user, include_inactive=True)
        .filter(pk=service_id)
        .first()
    )


def _detail(user: User, referral: Referral) -> dict[str, Any]:
    fresh = selectors.referral_get_for_user(user=user, referral_id=referral.pk)
    fresh.allowed_transitions = (  # type: ignore[attr-defined]
        states.transitions_from(fresh.state) if permissions.can_work_on(user, fresh) else []
    )
    return dict(ReferralDetailSerializer(fresh).data)


# --- referrals -------------------------------------------------------------------------


class ReferralListCreateApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=list(OPEN_STATES)),
            OpenApiParameter("mine", bool),
            OpenApiParameter("overdue", bool),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="1 to 200, default 50"),
        ],
        responses=ReferralPageSerializer,
        operation_id="referrals_board",
        description="The board: open referrals on your teams, overdue first.",
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = filters_or_error(BoardFilterForm(request.query_params))
        page = selectors.referral_board_for_user(user=request.user, **board_filters(filters))
        return Response(ReferralPageSerializer(page).data)

    @extend_schema(request=ReferralCreateInput, responses={201: ReferralDetailSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        data = _parse(ReferralCreateInput, request.data)
        patient = patient_get_for_user(user=request.user, patient_id=data["patient_id"])
        referral = services.referral_create(
            actor=request.user,
            patient=patient,
            service=_service(request.user, data["service_id"]),
            reason=data["reason"],
            owner=_member(patient, data["owner_id"]),
            urgency=data.get("urgency", ReferralUrgency.ROUTINE),
            referred_by=_member(patient, data.get("referred_by_id", request.user.pk)),
            specialist_name=data.get("specialist_name", ""),
            consent_given=data.get("consent_given", False),
            consent_method=data.get("consent_method", ""),
            goal=_goal(patient, data.get("goal_id")),
        )
        return Response(_detail(request.user, referral), status=status.HTTP_201_CREATED)


class PatientReferralsApi(APIView):
    @extend_schema(responses=ReferralDetailSerializer(many=True))
    def get(self, request: AuthenticatedRequest, patient_id: int) -> Response:
        patient = patient_get_for_user(user=request.user, patient_id=patient_id)
        referrals = selectors.referral_list_for_patient(user=request.user, patient=patient)
        for referral in referrals:
            referral.allowed_transitions = (  # type: ignore[attr-defined]
                states.transitions_from(referral.state)
                if permissions.can_work_on(request.user, referral)
                else []
            )
        return Response(ReferralDetailSerializer(referrals, many=True).data)


class ReferralDetailApi(APIView):
    @extend_schema(responses=ReferralDetailSerializer)
    def get(self, request: AuthenticatedRequest, referral_id: int) -> Response:
        referral = selectors.referral_get_for_user(user=request.user, referral_id=referral_id)
        return Response(_detail(request.user, referral))

    @extend_schema(request=ReferralUpdateInput, responses=ReferralDetailSerializer)
    def patch(self, request: AuthenticatedRequest, referral_id: int) -> Response:
        referral = selectors.referral_get_for_user(user=request.user, referral_id=referral_id)
        values = dict(_parse(ReferralUpdateInput, request.data, partial=True))
        if "service_id" in values:
            values["service"] = _service(request.user, values.pop("service_id"))
        if "goal_id" in values:
            values["goal"] = _goal(referral.patient, values.pop("goal_id"))
        referral = services.referral_update(actor=request.user, referral=referral, **values)
        return Response(_detail(request.user, referral))


class ReferralTransitionApi(APIView):
    @extend_schema(
        request=ReferralTransitionInput,
        responses=ReferralDetailSerializer,
        description=(
            "Moves the referral through the state machine "
            f"({', '.join(ReferralState.values)}); a move the machine does not allow "
            "answers 400 with a message saying which moves are allowed."
        ),
    )
    def post(self, request: AuthenticatedRequest, referral_id: int) -> Response:
        referral = selectors.referral_get_for_user(user=request.user, referral_id=referral_id)
        data = _parse(ReferralTransitionInput, request.data)
        referral = services.referral_transition(actor=request.user, referral=referral, **data)
        return Response(_detail(request.user, referral))


class ReferralConsentApi(APIView):
    @extend_schema(request=ReferralConsentInput, responses=ReferralDetailSerializer)
    def post(self, request: AuthenticatedRequest, referral_id: int) -> Response:
        referral = selectors.referral_get_for_user(user=request.user, referral_id=referral_id)
        data = _parse(ReferralConsentInput, request.data)
        referral = services.referral_record_consent(
            actor=request.user,
            referral=referral,
            consent_given=data["consent_given"],
            method=data.get("consent_method", ""),
        )
        return Response(_detail(request.user, referral))


class ReferralReassignApi(APIView):
    @extend_schema(request=ReferralReassignInput, responses=ReferralDetailSerializer)
    def post(self, request: AuthenticatedRequest, referral_id: int) -> Response:
        referral = selectors.referral_get_for_user(user=request.user, referral_id=referral_id)
        data = _parse(ReferralReassignInput, request.data)
        owner = _member(referral.patient, data["owner_id"])
        if owner is None:
            raise ApplicationError(
                "The owner must be a person on the patient's care team.",
                field_errors={"owner_id": ["Choose a current member of the patient's care team."]},
            )
        referral = services.referral_reassign(
            actor=request.user, referral=referral, owner=owner, reason=data["reason"]
        )
        return Response(_detail(request.user, referral))


class ReferralSnoozeApi(APIView):
    @extend_schema(request=ReferralSnoozeInput, responses=ReferralDetailSerializer)
    def post(self, request: AuthenticatedRequest, referral_id: int) -> Response:
        referral = selectors.referral_get_for_user(user=request.user, referral_id=referral_id)
        data = _parse(ReferralSnoozeInput, request.data)
        referral = services.referral_snooze(
            actor=request.user, referral=referral, until=data["until"], reason=data["reason"]
        )
        return Response(_detail(request.user, referral))


class ReferralMeasuresApi(APIView):
    @extend_schema(responses=LoopMeasuresSerializer)
    def get(self, request: AuthenticatedRequest) -> Response:
        measures = selectors.referral_measures_for_user(user=request.user)
        return Response(LoopMeasuresSerializer(measures).data)


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
        data = dict(_parse(ResourceServiceCreateInput, request.data))
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
        data = _parse(ResourceServiceInput, request.data, partial=True)
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
        data = dict(_parse(ResourceOrganisationInput, request.data))
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
        data = _parse(ResourceOrganisationInput, request.data, partial=True)
        partner = services.resource_organisation_update(
            actor=request.user, resource_organisation=partner, **data
        )
        return Response(ResourceOrganisationSerializer(partner).data)
