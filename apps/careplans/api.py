"""REST API for care plans: input serializers parse, the same selectors and services act."""

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.http import AuthenticatedRequest
from apps.accounts.models import User
from apps.careplans import selectors, services
from apps.careplans.models import (
    AgreedBy,
    AgreementMethod,
    CarePlan,
    ComB,
    ComBSubComponent,
    GoalDomain,
    GoalStatus,
    Pathway,
)
from apps.careplans.pdf import render_summary_pdf, summary_filename
from apps.careplans.permissions import care_plan_rights
from apps.core import api_fields
from apps.core.exceptions import ApplicationError, NotFoundError
from apps.core.filters import filters_or_error
from apps.patients.selectors import patient_get_for_user
from apps.teams.forms import TeamFilterForm, chosen_team_id
from apps.teams.selectors import team_list_for_user

# --- output ------------------------------------------------------------------


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="display_name")


class PathwaySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    url = serializers.CharField()


class GoalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    domain = serializers.CharField()
    description = serializers.CharField()
    target = serializers.CharField()
    target_date = api_fields.DateField()
    status = serializers.CharField()
    owner = UserRefSerializer()
    patient_steps = serializers.CharField()


class InterventionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    goal_id = serializers.IntegerField()
    description = serializers.CharField()
    details = serializers.CharField()
    owner = UserRefSerializer(allow_null=True)
    due_at = api_fields.DateTimeField(allow_null=True)
    state = serializers.CharField()
    task_id = serializers.IntegerField(allow_null=True)


class BarrierSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    component = serializers.CharField()
    sub_component = serializers.CharField()
    description = serializers.CharField()
    intervention_id = serializers.IntegerField(allow_null=True)


class CarePlanListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    patient_id = serializers.IntegerField()
    status = serializers.CharField()
    version_count = serializers.IntegerField()
    unsigned_since = api_fields.DateTimeField(allow_null=True)
    last_signed_at = api_fields.DateTimeField(allow_null=True)
    review_requested_at = api_fields.DateTimeField(allow_null=True)


class RightsSerializer(serializers.Serializer):
    edit_plan = serializers.BooleanField()
    goal_domains = serializers.ListField(child=serializers.CharField())
    sign = serializers.BooleanField()
    request_signoff = serializers.BooleanField()
    return_plan = serializers.BooleanField()


class CarePlanDetailSerializer(CarePlanListItemSerializer):
    what_matters = serializers.CharField()
    priorities = serializers.CharField()
    agreed_by = serializers.CharField()
    agreement_method = serializers.CharField()
    agreed_at = api_fields.DateTimeField(allow_null=True)
    caregiver_name = serializers.CharField()
    pam_level = serializers.IntegerField(allow_null=True)
    health_literacy_limited = serializers.BooleanField()
    advance_directive_reference = serializers.CharField()
    advance_directive_date = api_fields.DateField(allow_null=True)
    review_request_reason = serializers.CharField()
    returned_at = api_fields.DateTimeField(allow_null=True)
    return_comments = serializers.CharField()
    retired_at = api_fields.DateTimeField(allow_null=True)
    retired_reason = serializers.CharField()
    pathways = PathwaySerializer(many=True)
    goals = GoalSerializer(many=True)
    interventions = InterventionSerializer(many=True)
    barriers = BarrierSerializer(many=True)
    rights = RightsSerializer()


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    before = serializers.CharField()
    after = serializers.CharField()


class ItemChangeSerializer(serializers.Serializer):
    kind = serializers.CharField()
    id = serializers.IntegerField()
    title = serializers.CharField()
    context = serializers.CharField()  # type: ignore[assignment]
    changes = FieldChangeSerializer(many=True)


class PlanDiffSerializer(serializers.Serializer):
    plan = FieldChangeSerializer(many=True)
    goals = ItemChangeSerializer(many=True)
    interventions = ItemChangeSerializer(many=True)
    barriers = ItemChangeSerializer(many=True)
    is_empty = serializers.BooleanField()


class VersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    created_at = api_fields.DateTimeField()
    created_by = UserRefSerializer(allow_null=True)
    summary = serializers.CharField()
    fingerprint = serializers.CharField()
    signed_at = api_fields.DateTimeField(allow_null=True)
    signed_by = UserRefSerializer(allow_null=True)


class VersionDetailSerializer(VersionSerializer):
    snapshot = serializers.JSONField()


class ReviewSerializer(serializers.Serializer):
    plan_id = serializers.IntegerField(source="plan.pk")
    latest_version = serializers.IntegerField(source="latest_number")
    last_signed = VersionSerializer(allow_null=True)
    fingerprint = serializers.CharField()
    can_sign = serializers.BooleanField()
    diff = PlanDiffSerializer()


