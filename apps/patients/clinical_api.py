"""REST API for the complex-needs evidence of one patient, through the same selectors/services."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.http import AuthenticatedRequest
from apps.core import api_fields
from apps.core.api_helpers import parse_input
from apps.patients import hrsn
from apps.patients.models import AdiSuppression, EncounterKind, RiskTier
from apps.patients.selectors import clinical as selectors
from apps.patients.services import clinical


class ConditionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    title = serializers.CharField()
    onset_date = api_fields.DateField(allow_null=True)
    resolved_date = api_fields.DateField(allow_null=True)
    status = serializers.CharField()


class ConditionInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=12)
    onset_date = api_fields.DateField(required=False, allow_null=True)


class ConditionResolveInputSerializer(serializers.Serializer):
    resolved_date = api_fields.DateField(required=False, allow_null=True)


class EncounterSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    admit_date = api_fields.DateField()
    discharge_date = api_fields.DateField(allow_null=True)
    attending_provider = serializers.CharField()
    facility = serializers.CharField()
    cost = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)


class EncounterInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EncounterKind.choices)
    admit_date = api_fields.DateField()
    discharge_date = api_fields.DateField(required=False, allow_null=True)
    attending_provider = serializers.CharField(max_length=120, required=False, allow_blank=True)
    facility = serializers.CharField(max_length=120, required=False, allow_blank=True)
    cost = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True
    )


class SdohScreenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    screened_on = api_fields.DateField()
    screened_by = serializers.CharField(source="screened_by.display_name")
    answers = serializers.SerializerMethodField()
    positive_domains = serializers.ListField(child=serializers.CharField())
    safety_score = serializers.IntegerField()

    def get_answers(self, screen: Any) -> dict[str, Any]:
        return {question.field: getattr(screen, question.field) for question in hrsn.QUESTIONS}


class SdohScreenInputSerializer(serializers.Serializer):
    """Answers are validated by the service against the tool's options (400 per field)."""

    screened_on = api_fields.DateField()
    answers = serializers.DictField(
        help_text="One entry per question: " + ", ".join(q.field for q in hrsn.QUESTIONS)
    )


class AreaDeprivationSerializer(serializers.Serializer):
    national_percentile = serializers.IntegerField(allow_null=True)
    state_decile = serializers.IntegerField(allow_null=True)
    suppression_code = serializers.CharField()
    block_group = serializers.CharField()


class AreaDeprivationInputSerializer(serializers.Serializer):
    national_percentile = serializers.IntegerField(required=False, allow_null=True)
    state_decile = serializers.IntegerField(required=False, allow_null=True)
    suppression_code = serializers.ChoiceField(
        choices=[("", "none"), *AdiSuppression.choices], required=False, allow_blank=True
    )
    block_group = serializers.CharField(max_length=12, required=False, allow_blank=True)


class RiskPartSerializer(serializers.Serializer):
    factor = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    value = serializers.IntegerField(allow_null=True)
    coefficient = serializers.CharField(help_text="Log-odds per unit, as a decimal")
    points = serializers.CharField(help_text="coefficient x value, as a decimal")
    note = serializers.CharField(required=False)


class ComplexitySerializer(serializers.Serializer):
    is_complex = serializers.BooleanField()
    summary = serializers.CharField()
    reasons = serializers.DictField()
    cci = serializers.IntegerField()
    charlson_categories = serializers.ListField(child=serializers.CharField())
    ed_visits_12m = serializers.IntegerField()
    admissions_12m = serializers.IntegerField()
    bed_days_12m = serializers.IntegerField()
    cost_12m = serializers.DecimalField(max_digits=14, decimal_places=2)
    cost_percentile = serializers.IntegerField()
    hrsn_positive_domains = serializers.ListField(child=serializers.CharField())
    hrsn_screened_on = api_fields.DateField(allow_null=True)
    adi_percentile = serializers.IntegerField(allow_null=True)
    adi_suppression = serializers.CharField()
    clinical_met = serializers.BooleanField()
    utilization_met = serializers.BooleanField()
    social_met = serializers.BooleanField()
    risk_probability = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        help_text="Probability of an admission in the next 12 months (apps.patients.risk)",
    )
    risk_tier = serializers.ChoiceField(choices=RiskTier.choices)
    risk_parts = RiskPartSerializer(many=True)
    computed_at = api_fields.DateTimeField()


class ThresholdsSerializer(serializers.Serializer):
    cci_min = serializers.IntegerField()
    acute_events_min = serializers.IntegerField(allow_null=True)
    cost_percentile_min = serializers.IntegerField(allow_null=True)
    adi_percentile_min = serializers.IntegerField(allow_null=True)
    hrsn_domains_min = serializers.IntegerField(allow_null=True)


