"""REST API for patients: input serializers parse, the same selectors and services act."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.http import AuthenticatedRequest
from apps.accounts.mfa import session_verified
from apps.core import api_fields
from apps.core.api_helpers import parse_input
from apps.core.filters import filters_or_error
from apps.patients import selectors, services
from apps.patients.forms import PatientListFilterForm, patient_list_filters
from apps.patients.models import BreakGlassReason, Patient, Sex
from apps.teams.api_refs import TeamRefSerializer
from apps.teams.selectors import team_list_for_user


class ComplexityBriefSerializer(serializers.Serializer):
    is_complex = serializers.BooleanField()
    cci = serializers.IntegerField()
    ed_visits_12m = serializers.IntegerField()
    admissions_12m = serializers.IntegerField()
    acute_events_12m = serializers.IntegerField()
    cost_percentile = serializers.IntegerField()
    hrsn_positive_count = serializers.IntegerField()
    adi_percentile = serializers.IntegerField(allow_null=True)
    adi_suppression = serializers.CharField(help_text="PH, GQ, PH-GQ or QDI; empty with a value")
    clinical_met = serializers.BooleanField()
    utilization_met = serializers.BooleanField()
    social_met = serializers.BooleanField()
    summary = serializers.CharField()


class PatientListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    mrn = serializers.CharField()
    given_name = serializers.CharField()
    family_name = serializers.CharField()
    date_of_birth = api_fields.DateField()
    sex = serializers.CharField()
    care_team = TeamRefSerializer()
    complexity = ComplexityBriefSerializer(allow_null=True, read_only=True)


class PatientRowSerializer(PatientListItemSerializer):
    """The list's rows: a `selectors.PatientRow` already has this shape, field for field.

    Its fields are declared (for the schema) by the parent; the output is the
    row as a dict, without the per-field walk that took a quarter of the list
    request. A test keeps the two in step.
    """

    def to_representation(self, instance: selectors.PatientRow) -> dict[str, Any]:
        return instance.as_dict()


class TeamMemberSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField(source="user.display_name")
    role = serializers.CharField()
    role_display = serializers.CharField(source="get_role_display")
    is_lead = serializers.BooleanField()


class PatientDetailSerializer(PatientListItemSerializer):
    preferred_language = serializers.CharField()
    interpreter_needed = serializers.BooleanField()
    race_ethnicity = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    address_line = serializers.CharField()
    city = serializers.CharField()
    state = serializers.CharField()
    postal_code = serializers.CharField()
    is_active = serializers.BooleanField()


class PatientPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(source="total")
    page = serializers.IntegerField(source="number")
    num_pages = serializers.IntegerField()
    page_size = serializers.IntegerField()
    results = PatientRowSerializer(many=True, source="patients")


class PatientWriteSerializer(serializers.Serializer):
    given_name = serializers.CharField(max_length=100)
    family_name = serializers.CharField(max_length=100)
    date_of_birth = api_fields.DateField()
    sex = serializers.ChoiceField(choices=Sex.choices, required=False)
    preferred_language = serializers.CharField(max_length=40, required=False, allow_blank=True)
    interpreter_needed = serializers.BooleanField(required=False)
    race_ethnicity = serializers.CharField(max_length=80, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    address_line = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    state = serializers.CharField(max_length=40, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=16, required=False, allow_blank=True)


class PatientCreateSerializer(PatientWriteSerializer):
    mrn = serializers.CharField(max_length=32)
    care_team_id = serializers.IntegerField()


class PatientUpdateSerializer(PatientWriteSerializer):
    given_name = serializers.CharField(max_length=100, required=False)
    family_name = serializers.CharField(max_length=100, required=False)
    date_of_birth = api_fields.DateField(required=False)
    is_active = serializers.BooleanField(required=False)


def _detail(patient: Patient) -> dict[str, object]:
    data = dict(PatientDetailSerializer(patient).data)
    data["care_team_members"] = TeamMemberSerializer(
        selectors.patient_care_team(patient=patient), many=True
    ).data
    return data


class PatientListCreateApi(APIView):
    throttle_scope = "patient_create"  # counts creations only (apps.core.throttles)

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Name words, MRN or date of birth"),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="1 to 100, default 25"),
            OpenApiParameter("flag", str, enum=["complex", "not_complex"]),
            OpenApiParameter(
                "met", str, many=True, enum=list(selectors.DOMAINS), description="Domains over"
            ),
            OpenApiParameter("sort", str, enum=list(selectors.SORTS)),
        ],
        responses=PatientPageSerializer,
        operation_id="patients_list",
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = filters_or_error(PatientListFilterForm(request.query_params))
        result = selectors.patient_page_for_user(user=request.user, **patient_list_filters(filters))
        return Response(PatientPageSerializer(result).data)

    @extend_schema(request=PatientCreateSerializer, responses={201: PatientDetailSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        values = parse_input(PatientCreateSerializer, request.data)
        team = team_list_for_user(user=request.user).filter(pk=values.pop("care_team_id")).first()
        if team is None:
            return Response(
                {"care_team_id": ["No such care team among yours."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        patient = services.patient_create(actor=request.user, care_team=team, **values)
        return Response(_detail(patient), status=status.HTTP_201_CREATED)


class PatientDetailApi(APIView):
    @extend_schema(responses=PatientDetailSerializer)
    def get(self, request: AuthenticatedRequest, patient_id: int) -> Response:
        patient = selectors.patient_get_for_user(user=request.user, patient_id=patient_id)
        return Response(_detail(patient))

    @extend_schema(request=PatientUpdateSerializer, responses=PatientDetailSerializer)
    def patch(self, request: AuthenticatedRequest, patient_id: int) -> Response:
        patient = selectors.patient_get_for_user(user=request.user, patient_id=patient_id)
        values = parse_input(PatientUpdateSerializer, request.data, partial=True)
        patient = services.patient_update(actor=request.user, patient=patient, **values)
        return Response(_detail(patient))


class BreakGlassInputSerializer(serializers.Serializer):
    mrn = serializers.CharField(max_length=32)
    given_name = serializers.CharField(max_length=100)
    family_name = serializers.CharField(max_length=100)
    date_of_birth = api_fields.DateField()
    reason_code = serializers.ChoiceField(choices=BreakGlassReason.choices)
    # Its length is the service's rule, refused there with the other reasons.
    reason = serializers.CharField(max_length=1000, allow_blank=True)


class BreakGlassApi(APIView):
    """Emergency access by MRN, name and date of birth. It needs a session whose second
    factor was verified (a token alone is refused with 403)."""

    throttle_scope = "break_glass"

    @extend_schema(
        request=BreakGlassInputSerializer,
        responses={
            201: inline_serializer(
                "BreakGlassOutput",
                {
                    "patient_id": serializers.IntegerField(),
                    "expires_at": api_fields.DateTimeField(),
                },
            )
        },
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        values = parse_input(BreakGlassInputSerializer, request.data)
        patient = selectors.patient_for_break_glass(
            user=request.user,
            mrn=values["mrn"],
            given_name=values["given_name"],
            family_name=values["family_name"],
            date_of_birth=values["date_of_birth"],
        )
        access = services.patient_break_glass_open(
            actor=request.user,
            patient=patient,
            reason_code=values["reason_code"],
            reason=values["reason"],
            second_factor_verified=session_verified(request),
        )
        return Response(
            {"patient_id": patient.pk, "expires_at": access.expires_at},
            status=status.HTTP_201_CREATED,
        )