class VersionDiffSerializer(serializers.Serializer):
    from_version = serializers.IntegerField(allow_null=True)
    to_version = serializers.IntegerField()
    diff = PlanDiffSerializer()


class DueReviewSerializer(serializers.Serializer):
    plan_id = serializers.IntegerField(source="plan.pk")
    patient_id = serializers.IntegerField(source="patient.pk")
    family_name = serializers.CharField(source="patient.family_name")
    given_name = serializers.CharField(source="patient.given_name")
    team = serializers.CharField(source="patient.care_team_name")
    status = serializers.CharField(source="plan.status")
    reasons = serializers.ListField(child=serializers.CharField())
    waiting_since = api_fields.DateTimeField(allow_null=True)


NESTED = ("pathways", "goals", "interventions", "barriers", "rights")


def _plan_detail(user: User, plan: CarePlan) -> dict[str, Any]:
    goals, interventions, barriers = selectors.care_plan_content(plan)
    rights = care_plan_rights(user, plan.patient)
    values: dict[str, Any] = {
        name: getattr(plan, name)
        for name in [str(key) for key in CarePlanDetailSerializer().fields]
        if name not in NESTED
    }
    values.update(
        pathways=list(plan.pathways.all()),
        goals=goals,
        interventions=interventions,
        barriers=barriers,
        rights={
            "edit_plan": rights.edit_plan,
            "goal_domains": sorted(rights.goal_domains),
            "sign": rights.sign,
            "request_signoff": rights.request_signoff,
            "return_plan": rights.return_plan,
        },
    )
    return dict(CarePlanDetailSerializer(values).data)


# --- input -------------------------------------------------------------------


class CarePlanWriteSerializer(serializers.Serializer):
    what_matters = serializers.CharField(required=False, allow_blank=True)
    priorities = serializers.CharField(required=False, allow_blank=True)
    agreed_by = serializers.ChoiceField(choices=AgreedBy.choices, required=False, allow_blank=True)
    agreement_method = serializers.ChoiceField(
        choices=AgreementMethod.choices, required=False, allow_blank=True
    )
    agreed_at = api_fields.DateTimeField(required=False, allow_null=True)
    caregiver_name = serializers.CharField(required=False, allow_blank=True, max_length=120)
    pam_level = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=4)
    health_literacy_limited = serializers.BooleanField(required=False)
    pathway_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    advance_directive_reference = serializers.CharField(
        required=False, allow_blank=True, max_length=300
    )
    advance_directive_date = api_fields.DateField(required=False, allow_null=True)


class CarePlanCreateSerializer(CarePlanWriteSerializer):
    patient_id = serializers.IntegerField()


class GoalWriteSerializer(serializers.Serializer):
    domain = serializers.ChoiceField(choices=GoalDomain.choices)
    description = serializers.CharField(max_length=300)
    target = serializers.CharField(max_length=300)
    target_date = api_fields.DateField()
    status = serializers.ChoiceField(choices=GoalStatus.choices, required=False)
    owner_id = serializers.IntegerField()
    patient_steps = serializers.CharField(required=False, allow_blank=True)


class GoalUpdateSerializer(GoalWriteSerializer):
    domain = serializers.ChoiceField(choices=GoalDomain.choices, required=False)
    description = serializers.CharField(max_length=300, required=False)
    target = serializers.CharField(max_length=300, required=False)
    target_date = api_fields.DateField(required=False)
    owner_id = serializers.IntegerField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True)


class InterventionCreateSerializer(serializers.Serializer):
    goal_id = serializers.IntegerField()
    description = serializers.CharField(max_length=200)
    owner_id = serializers.IntegerField()
    due_date = api_fields.DateField()
    details = serializers.CharField(required=False, allow_blank=True)


class InterventionUpdateSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=200, required=False)
    owner_id = serializers.IntegerField(required=False)
    due_date = api_fields.DateField(required=False)
    details = serializers.CharField(required=False, allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class BarrierWriteSerializer(serializers.Serializer):
    component = serializers.ChoiceField(choices=ComB.choices)
    sub_component = serializers.ChoiceField(
        choices=ComBSubComponent.choices, required=False, allow_blank=True
    )
    description = serializers.CharField(max_length=300)
    intervention_id = serializers.IntegerField(required=False, allow_null=True)


class BarrierUpdateSerializer(BarrierWriteSerializer):
    component = serializers.ChoiceField(choices=ComB.choices, required=False)
    description = serializers.CharField(max_length=300, required=False)


class SignoffRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text="What the PCP should look at")