class PatientComplexityOutputSerializer(serializers.Serializer):
    complexity = ComplexitySerializer(allow_null=True)
    thresholds = ThresholdsSerializer()


class PatientConditionsApi(APIView):
    @extend_schema(responses=ConditionSerializer(many=True))
    def get(self, request: AuthenticatedRequest, patient_id: int) -> Response:
        rows = selectors.condition_list_for_user(user=request.user, patient_id=patient_id)
        return Response(ConditionSerializer(rows, many=True).data)

    @extend_schema(request=ConditionInputSerializer, responses={201: ConditionSerializer})
    def post(self, request: AuthenticatedRequest, patient_id: int) -> Response:
        patient = selectors.patient_get_for_user(user=request.user, patient_id=patient_id)
        values = parse_input(ConditionInputSerializer, request.data)
        condition = clinical.condition_add(actor=request.user, patient=patient, **values)
        return Response(ConditionSerializer(condition).data, status=status.HTTP_201_CREATED)


class ConditionResolveApi(APIView):
    @extend_schema(request=ConditionResolveInputSerializer, responses=ConditionSerializer)
    def post(self, request: AuthenticatedRequest, patient_id: int, condition_id: int) -> Response:
        condition = selectors.condition_get_for_user(
            user=request.user, patient_id=patient_id, condition_id=condition_id
        )
        values = parse_input(ConditionResolveInputSerializer, request.data)
        resolved = clinical.condition_resolve(actor=request.user, condition=condition, **values)
        return Response(ConditionSerializer(resolved).data)


class PatientEncountersApi(APIView):
    @extend_schema(responses=EncounterSerializer(many=True))
    def get(self, request: AuthenticatedRequest, patient_id: int) -> Response:
        rows = selectors.encounter_list_for_user(user=request.user, patient_id=patient_id)
        return Response(EncounterSerializer(rows, many=True).data)

    @extend_schema(request=EncounterInputSerializer, responses={201: EncounterSerializer})
    def post(self, request: AuthenticatedRequest, patient_id: int) -> Response:
        patient = selectors.patient_get_for_user(user=request.user, patient_id=patient_id)
        values = parse_input(EncounterInputSerializer, request.data)
        encounter = clinical.encounter_add(actor=request.user, patient=patient, **values)
        return Response(EncounterSerializer(encounter).data, status=status.HTTP_201_CREATED)


class PatientSdohScreensApi(APIView):
    @extend_schema(responses=SdohScreenSerializer(many=True))
    def get(self, request: AuthenticatedRequest, patient_id: int) -> Response:
        rows = selectors.sdoh_screen_list_for_user(user=request.user, patient_id=patient_id)
        return Response(SdohScreenSerializer(rows, many=True).data)

    @extend_schema(request=SdohScreenInputSerializer, responses={201: SdohScreenSerializer})
    def post(self, request: AuthenticatedRequest, patient_id: int) -> Response:
        patient = selectors.patient_get_for_user(user=request.user, patient_id=patient_id)
        values = parse_input(SdohScreenInputSerializer, request.data)
        screen = clinical.sdoh_screen_record(
            actor=request.user,
            patient=patient,
            screened_on=values["screened_on"],
            answers=values["answers"],
        )
        return Response(SdohScreenSerializer(screen).data, status=status.HTTP_201_CREATED)


class PatientAreaDeprivationApi(APIView):
    @extend_schema(responses=AreaDeprivationSerializer)
    def get(self, request: AuthenticatedRequest, patient_id: int) -> Response:
        _, adi = selectors.area_deprivation_get_for_user(user=request.user, patient_id=patient_id)
        if adi is None:
            return Response({"detail": "No ADI on file."}, status=status.HTTP_404_NOT_FOUND)
        return Response(AreaDeprivationSerializer(adi).data)

    @extend_schema(request=AreaDeprivationInputSerializer, responses=AreaDeprivationSerializer)
    def put(self, request: AuthenticatedRequest, patient_id: int) -> Response:
        patient = selectors.patient_get_for_user(user=request.user, patient_id=patient_id)
        values = parse_input(AreaDeprivationInputSerializer, request.data)
        adi = clinical.patient_area_deprivation_set(actor=request.user, patient=patient, **values)
        return Response(AreaDeprivationSerializer(adi).data)


class PatientComplexityApi(APIView):
    @extend_schema(responses=PatientComplexityOutputSerializer)
    def get(self, request: AuthenticatedRequest, patient_id: int) -> Response:
        _, complexity, thresholds = selectors.complexity_get_for_user(
            user=request.user, patient_id=patient_id
        )
        return Response(
            PatientComplexityOutputSerializer(
                {"complexity": complexity, "thresholds": thresholds}
            ).data
        )