class ReturnSerializer(serializers.Serializer):
    comments = serializers.CharField(
        max_length=2000, help_text="What should change before the PCP signs"
    )


class ReturnedSerializer(serializers.Serializer):
    task_id = serializers.IntegerField(source="pk")
    owner = UserRefSerializer()
    due_at = api_fields.DateTimeField()


class SignSerializer(serializers.Serializer):
    fingerprint = serializers.CharField(
        help_text="The fingerprint from GET .../review/: you sign what you reviewed"
    )


# --- helpers -----------------------------------------------------------------


def _owner(owner_id: int) -> User:
    """Any id that is not a current member is refused with the same message by the service."""
    owner = User.objects.filter(pk=owner_id).first()
    if owner is None:
        raise ApplicationError(
            "The owner must be a person on the patient's care team.",
            field_errors={"owner_id": ["Choose a current member of the patient's care team."]},
        )
    return owner


def _pathways(plan_or_patient_org: int, ids: list[int]) -> list[Pathway]:
    found = list(Pathway.objects.filter(pk__in=ids, organisation_id=plan_or_patient_org))
    if len(found) != len(set(ids)):
        raise ApplicationError(
            "Please correct the care plan.",
            field_errors={"pathway_ids": ["Choose pathways of the patient's organisation."]},
        )
    return found


def _plan_values(values: dict[str, Any], organisation_id: int) -> dict[str, Any]:
    if "pathway_ids" in values:
        values["pathways"] = _pathways(organisation_id, values.pop("pathway_ids"))
    for name in ("agreed_by", "agreement_method"):
        if name in values and values[name] is None:
            values[name] = ""
    return values


def _input(
    serializer: type[serializers.Serializer], request: AuthenticatedRequest, partial: bool = False
) -> dict[str, Any]:
    """The request body parsed by `serializer`; a bad body is a 400 with the field messages."""
    data = serializer(data=request.data, partial=partial)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _plan(request: AuthenticatedRequest, plan_id: int, what: str = "plan") -> CarePlan:
    return selectors.care_plan_get_for_user(user=request.user, plan_id=plan_id, what=what)


# --- plans -------------------------------------------------------------------


class CarePlanListCreateApi(APIView):
    @extend_schema(responses=CarePlanListItemSerializer(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        plans = selectors.care_plan_list_for_user(user=request.user)
        return Response(CarePlanListItemSerializer(plans, many=True).data)

    @extend_schema(request=CarePlanCreateSerializer, responses={201: CarePlanDetailSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        values = _input(CarePlanCreateSerializer, request)
        patient = patient_get_for_user(user=request.user, patient_id=values.pop("patient_id"))
        plan = services.care_plan_create(
            actor=request.user,
            patient=patient,
            **_plan_values(values, patient.organisation_id),
        )
        plan.patient = patient
        return Response(_plan_detail(request.user, plan), status=status.HTTP_201_CREATED)


class CarePlansDueForReviewApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("team_id", int, description="Only this care team")],
        responses=DueReviewSerializer(many=True),
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        form = TeamFilterForm(request.query_params, teams=team_list_for_user(user=request.user))
        rows = selectors.care_plans_due_for_review(
            user=request.user, team_id=chosen_team_id(filters_or_error(form))
        )
        return Response(DueReviewSerializer(rows, many=True).data)


class PatientCarePlanApi(APIView):
    @extend_schema(responses=CarePlanDetailSerializer)
    def get(self, request: AuthenticatedRequest, patient_id: int) -> Response:
        patient = patient_get_for_user(user=request.user, patient_id=patient_id)
        plan = selectors.care_plan_current_for_patient(patient=patient)
        if plan is None:
            raise NotFoundError("This patient has no care plan.")
        plan = _plan(request, plan.pk)
        return Response(_plan_detail(request.user, plan))


class CarePlanDetailApi(APIView):
    @extend_schema(responses=CarePlanDetailSerializer)
    def get(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = _plan(request, plan_id)
        return Response(_plan_detail(request.user, plan))

    @extend_schema(request=CarePlanWriteSerializer, responses=CarePlanDetailSerializer)
    def patch(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = _plan(request, plan_id)
        data = _input(CarePlanWriteSerializer, request, partial=True)
        values = _plan_values(data, plan.patient.organisation_id)
        services.care_plan_update(actor=request.user, plan=plan, **values)
        return Response(_plan_detail(request.user, _plan(request, plan_id)))


class CarePlanRetireApi(APIView):
    @extend_schema(request=ReasonSerializer, responses=CarePlanDetailSerializer)
    def post(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = _plan(request, plan_id)
        data = _input(ReasonSerializer, request)
        plan = services.care_plan_retire(actor=request.user, plan=plan, reason=data["reason"])
        return Response(_plan_detail(request.user, plan))


# --- goals, interventions, barriers -------------------------------------------


class GoalCreateApi(APIView):
    @extend_schema(request=GoalWriteSerializer, responses={201: GoalSerializer})
    def post(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = _plan(request, plan_id)
        values = _input(GoalWriteSerializer, request)
        values["owner"] = _owner(values.pop("owner_id"))
        goal = services.goal_create(actor=request.user, plan=plan, **values)
        return Response(GoalSerializer(goal).data, status=status.HTTP_201_CREATED)


class GoalDetailApi(APIView):
    @extend_schema(request=GoalUpdateSerializer, responses=GoalSerializer)
    def patch(self, request: AuthenticatedRequest, plan_id: int, goal_id: int) -> Response:
        plan = _plan(request, plan_id)
        goal = selectors.goal_get_for_plan(plan=plan, goal_id=goal_id)
        values = _input(GoalUpdateSerializer, request, partial=True)
        if "owner_id" in values:
            values["owner"] = _owner(values.pop("owner_id"))
        goal = services.goal_update(actor=request.user, goal=goal, **values)
        return Response(GoalSerializer(goal).data)

    @extend_schema(responses={204: None})
    def delete(self, request: AuthenticatedRequest, plan_id: int, goal_id: int) -> Response:
        plan = _plan(request, plan_id)
        goal = selectors.goal_get_for_plan(plan=plan, goal_id=goal_id)
        services.goal_remove(actor=request.user, goal=goal)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InterventionCreateApi(APIView):
    @extend_schema(request=InterventionCreateSerializer, responses={201: InterventionSerializer})
    def post(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = _plan(request, plan_id)
        values = _input(InterventionCreateSerializer, request)
        goal = selectors.goal_get_for_plan(plan=plan, goal_id=values.pop("goal_id"))
        values["owner"] = _owner(values.pop("owner_id"))
        intervention = services.intervention_create(actor=request.user, goal=goal, **values)
        return Response(InterventionSerializer(intervention).data, status=status.HTTP_201_CREATED)


class InterventionDetailApi(APIView):
    @extend_schema(request=InterventionUpdateSerializer, responses=InterventionSerializer)
    def patch(self, request: AuthenticatedRequest, plan_id: int, intervention_id: int) -> Response:
        plan = _plan(request, plan_id)
        intervention = selectors.intervention_get_for_plan(
            plan=plan, intervention_id=intervention_id
        )
        values = _input(InterventionUpdateSerializer, request, partial=True)
        if "owner_id" in values:
            values["owner"] = _owner(values.pop("owner_id"))
        intervention = services.intervention_update(
            actor=request.user, intervention=intervention, **values
        )
        return Response(InterventionSerializer(intervention).data)


class InterventionCancelApi(APIView):
    @extend_schema(request=ReasonSerializer, responses=InterventionSerializer)
    def post(self, request: AuthenticatedRequest, plan_id: int, intervention_id: int) -> Response:
        plan = _plan(request, plan_id)
        intervention = selectors.intervention_get_for_plan(
            plan=plan, intervention_id=intervention_id
        )
        data = _input(ReasonSerializer, request)
        intervention = services.intervention_cancel(
            actor=request.user, intervention=intervention, reason=data["reason"]
        )
        return Response(InterventionSerializer(intervention).data)


def _barrier_values(plan: CarePlan, values: dict[str, Any]) -> dict[str, Any]:
    if "intervention_id" in values:
        intervention_id = values.pop("intervention_id")
        values["intervention"] = (
            None
            if intervention_id is None
            else selectors.intervention_get_for_plan(plan=plan, intervention_id=intervention_id)
        )
    return values


class BarrierCreateApi(APIView):
    @extend_schema(request=BarrierWriteSerializer, responses={201: BarrierSerializer})
    def post(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = _plan(request, plan_id)
        data = _input(BarrierWriteSerializer, request)
        try:
            values = _barrier_values(plan, data)
        except NotFoundError as error:
            raise ApplicationError(
                "Please correct the barrier.",
                field_errors={"intervention_id": ["Choose an intervention of this plan."]},
            ) from error
        barrier = services.barrier_create(actor=request.user, plan=plan, **values)
        return Response(BarrierSerializer(barrier).data, status=status.HTTP_201_CREATED)


class BarrierDetailApi(APIView):
    @extend_schema(request=BarrierUpdateSerializer, responses=BarrierSerializer)
    def patch(self, request: AuthenticatedRequest, plan_id: int, barrier_id: int) -> Response:
        plan = _plan(request, plan_id)
        barrier = selectors.barrier_get_for_plan(plan=plan, barrier_id=barrier_id)
        data = _input(BarrierUpdateSerializer, request, partial=True)
        try:
            values = _barrier_values(plan, data)
        except NotFoundError as error:
            raise ApplicationError(
                "Please correct the barrier.",
                field_errors={"intervention_id": ["Choose an intervention of this plan."]},
            ) from error
        barrier = services.barrier_update(actor=request.user, barrier=barrier, **values)
        return Response(BarrierSerializer(barrier).data)

    @extend_schema(responses={204: None})
    def delete(self, request: AuthenticatedRequest, plan_id: int, barrier_id: int) -> Response:
        plan = _plan(request, plan_id)
        barrier = selectors.barrier_get_for_plan(plan=plan, barrier_id=barrier_id)
        services.barrier_remove(actor=request.user, barrier=barrier)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- review, signature, versions, summary -------------------------------------


class CarePlanReviewApi(APIView):
    @extend_schema(responses=ReviewSerializer)
    def get(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = _plan(request, plan_id, what="review")
        review = selectors.care_plan_review(user=request.user, plan=plan)
        return Response(ReviewSerializer(review).data)


class CarePlanSignApi(APIView):
    @extend_schema(request=SignSerializer, responses={201: VersionSerializer})
    def post(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = _plan(request, plan_id)
        data = _input(SignSerializer, request)
        version = services.care_plan_sign(
            actor=request.user, plan=plan, fingerprint=data["fingerprint"]
        )
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


class CarePlanSignoffRequestApi(APIView):
    @extend_schema(request=SignoffRequestSerializer, responses=CarePlanDetailSerializer)
    def post(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = _plan(request, plan_id)
        data = _input(SignoffRequestSerializer, request)
        services.plan_signoff_request(actor=request.user, plan=plan, reason=data["reason"])
        return Response(_plan_detail(request.user, _plan(request, plan_id)))


class CarePlanReturnApi(APIView):
    @extend_schema(request=ReturnSerializer, responses={201: ReturnedSerializer})
    def post(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = _plan(request, plan_id)
        data = _input(ReturnSerializer, request)
        task = services.plan_signoff_return(
            actor=request.user, plan=plan, comments=data["comments"]
        )
        return Response(ReturnedSerializer(task).data, status=status.HTTP_201_CREATED)


class CarePlanVersionListApi(APIView):
    @extend_schema(responses=VersionSerializer(many=True))
    def get(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = _plan(request, plan_id, what="versions")
        return Response(VersionSerializer(selectors.care_plan_versions(plan=plan), many=True).data)


class CarePlanVersionDetailApi(APIView):
    @extend_schema(responses=VersionDetailSerializer)
    def get(self, request: AuthenticatedRequest, plan_id: int, number: int) -> Response:
        plan = _plan(request, plan_id, what="versions")
        version = selectors.care_plan_version_get(plan=plan, number=number)
        return Response(VersionDetailSerializer(version).data)


class CarePlanDiffApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("from", int, description="Default: the version before `to`"),
            OpenApiParameter("to", int, description="Default: the latest version"),
        ],
        responses=VersionDiffSerializer,
    )
    def get(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        plan = _plan(request, plan_id, what="versions")
        raw_from = request.query_params.get("from")
        raw_to = request.query_params.get("to")
        try:
            from_number = int(raw_from) if raw_from else None
            to_number = int(raw_to) if raw_to else plan.version_count
        except ValueError:
            return Response(
                {"detail": "from and to are version numbers."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        before, after, diff = selectors.care_plan_version_diff(
            plan=plan, from_number=from_number, to_number=to_number
        )
        return Response(
            VersionDiffSerializer(
                {
                    "from_version": before.number if before else None,
                    "to_version": after.number,
                    "diff": diff,
                }
            ).data
        )


class CarePlanSummaryPdfApi(APIView):
    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request: AuthenticatedRequest, plan_id: int) -> HttpResponse:
        plan = selectors.care_plan_get_for_user(user=request.user, plan_id=plan_id, what="summary")
        if not plan.is_open:
            raise NotFoundError("A retired plan has no summary.")
        summary = selectors.care_plan_summary_for_user(
            user=request.user, patient_id=plan.patient_id, export=True
        )
        response = HttpResponse(render_summary_pdf(summary), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{summary_filename(summary)}"'
        return response
